"""A database that stops accepting writes is reported by /readyz (503 with the
reason), callers get StoreUnavailable (nothing was written), and the store recovers by itself
once the database is back - no restart. SQLite: the file made read-only, then writable; the
file moved away, then back. PostgreSQL (this run's own database): connections terminated;
connections refused; sessions read-only (as on a standby)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.core.states import OpKind
from bot.health import build_health_app
from bot.metrics import Metrics
from bot.store import Store, StoreUnavailable, is_unavailable
from tests.conftest import PG_URL

ROOT = Path(__file__).parent.parent
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _write(store: Store, key: str) -> None:
    store.create_pending(
        kind=OpKind.RESIZE,
        intent_json="{}",
        requester="U_T",
        channel="C_T",
        now=NOW,
        expires_at=NOW + timedelta(minutes=5),
        request_key=key,
    )


class _Child:
    """tests/sqlite_readonly_child.py: a store + /readyz in a process the file modes bind."""

    def __init__(self, url: str, prefix: tuple[str, ...] = ()) -> None:
        self.process = subprocess.Popen(
            [*prefix, sys.executable, str(ROOT / "tests" / "sqlite_readonly_child.py"), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        first = self.stdout.readline().strip()
        if self.process.poll() == 3 or not first.startswith("port "):
            self.close()
            why = "mount a file system of its own" if prefix else "make file modes bind root"
            pytest.skip(f"cannot {why} here: {first or 'the child exited'}")
        self.port = int(first.split()[1])

    def write(self, what: str = "write") -> str:
        self.stdin.write(f"{what}\n")
        self.stdin.flush()
        return self.stdout.readline().strip()

    def ready(self) -> tuple[int, dict[str, Any]]:
        answer = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=30)
        return answer.status_code, answer.json()

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=30)
        self.stdout.close()


@pytest.fixture
def sqlite_child(tmp_path: Path) -> Iterator[tuple[_Child, Path]]:
    db = tmp_path / "bot.sqlite3"
    child = _Child(f"sqlite:///{db}")
    yield child, db
    child.close()


@pytest.mark.process
def test_sqlite_made_read_only_then_writable_again(sqlite_child: tuple[_Child, Path]) -> None:
    child, db = sqlite_child
    assert child.write() == "ok"
    assert child.ready()[0] == 200
    os.chmod(db, 0o444)
    try:
        status, body = child.ready()
        assert status == 503 and body["database"] is False, body
        assert "is not writable" in body["database_error"] and str(db) in body["database_error"]
        for _ in range(3):  # every attempt: told, not silently dropped, nothing written
            assert child.write().startswith("unavailable the database is unavailable")
    finally:
        os.chmod(db, 0o644)
    assert child.ready() == (200, {"ok": True, "database": True, "scheduler": True})
    assert child.write() == "ok"  # the same process: no restart
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT request_key FROM pending_operations")).scalars()
            assert sorted(keys) == ["write-1", "write-5"]
    finally:
        engine.dispose()


@pytest.mark.process
def test_sqlite_disk_full_then_room_again(tmp_path: Path) -> None:
    """The disk holding the SQLite file fills up (a small tmpfs of its own, mounted in a
    mount namespace of the child): writes are refused and /readyz says 503 with the reason;
    once there is room again, both recover in the same process."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = 'mount -t tmpfs -o size=4m tmpfs "$0" || exit 3; exec "$@"'
    mount = ("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, str(disk))
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to mount a small file system of its own")
    child = _Child(f"sqlite:///{disk / 'bot.sqlite3'}", prefix=mount)
    try:
        assert child.write() == "ok"
        assert child.ready()[0] == 200
        assert child.write("fill").startswith("full")
        status, body = child.ready()
        assert status == 503 and body["database"] is False, body
        assert "full" in body["database_error"], body
        assert child.write().startswith("unavailable the database is unavailable")
        assert child.write("free") == "freed"
        assert child.ready() == (200, {"ok": True, "database": True, "scheduler": True})
        assert child.write() == "ok"  # the same process: no restart
    finally:
        child.close()


def test_sqlite_file_moved_away_then_back(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = Store.from_url(f"sqlite:///{db}")
    try:
        _write(store, "before")
        db.rename(tmp_path / "elsewhere.sqlite3")
        with pytest.raises(StoreUnavailable, match="does not exist"):
            _write(store, "while-gone")  # not into the unlinked file, not into a new empty one
        with pytest.raises(StoreUnavailable):
            store.probe_write()
        assert not db.exists()
        (tmp_path / "elsewhere.sqlite3").rename(db)
        store.probe_write()
        _write(store, "after")
        with store.engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT request_key FROM pending_operations")).scalars()
            assert sorted(keys) == ["after", "before"]
    finally:
        store.close()


# ---- PostgreSQL: this run's own database, never the server itself --------------------------


@pytest.fixture
def admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _terminate(admin: sa.Engine, database: str) -> int:
    with admin.connect() as conn:
        return len(
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).all()
        )


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[tuple[Store, TestClient, str]]:
    store = Store.from_url(pg_url)
    client = TestClient(
        TestServer(build_health_app(store, Metrics(), scheduler_running=lambda: True))
    )
    await client.start_server()
    yield store, client, sa.make_url(pg_url).database or ""
    await client.close()
    store.close()


async def _ready(client: TestClient) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/readyz")
    return answer.status, await answer.json()


async def test_postgresql_connections_terminated(
    pg: tuple[Store, TestClient, str], admin: sa.Engine
) -> None:
    store, client, database = pg
    _write(store, "before")
    assert (await _ready(client))[0] == 200
    assert _terminate(admin, database) >= 1  # the store's pooled connections
    _write(store, "after")  # the next operation reconnects
    assert (await _ready(client))[0] == 200


async def test_postgresql_refusing_connections_then_back(
    pg: tuple[Store, TestClient, str], admin: sa.Engine
) -> None:
    store, client, database = pg
    _write(store, "before")
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
    try:
        _terminate(admin, database)
        status, body = await _ready(client)
        assert status == 503 and body["database"] is False
        assert "not currently accepting connections" in body["database_error"]
        with pytest.raises(StoreUnavailable) as raised:
            _write(store, "refused")
        assert is_unavailable(raised.value)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
    assert (await _ready(client))[0] == 200
    _write(store, "after")
    with store.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT request_key FROM pending_operations")).scalars()
        assert sorted(keys) == ["after", "before"]


async def test_postgresql_read_only_sessions_then_writable(
    pg: tuple[Store, TestClient, str], admin: sa.Engine
) -> None:
    store, client, database = pg
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'))
    try:
        _terminate(admin, database)  # new sessions are read-only, as on a standby
        status, body = await _ready(client)
        assert status == 503 and "read-only transaction" in body["database_error"], body
        with pytest.raises(StoreUnavailable, match="read-only transaction"):
            _write(store, "read-only")
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(f'ALTER DATABASE "{database}" RESET default_transaction_read_only')
            )
    # the read-only connections were replaced when they failed: no restart, no termination
    assert (await _ready(client))[0] == 200
    _write(store, "after")
    with store.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT request_key FROM pending_operations")).scalars()
        assert sorted(keys) == ["after"]
