"""Tables, and the Alembic migrations that build them (:mod:`bot.store.migrations`).

``migrate(engine)`` runs at every start: it brings the database to the head revision inside one
transaction and returns that revision. It refuses a database whose revision this code does not
know (:class:`SchemaTooNewError`): an older bot never runs against, or "downgrades", a schema it
does not understand. Concurrent starts (several replicas) are serialised: PostgreSQL takes an
advisory lock, SQLite takes its write lock (``BEGIN IMMEDIATE``) before reading the revision.
Alembic is configured in code (no ``alembic.ini``); on SQLite revisions run in batch mode, so a
column change is a table copy there and a plain ``ALTER`` on PostgreSQL.

Databases made before Alembic record versions 1-4 in ``schema_version``; revisions 0001-0004
are exactly those schemas, so such a database is stamped at the matching revision and upgraded
from there with its rows. ``schema_version`` is kept, frozen at :data:`ALEMBIC_MANAGED` (5),
so a pre-Alembic sdrs-bot (which knows versions up to 4) refuses the database with its own
"newer than this sdrs-bot knows" error instead of running against a schema it does not know.

Adding a revision is one file: copy the newest ``bot/store/migrations/versions/NNNN_*.py`` to
the next number, set ``revision = "NNNN"`` and ``down_revision`` to the previous one, and write
``upgrade()`` with explicit ``op.*`` calls (``op.batch_alter_table`` for changes to existing
columns, so SQLite gets them too; data conversions as SQL or ``op.get_bind()`` queries in the
same revision). Change the tables below to match; ``tests/store/test_store_migrations.py``
checks the head schema equals these tables on both backends and upgrades the frozen old schemas
(``tests/store/schemas/``) through it. Never edit a released revision.

Times are UTC epoch seconds (``Float``), which compare the same way on every backend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.core.errors import BotError
from bot.store.availability import StoreUnavailable

log = logging.getLogger(__name__)
metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    # Pre-Alembic version record; frozen at ALEMBIC_MANAGED once Alembic manages the database.
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
    # v0005: the cloud account the operation acts on (ACCOUNTS_FILE name; "" before accounts)
    Column("account", String(32), nullable=False, server_default=""),
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
    Column("next_check_at", Float, nullable=False),
    Column("checks", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),  # consecutive transient failures
    Column("last_status", String(16)),
    Column("state", String(16), nullable=False, index=True),  # tracking | finished | gave-up
    Column("stuck_reported", Boolean, nullable=False, default=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("finished_at", Float),
    Column("account", String(32), nullable=False, server_default=""),  # v0005: its account
    # v0008: the claim walks the jobs being tracked in next_check_at order and stops at the
    # batch size, so its cost does not grow with the finished jobs (whose next_check_at is the
    # time they ended: always due, in a next_check_at-only index) or the ones not due yet
    Index("ix_tracked_jobs_due", "state", "next_check_at"),
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
    # v0009: the language it is rendered in when sent, decided when it was queued (its
    # audience's); NULL (rows queued before): English
    Column("language", String(8)),
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
    Column("account", String(32)),  # v0005: the account the event concerns, where one does
)


runbooks = Table(
    # v0006: stop-resize-start operations, one row per confirmed operation, driven step by step
    # (bot.core.runbook) by whichever replica holds its lease
    "runbooks",
    metadata,
    Column("op_id", String(32), primary_key=True),
    Column("account", String(32), nullable=False, server_default=""),
    Column("channel", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("requester", String(32), nullable=False),
    Column("confirmer", String(32)),
    Column("state_json", Text, nullable=False),  # bot.core.runbook.Runbook
    Column("step", String(16), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("deadline", Float, nullable=False),  # ends as timed out after this
    Column("next_at", Float, nullable=False, index=True),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("finished_at", Float),
)


person_languages = Table(
    # v0009: a person's own choice of language (/sdrs lang zh|en), over their Slack locale
    "person_languages",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("language", String(8), nullable=False),  # bot.core.language.Language
    Column("updated_at", Float, nullable=False),
)


scheduled_operations = Table(
    # v0007: confirmed operations waiting for their maintenance window (bot.operations.schedule);
    # a tick claims due ones with a lease, and one conditional UPDATE starts each exactly once
    "scheduled_operations",
    metadata,
    Column("op_id", String(32), primary_key=True),
    Column("account", String(32), nullable=False, server_default=""),
    Column("channel", String(32), nullable=False),
    Column("window_name", String(32), nullable=False, server_default=""),  # "": one-off
    Column("starts_at", Float, nullable=False, index=True),
    Column("ends_at", Float, nullable=False),
    Column("moves_on_miss", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False, index=True),  # bot.core.states.ScheduleState
    Column("moves", Integer, nullable=False, default=0),
    Column("reason", String(32)),
    Column("cancelled_by", String(32)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
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


MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: the pre-Alembic schema versions and the revisions that are exactly those schemas
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003", 4: "0004"}
#: ``schema_version.version`` once Alembic manages the database (see the module docstring):
#: above every pre-Alembic version, so a pre-Alembic bot refuses the database
ALEMBIC_MANAGED = 5
_PG_MIGRATION_LOCK = 724001


class SchemaTooNewError(BotError):
    def __init__(self, found: int | str, known: int | str) -> None:
        super().__init__(
            f"the database schema is version {found}, newer than this sdrs-bot knows ({known}); "
            "upgrade sdrs-bot instead of running an older one against it"
        )
        self.found = found
        self.known = known


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration, in code: the packaged revisions, run on ``conn``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "no revisions in bot/store/migrations/versions"
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands, read without changing it."""

    revision: str | None  # None: an empty database
    legacy_version: int | None = None  # a pre-Alembic database's schema_version (not stamped)

    @property
    def too_new(self) -> bool:
        if self.legacy_version is not None:
            return self.legacy_version not in LEGACY_REVISIONS
        return self.revision is not None and self.revision not in known_revisions()

    @property
    def is_head(self) -> bool:
        return self.revision == head_revision()

    def describe(self) -> str:
        if self.legacy_version is not None:
            return f"version {self.legacy_version}"
        return f"revision {self.revision}" if self.revision else "empty"


def read_state(conn: Connection) -> SchemaState:
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables:
        revisions = [
            row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
        ]
        if len(revisions) == 1:
            return SchemaState(str(revisions[0]))
        if revisions:  # branches: not something this code writes
            raise SchemaTooNewError(" + ".join(sorted(revisions)), head_revision())
    if "schema_version" in tables:
        found = conn.execute(
            select(schema_version.c.version).where(schema_version.c.id == 1)
        ).first()
        if found is not None and int(found[0]) > 0:
            legacy = int(found[0])
            return SchemaState(LEGACY_REVISIONS.get(legacy), legacy_version=legacy)
    return SchemaState(None)


def migrate(engine: Engine, attempts: int = 5) -> str:
    """Bring the database to the head revision; returns the revision it is at."""
    for attempt in range(1, attempts + 1):
        try:
            return _migrate_once(engine)
        except (OperationalError, IntegrityError, StoreUnavailable):
            # e.g. SQLite busy beyond its timeout while another replica migrates: look again
            # at what it left.
            if attempt == attempts:
                raise
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def _migrate_once(engine: Engine) -> str:
    head = head_revision()
    with engine.connect() as conn, _locked_transaction(conn):
        state = read_state(conn)
        if state.too_new:
            found = state.legacy_version if state.legacy_version is not None else state.revision
            raise SchemaTooNewError(found or "?", head)
        config = alembic_config(conn)
        if state.legacy_version is not None:
            log.info(
                "the database has pre-Alembic schema version %d: stamping it as revision %s",
                state.legacy_version,
                state.revision,
            )
            command.stamp(config, state.revision or "base")
        if state.revision != head:
            log.info("migrating the database from %s to revision %s", state.describe(), head)
            command.upgrade(config, "head")
        if state.legacy_version is not None or state.revision != head:
            conn.execute(update(schema_version).values(version=ALEMBIC_MANAGED))
            if conn.execute(select(schema_version.c.id)).first() is None:
                conn.execute(schema_version.insert().values(id=1, version=ALEMBIC_MANAGED))
    return head


@contextmanager
def _locked_transaction(conn: Connection) -> Iterator[None]:
    """One transaction holding the migration lock from before the revision is read until the
    commit: PostgreSQL's advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``; the driver's
    own transaction handling is switched off meanwhile so that statement starts it)."""
    if conn.dialect.name != "sqlite":
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            yield
        return
    with sqlite_write_transaction(conn):
        yield


@contextmanager
def sqlite_write_transaction(conn: Connection) -> Iterator[None]:
    """One SQLite transaction that holds the write lock from its first statement (``BEGIN
    IMMEDIATE``; the driver's own transaction handling is switched off meanwhile so that
    statement starts it): what it reads stays true until it commits."""
    driver = conn.connection.driver_connection
    saved = driver.isolation_level  # type: ignore[union-attr]
    driver.isolation_level = None  # type: ignore[union-attr]
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    finally:
        driver.isolation_level = saved  # type: ignore[union-attr]
