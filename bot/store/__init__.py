"""Durable state behind one interface (SQLAlchemy Core): SQLite by default (a file), PostgreSQL
for several replicas. Every part is a mixin over one engine:

* :mod:`bot.store.pending` - confirmations, decided exactly once;
* :mod:`bot.store.outbox` - Slack messages to deliver, in order and paced per channel;
* :mod:`bot.store.jobs` - tracked SDRS jobs (leased checks) and the audit trail;
* :mod:`bot.store.audit` - reading the audit trail (history, export);
* :mod:`bot.store.inbox` - acked Slack payloads waiting for a worker process;
* :mod:`bot.store.schema` - tables, and Alembic migrations (:mod:`bot.store.migrations`) run
  on open.
"""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from bot.store.audit import AuditEvent, AuditStore, HistoryEntry
from bot.store.inbox import InboxItem, InboxStore
from bot.store.jobs import CheckResult, JobStore, JobUpdate, TrackedJob
from bot.store.outbox import OutboxMessage, OutboxRow, OutboxStore
from bot.store.pending import OpState, PendingOperation, PendingStore, Transition
from bot.store.schema import SchemaTooNewError, migrate

__all__ = [
    "AuditEvent",
    "HistoryEntry",
    "InboxItem",
    "CheckResult",
    "JobUpdate",
    "OpState",
    "OutboxMessage",
    "OutboxRow",
    "PendingOperation",
    "SchemaTooNewError",
    "Store",
    "TrackedJob",
    "Transition",
    "make_engine",
]


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: a commit survives a crash of the process (what we must not lose);
            # only an OS crash or power cut may drop the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Store(PendingStore, OutboxStore, JobStore, AuditStore, InboxStore):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        try:
            self.schema_version = migrate(engine)
        except BaseException:
            engine.dispose()
            raise

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def pending_work(self) -> dict[str, int]:
        """Work not finished yet: jobs being tracked, messages not delivered, operations being
        executed. All zero: the bot is idle."""
        from sqlalchemy import func, select

        from bot.store.schema import inbox, outbox, pending_operations, tracked_jobs

        with self.engine.connect() as conn:
            return {
                "tracking": int(conn.execute(
                    select(func.count()).where(tracked_jobs.c.state == "tracking")
                ).scalar_one()),
                "outbox": int(conn.execute(
                    select(func.count()).where(outbox.c.state.in_(("pending", "sending")))
                ).scalar_one()),
                "inbox": int(conn.execute(select(func.count()).select_from(inbox)).scalar_one()),
                "executing": int(conn.execute(
                    select(func.count()).where(pending_operations.c.exec_state == "running")
                ).scalar_one()),
            }  # fmt: skip
