"""Helpers the tests and the benches share; not part of the wheel (tests/test_packaging.py)."""
