"""One file per revision, named ``NNNN_what.py``, chained by ``down_revision``."""
