"""A PostgreSQL database of a bench's own (the benches in bench/ share it)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def bench_database(url: str, tag: str) -> Iterator[str | None]:
    """A database ``sdrs_bot_bench_<tag>_<pid>`` next to the one ``url`` names (so a test run or
    another bench on the same server is left alone), dropped at the end; None when the server
    is not reachable."""
    name = f"sdrs_bot_bench_{tag}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - PostgreSQL is optional: the caller reports or skips
        admin.dispose()
        yield None
        return
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
