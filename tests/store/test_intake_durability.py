"""The intake's durability level, as the README and docs/operations.md state it: on SQLite,
WAL with synchronous=NORMAL (a commit survives the process; a power cut or OS crash may undo
the commits since the last checkpoint, which SQLite makes every 1000 WAL pages); on
PostgreSQL, the server's synchronous_commit, which the bot leaves at its default (on: a commit
returns once its WAL record is flushed). The crash itself is tested in
tests/running/test_acked_survives_crash.py. And the intake's SQLite connection waits for the
write lock its own way (bot.store.intake), in a file of its own (bot.store.inbox_url): the
main file's write lock, held by the work after the acks, does not hold an ack."""

from __future__ import annotations

import asyncio
import os
import select
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text

from bot.core.states import InboxKind
from bot.store import Store, StoreUnavailable
from bot.store.intake import Intake, Row
from tests.support.local_env import free_port


def _row(key: str) -> Row:
    return Row(InboxKind.COMMAND, key, {"n": key}, datetime.now(UTC), None, 120.0)


def test_sqlite_intake_commits_in_wal_with_synchronous_normal(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        assert store.inbox_engine is not store.engine  # the inbox's own file
        for engine in (store.engine, store.inbox_engine):
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
                assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000

        async def put() -> list[int | None]:
            intake = Intake(store)
            assert intake._sqlite is not None
            # the intake's own connection never checkpoints (an ack would wait for the syncs);
            # the store's connections to the same file do (above: every 1000 pages)
            with intake._sqlite.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            return list(await asyncio.gather(*(intake.put(_row(f"k{n}")) for n in range(5))))

        ids = asyncio.run(put())
        assert None not in ids and store.inbox_depth() == 5  # committed when put returns
    finally:
        store.close()


def test_postgresql_intake_waits_for_the_wal_flush(pg_url: str) -> None:
    store = Store.from_url(pg_url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
            assert conn.execute(text("SHOW fsync")).scalar() == "on"
    finally:
        store.close()


def test_sqlite_intake_waits_for_a_write_lock_another_process_holds(tmp_path: Path) -> None:
    """The intake's own connection does not sleep in SQLite's busy handler: it tries again
    every half millisecond, so it commits as soon as the other writer lets go - and it waits
    rather than failing while the lock is held."""
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    other = sqlite3.connect(tmp_path / "bot-inbox.sqlite3", check_same_thread=False)
    try:

        async def put_while_locked() -> tuple[int | None, float]:
            intake = Intake(store)
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock for 1 s
            loop = asyncio.get_running_loop()
            loop.call_later(1.0, other.commit)
            started = loop.time()
            try:
                return await intake.put(_row("locked")), loop.time() - started
            finally:
                intake.close()

        item_id, waited = asyncio.run(put_while_locked())
        assert item_id is not None and waited >= 0.9  # it waited for the lock, then committed
        assert store.inbox_depth() == 1
    finally:
        other.close()
        store.close()


def test_sqlite_intake_commits_while_the_main_file_is_locked(tmp_path: Path) -> None:
    """The work after the acks (a worker process, at a lower priority) holds the main file's
    write lock for as long as the system leaves it unscheduled: an ack's commit does not
    wait for it (before the inbox had a file of its own it waited here until the lock was
    let go - 30 s at most)."""
    path = tmp_path / "bot.sqlite3"
    store = Store.from_url(f"sqlite:///{path}")
    other = sqlite3.connect(path, check_same_thread=False)
    try:

        async def put_while_main_locked() -> int | None:
            intake = Intake(store)
            other.execute("BEGIN IMMEDIATE")  # the main file's lock, held until the end
            try:
                return await asyncio.wait_for(intake.put(_row("acked")), 5.0)
            finally:
                intake.close()

        assert asyncio.run(put_while_main_locked()) is not None
        other.rollback()
        assert store.inbox_depth() == 1
        assert other.execute("SELECT count(*) FROM inbox").fetchone() == (0,)  # not the main file
    finally:
        other.close()
        store.close()


def test_sqlite_intake_commits_on_the_event_loop(tmp_path: Path) -> None:
    """No thread between an ack and its commit on SQLite: without worker processes a thread
    of its own waited for the GIL behind the work after the acks (bot.store.intake)."""
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    committed_in: list[int] = []
    try:

        async def put() -> int:
            intake = Intake(store)
            assert intake._sqlite is not None
            event.listen(
                intake._sqlite.engine,
                "commit",
                lambda _: committed_in.append(threading.get_ident()),
            )
            try:
                await asyncio.gather(*(intake.put(_row(f"k{n}")) for n in range(3)))
            finally:
                intake.close()
            return threading.get_ident()

        loop_thread = asyncio.run(put())
        assert committed_in and set(committed_in) == {loop_thread}
        assert store.inbox_depth() == 3
    finally:
        store.close()


def test_postgresql_intake_replaces_a_connection_the_server_ended(pg_url: str) -> None:
    """The intake's own connection (psycopg's async API, on the event loop): ended by the
    server between two batches (a restart, an idle timeout), it is replaced and the batch
    sent again - the ack does not fail for it."""
    store = Store.from_url(pg_url)
    try:

        async def put_across_a_lost_connection() -> tuple[int | None, int | None, int, int]:
            intake = Intake(store)
            try:
                first = await intake.put(_row("before"))
                assert intake._pg is not None and intake._pg._conn is not None
                ended = intake._pg._conn.info.backend_pid
                with store.engine.connect() as conn:
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended})
                # between two batches: the server's goodbye has reached this end
                readable, _, _ = select.select([intake._pg._conn.pgconn.socket], [], [], 5.0)
                assert readable
                second = await intake.put(_row("after"))
                assert intake._pg._conn is not None
                return first, second, ended, intake._pg._conn.info.backend_pid
            finally:
                intake.close()

        first, second, ended, now = asyncio.run(put_across_a_lost_connection())
        assert first is not None and second is not None and now != ended
        assert store.inbox_depth() == 2
    finally:
        store.close()


def test_postgresql_intake_commits_a_batch_in_one_round_trip(pg_url: str) -> None:
    """A batch is one statement on a connection in autocommit: its own transaction, committed
    as it answers - one round trip, where BEGIN, the INSERT and COMMIT took three, each a
    wake-up of the server's process, which on a busy machine waits its turn for a core
    (bench/README.md). The commit still waits for its WAL record's flush."""
    from psycopg import pq  # PostgreSQL's extra

    store = Store.from_url(pg_url)
    try:

        async def put_traced() -> tuple[int | None, str, str]:
            intake = Intake(store)
            try:
                await intake.put(_row("connects"))
                assert intake._pg is not None and intake._pg._conn is not None
                conn = intake._pg._conn
                with tempfile.TemporaryFile("w+") as trace:
                    conn.pgconn.trace(os.dup(trace.fileno()))
                    conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
                    try:
                        made = await intake.put(_row("traced"))
                    finally:
                        conn.pgconn.untrace()
                    trace.seek(0)
                    said = trace.read()
                cursor = await conn.execute("SHOW synchronous_commit")
                row = await cursor.fetchone()
                assert row is not None
                return made, said, str(row[0])
            finally:
                intake.close()

        made, said, synchronous = asyncio.run(put_traced())
        assert made is not None
        from_server = [line.split("\t")[2] for line in said.splitlines() if line[:1] == "B"]
        assert from_server.count("ReadyForQuery") == 1, said
        assert "BEGIN" not in said and "COMMIT" not in said, said
        assert synchronous == "on"
        assert store.inbox_depth() == 2  # committed: another connection sees both
    finally:
        store.close()


def test_postgresql_intake_fails_a_batch_lost_on_its_way_and_does_not_send_it_again(
    pg_url: str,
) -> None:
    """The connection ends while the batch's statement runs (here: it waits for another
    transaction's row with the same key, and the server ends it): the batch fails with
    StoreUnavailable (the acks say "try again"), it is not sent again, and the next batch goes
    on a new connection."""
    store = Store.from_url(pg_url)
    try:
        with store.inbox_engine.connect() as other:
            other.execute(
                text(
                    "INSERT INTO inbox (dedupe_key, kind, payload_json, received_at, attempts) "
                    "VALUES ('held', 'command', '{}', 0, 0)"
                )
            )  # not committed: the intake's row with that key waits for this transaction

            async def lose_the_connection_midway() -> tuple[BaseException | None, int | None]:
                intake = Intake(store)
                try:
                    await intake.put(_row("connects"))
                    assert intake._pg is not None and intake._pg._conn is not None
                    pid = intake._pg._conn.info.backend_pid
                    put = asyncio.ensure_future(intake.put(_row("held")))
                    await asyncio.to_thread(_terminate_once_waiting, store, pid)
                    lost = (await asyncio.gather(put, return_exceptions=True))[0]
                    return lost if isinstance(lost, BaseException) else None, await intake.put(
                        _row("after")
                    )
                finally:
                    intake.close()

            # sent again, the batch would wait for that lock once more: bounded here
            lost, after = asyncio.run(asyncio.wait_for(lose_the_connection_midway(), 20))
            other.rollback()
        assert isinstance(lost, StoreUnavailable)
        assert after is not None
        with store.inbox_engine.connect() as conn:
            keys = conn.execute(text("SELECT dedupe_key FROM inbox ORDER BY id")).scalars().all()
        assert keys == ["connects", "after"]  # "held" was neither committed nor sent again
    finally:
        store.close()


def _terminate_once_waiting(store: Store, pid: int) -> None:
    """End backend ``pid`` once it waits for a lock (its statement is under way)."""
    with store.engine.connect() as conn:
        for _ in range(500):
            waiting = conn.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar()
            if waiting == "Lock":
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for the lock")


def test_postgresql_intake_says_unavailable_when_the_server_does_not_answer(pg_url: str) -> None:
    """No server where the intake connects: the ack's error is StoreUnavailable (the person is
    told to try again; nothing was acked)."""
    store = Store.from_url(pg_url)
    try:

        async def put_nowhere() -> None:
            intake = Intake(store)
            assert intake._pg is not None
            intake._pg.conninfo = f"postgresql://postgres@127.0.0.1:{free_port()}/none"
            try:
                await intake.put(_row("nowhere"))
            finally:
                intake.close()

        with pytest.raises(StoreUnavailable):
            asyncio.run(put_nowhere())
        assert store.inbox_depth() == 0
    finally:
        store.close()
