"""Wire models of the Huawei Cloud APIs the bot reads and writes: one base, aliases are the
APIs' wire names (checked against the official SDK models' ``attribute_map`` in the tests)."""
