"""Cost of the /readyz database check: the write probe (``Store.probe_write``: a write that
touches no row, rolled back) against the read it replaced (``SELECT 1``), per backend (a SQLite
file, then PostgreSQL when reachable). Printed: microseconds per check for both and their
ratio, measured in the same run.

    python bench/readiness_probe.py [--checks 2000]
    python bench/readiness_probe.py --quick     # 50 checks each: the same paths in seconds (CI)

Exits non-zero when a check fails; PostgreSQL not reachable is said and skipped. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bot.store import Store  # noqa: E402

PG_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sdrs_bot_test"
)


def _per_check(check: Callable[[], None], n: int) -> float:
    for _ in range(50):  # warm the pool and the statement caches
        check()
    start = time.perf_counter()
    for _ in range(n):
        check()
    return (time.perf_counter() - start) / n * 1e6


def measure(name: str, store: Store, n: int) -> None:
    def select_1() -> None:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    read = _per_check(select_1, n)
    probe = _per_check(store.probe_write, n)
    print(
        f"{name:10} SELECT 1 {read:8.1f} us   write probe {probe:8.1f} us   "
        f"ratio {probe / read:4.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="50 checks each")
    args = parser.parse_args()
    n = 50 if args.quick else args.checks
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.from_url(f"sqlite:///{tmp}/bot.sqlite3")
        measure("sqlite", store, n)
        store.close()
    # a database of its own next to the test database, dropped at the end
    name = f"sdrs_bot_bench_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - PostgreSQL is optional here
        print(f"postgresql not reachable ({type(exc).__name__}): skipped")
        admin.dispose()
        return
    try:
        store = Store.from_url(str(make_url(PG_URL).set(database=name)))
        measure("postgresql", store, n)
        store.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
