"""Helpers the tests and the benches share; not part of the wheel (tests/repo/test_packaging.py)."""
