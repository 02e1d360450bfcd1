"""Durable state behind one interface (SQLAlchemy Core): SQLite by default (a file), PostgreSQL
for several replicas. Every part is a mixin over one engine:

* :mod:`bot.store.pending` - confirmations, decided exactly once;
* :mod:`bot.store.outbox` - Slack messages to deliver, in order and paced per channel;
* :mod:`bot.store.jobs` - tracked SDRS jobs (leased checks) and the audit trail;
* :mod:`bot.store.audit` - reading the audit trail (history, export);
* :mod:`bot.store.scheduled` - confirmed operations waiting for their maintenance window;
* :mod:`bot.store.inbox` - acked Slack payloads waiting for a worker process (on SQLite in a
  file of its own, :func:`inbox_url`);
* :mod:`bot.store.people` - each person's own choice of language (``/sdrs lang``);
* :mod:`bot.store.schema` - tables, and Alembic migrations (:mod:`bot.store.migrations`) run
  on open;
* :mod:`bot.store.availability` - a database that cannot be written: :class:`StoreUnavailable`,
  :func:`is_unavailable`, and connections replaced by themselves once it is back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, func, make_url, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.config.settings import database_url_problem
from bot.core.errors import ConfigError
from bot.core.records import (
    CheckResult,
    HistoryEntry,
    JobUpdate,
    OutboxMessage,
    PendingOperation,
    TrackedJob,
    Transition,
)
from bot.core.states import ExecState, JobState, OpState, OutboxState
from bot.store import availability
from bot.store.audit import AuditEvent, AuditStore
from bot.store.availability import StoreUnavailable, is_unavailable
from bot.store.inbox import InboxItem, InboxStore, open_inbox_file
from bot.store.jobs import JobStore
from bot.store.outbox import (
    SEND_STATES,
    ChannelLanguage,
    Delivered,
    OutboxRow,
    OutboxStore,
    no_language,
)
from bot.store.pending import PendingStore
from bot.store.people import PeopleStore
from bot.store.runbooks import RunbookStore
from bot.store.scheduled import ScheduledStore
from bot.store.schema import (
    SchemaTooNewError,
    inbox,
    migrate,
    outbox,
    pending_operations,
    runbooks,
    schema_version,
    tracked_jobs,
)

__all__ = [
    "AuditEvent",
    "HistoryEntry",
    "InboxItem",
    "CheckResult",
    "JobUpdate",
    "OpState",
    "OutboxState",
    "OutboxMessage",
    "OutboxRow",
    "Delivered",
    "PendingOperation",
    "SchemaTooNewError",
    "Store",
    "StoreUnavailable",
    "TrackedJob",
    "Transition",
    "is_unavailable",
    "inbox_url",
    "make_engine",
]

#: how long the readiness write probe waits for a lock before calling the database unwritable
PROBE_LOCK_SECONDS = 2.0


def sqlite_file(url: str) -> str | None:
    """The absolute path of a SQLite database file, or None (another backend, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return os.path.abspath(parsed.database)


def inbox_url(url: str) -> str:
    """Where the inbox lives. On a SQLite file, in a file of its own beside it
    (``bot.sqlite3`` -> ``bot-inbox.sqlite3``): SQLite lets one connection write at a time per
    file, and an ack waits for its inbox row's commit (an acked command survives a crash) - in
    the same file, behind whatever the work after the acks writes (a confirmation and its
    audit row, a message queued...), and a worker process holds that lock for as long as the
    system does not schedule it (it runs at a lower priority: 100-400 ms seen while the acks
    waited). In a file of its own, the intake's commits wait only for the inbox's own short
    writes. Elsewhere (PostgreSQL: row locks; SQLite in memory) the database itself."""
    path = sqlite_file(url)
    if path is None:
        return url
    stem, suffix = os.path.splitext(path)
    return f"sqlite:///{stem}-inbox{suffix or '.sqlite3'}"


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    """The store's engine (``pool_size``: SQLite's connection pool, default SQLAlchemy's)."""
    problem = database_url_problem(url)
    if problem is not None:  # not SQLAlchemy's bare "No module named 'psycopg'"
        raise ConfigError([problem])
    path = sqlite_file(url)
    if url.startswith("sqlite"):
        if path is not None and not os.path.exists(path):
            # created once, here (its directory too: the per-user default's may not exist yet,
            # private to the user); later connections need the file
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            sqlite3.connect(path).close()

        def connect() -> sqlite3.Connection:
            if path is None:
                return sqlite3.connect(":memory:", check_same_thread=False)
            return availability.sqlite_connect(path, timeout=30, check_same_thread=False)

        sized: dict[str, Any] = {"pool_size": pool_size} if pool_size is not None else {}
        engine = create_engine(url, creator=connect, **sized)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: a commit survives a crash of the process (what we must not lose);
            # only an OS crash or power cut may drop the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        availability.install(engine, sqlite_path=path)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    availability.install(engine)
    return engine


@contextmanager
def _probing(conn: Connection) -> Iterator[None]:
    """A readiness probe's transaction on ``conn``: it waits at most
    :data:`PROBE_LOCK_SECONDS` for a lock, and whatever it left is rolled back and SQLite's
    usual lock wait restored afterwards."""
    ms = int(PROBE_LOCK_SECONDS * 1000)
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = {ms}"))
        conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {ms}")
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        if conn.dialect.name == "sqlite" and not conn.invalidated:
            conn.exec_driver_sql("PRAGMA busy_timeout = 30000")


def _close_on_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """Pool ``checkin`` hook of a closed store: the connection given back is closed at once (a
    later checkout, if any, opens a new one)."""
    if dbapi_connection is not None:
        record.invalidate()


class Store(
    PendingStore,
    OutboxStore,
    JobStore,
    AuditStore,
    InboxStore,
    RunbookStore,
    ScheduledStore,
    PeopleStore,
):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inbox_engine = engine
        # the language of a message queued for a channel (the channel binding's): set by the
        # composition root (bot.operations.deps.Deps); until then rows are queued without one
        self.channel_language: ChannelLanguage = no_language
        try:
            self.schema_version = migrate(engine)
            url = engine.url.render_as_string(hide_password=False)
            own = inbox_url(url)
            if own != url:
                self.inbox_engine = make_engine(own)
                open_inbox_file(engine, self.inbox_engine)
        except BaseException:
            self._dispose()
            raise

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def close(self) -> None:
        """Close every connection of the store. Those idle in the pool are closed now; one still
        in use by another thread (a tick mid-query at shutdown) is left to finish and closed when
        it is given back. ``Engine.dispose`` alone would leave such a connection in the discarded
        pool, open, until the garbage collector meets it."""
        for engine in self._engines():
            if not event.contains(engine.pool, "checkin", _close_on_checkin):
                event.listen(engine.pool, "checkin", _close_on_checkin)
            engine.dispose()

    def _engines(self) -> list[Engine]:
        return [self.engine] + ([self.inbox_engine] if self.inbox_engine is not self.engine else [])

    def _dispose(self) -> None:
        for engine in self._engines():
            engine.dispose()

    def probe_write(self) -> None:
        """Raise :class:`StoreUnavailable` unless a write goes through now (readiness).

        A real write, committed: the one ``schema_version`` row, negated and back. It
        needs what any write needs - a live connection, a write transaction (SQLite's write
        lock, which a read-only file refuses; PostgreSQL refuses it in a read-only
        transaction, e.g. on a standby) - and room on the disk for the page it writes (SQLite's
        WAL frame, PostgreSQL's WAL record and row version): a full disk fails it, which a
        rolled-back write touching no row did not notice. It changes no value. (A SQLite file
        that is gone or not writable fails at checkout already, see
        :func:`bot.store.availability.install`.) Waits at most :data:`PROBE_LOCK_SECONDS` for
        a lock. A SQLite inbox file of its own (:func:`inbox_url`) is probed for its write lock
        and writability too (a write statement that changes no row: no page written).
        """
        with self.engine.connect() as conn, _probing(conn):
            # negated and back in one transaction: nobody sees it, and the page is written
            # (SQLite skips a row written with the value it already has)
            flip = (
                update(schema_version)
                .where(schema_version.c.id == 1)
                .values(version=-schema_version.c.version)
            )
            conn.execute(flip)
            conn.execute(flip)
            conn.commit()
        if self.inbox_engine is not self.engine:  # the acks' file: its write lock, and writable
            with self.inbox_engine.connect() as conn, _probing(conn):
                conn.execute(update(inbox).where(inbox.c.id == -1).values(attempts=0))
                conn.commit()

    def pending_work(self) -> dict[str, int]:
        """Work not finished yet: jobs being tracked, messages not delivered, operations being
        executed. All zero: the bot is idle."""
        with self.engine.connect() as conn:
            return {
                "tracking": int(
                    conn.execute(
                        select(func.count()).where(tracked_jobs.c.state == JobState.TRACKING.value)
                    ).scalar_one()
                ),
                "outbox": int(
                    conn.execute(
                        select(func.count()).where(outbox.c.state.in_(SEND_STATES))
                    ).scalar_one()
                ),
                "inbox": self.inbox_depth(),
                "executing": int(
                    conn.execute(
                        select(func.count()).where(
                            pending_operations.c.exec_state == ExecState.RUNNING.value
                        )
                    ).scalar_one()
                ),
                "runbooks": int(
                    conn.execute(select(func.count()).where(runbooks.c.step != "done")).scalar_one()
                ),
            }
