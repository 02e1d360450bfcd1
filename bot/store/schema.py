"""Tables and versioned, forward-only migrations.

``migrate(engine)`` brings a database to :data:`LATEST` one numbered step at a time, each step in
its own transaction, recording the version in ``schema_version``. It refuses to run on a database
whose version is newer than this code knows (:class:`SchemaTooNewError`): an older bot never
"downgrades" a schema it does not understand. Concurrent starts (several replicas) are
serialised: PostgreSQL takes an advisory lock, SQLite's write lock does the same.

Times are UTC epoch seconds (``Float``), which compare the same way on every backend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.core.errors import BotError

log = logging.getLogger(__name__)
metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("version", Integer, nullable=False),
)

pending_operations = Table(
    "pending_operations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("intent_json", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    # Slack's trigger_id of the command: a repeated delivery of one command maps to one row.
    Column("request_key", String(255), unique=True),
    Column("requester", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("message_ts", String(32)),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("decided_by", String(32)),
    Column("decided_at", Float),
    # Executing a confirmed operation: "running" while a replica calls SDRS (leased, so a
    # replica that dies mid-call is noticed), "done" once its outcome is recorded.
    Column("exec_state", String(16)),
    Column("exec_owner", String(64)),
    Column("exec_until", Float, index=True),
    # v2: what the preflight showed in the confirmation (JSON), compared again at Confirm
    Column("checked_json", Text),
    # v4: what the operation changes, as facts (bot.core.facts); rendered when sent. Rows from
    # before v4 have only ``summary`` (rendered text).
    Column("facts_json", Text),
)

tracked_jobs = Table(
    "tracked_jobs",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("op_id", String(32)),
    Column("kind", String(32), nullable=False),
    Column("subject", String(64), nullable=False),  # the protected instance id
    Column("channel", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("requester", String(32), nullable=False),
    Column("confirmer", String(32)),
    Column("detail_json", Text, nullable=False, default="{}"),
    Column("submitted_at", Float, nullable=False),
    Column("next_check_at", Float, nullable=False, index=True),
    Column("checks", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),  # consecutive transient failures
    Column("last_status", String(16)),
    Column("state", String(16), nullable=False, index=True),  # tracking | finished | gave-up
    Column("stuck_reported", Boolean, nullable=False, default=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("finished_at", Float),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(255), nullable=False, unique=True),
    Column("method", String(32), nullable=False),  # chat.postMessage | chat.update
    Column("channel", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("ts", String(32)),  # the message chat.update edits
    Column("text", Text, nullable=False),  # rows from before v4: the rendered text
    Column("blocks_json", Text),
    Column("content_json", Text),  # v4: what to say, as facts (bot.core.facts.Message)
    Column("reply_broadcast", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False, index=True),  # pending | sending | sent | dead
    Column("attempts", Integer, nullable=False, default=0),
    # the last attempt may have reached Slack (crash or timeout mid-send): check before re-posting
    Column("uncertain", Boolean, nullable=False, default=False),
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("sent_ts", String(32)),
    Column("last_error", Text),
)

channel_pacing = Table(
    "channel_pacing",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("next_at", Float, nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("op_id", String(32), index=True),
    Column("job_id", String(64)),
    Column("actor", String(32)),
    Column("channel", String(32), index=True),
    Column("detail_json", Text, nullable=False, default="{}"),
)


inbox = Table(
    "inbox",
    metadata,
    # v3: Slack payloads acked by a web process and waiting for a worker (WORKER_PROCESSES)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(255), nullable=False, unique=True),  # a Slack retry: one row
    Column("kind", String(16), nullable=False),  # command | click
    Column("payload_json", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64)),
    Column("lease_until", Float, index=True),
)


class SchemaTooNewError(BotError):
    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"the database schema is version {found}, newer than this sdrs-bot knows ({known}); "
            "upgrade sdrs-bot instead of running an older one against it"
        )
        self.found = found
        self.known = known


def _v1(conn: Connection) -> None:
    """The first schema: every table above. (On a new database this already has the columns
    later steps add; those steps add them only where they are missing.)"""
    for table in (pending_operations, tracked_jobs, outbox, channel_pacing, audit_events):
        table.create(conn, checkfirst=True)


def _v3(conn: Connection) -> None:
    inbox.create(conn, checkfirst=True)


def _add_column(conn: Connection, table: str, column: str, sql_type: str) -> None:
    if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


def _v2(conn: Connection) -> None:
    _add_column(conn, "pending_operations", "checked_json", "TEXT")


def _v4(conn: Connection) -> None:
    _add_column(conn, "pending_operations", "facts_json", "TEXT")
    _add_column(conn, "outbox", "content_json", "TEXT")


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "pending operations, tracked jobs, outbox, pacing, audit", _v1),
    (2, "pending operations remember what their preflight showed", _v2),
    (3, "an inbox of acked Slack payloads for worker processes", _v3),
    (4, "operations and outbox messages keep facts, rendered when sent", _v4),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    schema_version.create(conn, checkfirst=True)
    found = conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).first()
    return int(found[0]) if found else 0


def migrate(engine: Engine, attempts: int = 5) -> int:
    """Bring the database to LATEST; returns the version it is at."""
    for attempt in range(1, attempts + 1):
        try:
            return _migrate_once(engine)
        except (OperationalError, IntegrityError):
            # Another replica migrated at the same moment (SQLite has no advisory lock): look
            # again at what it left.
            if attempt == attempts:
                raise
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def _migrate_once(engine: Engine) -> int:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(724001)"))
        version = current_version(conn)
        if version > LATEST:
            raise SchemaTooNewError(version, LATEST)
        for number, description, step in MIGRATIONS:
            if number <= version:
                continue
            log.info("migrating the database to version %d: %s", number, description)
            step(conn)
            if version == 0:
                conn.execute(schema_version.insert().values(id=1, version=number))
            else:
                conn.execute(schema_version.update().values(version=number))
            version = number
    return version
