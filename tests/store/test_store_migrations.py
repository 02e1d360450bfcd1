"""Alembic migrations: databases at each pre-Alembic schema version (frozen DDL in
tests/store/schemas/, made by the old migrator itself) upgrade to head with their rows; a fresh
database reaches head; the head schema is the SQLAlchemy tables; a newer schema is refused;
concurrent first starts migrate once. Every test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text

from bot.core.states import AuditAction, InboxKind, OpKind
from bot.store import SchemaTooNewError, Store, make_engine
from bot.store.schema import (
    ALEMBIC_MANAGED,
    LEGACY_REVISIONS,
    head_revision,
    metadata,
    read_state,
    schema_version,
)

SCHEMAS = Path(__file__).with_name("schemas")
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
T = NOW.timestamp()

# Rows as each old version stored them (no ids for autoincrement keys, as the bot inserts them).
SAMPLE_ROWS: dict[int, dict[str, list[dict[str, Any]]]] = {
    1: {
        "pending_operations": [
            {
                "id": "a" * 32,
                "kind": "resize",
                "intent_json": '{"kind": "resize"}',
                "summary": "*Resize* pi-1",
                "request_key": "trigger-1",
                "requester": "U_A",
                "channel": "C_1",
                "message_ts": "1700000000.000100",
                "created_at": T,
                "expires_at": T + 900,
                "state": "pending",
                "decided_by": None,
                "decided_at": None,
                "exec_state": None,
                "exec_owner": None,
                "exec_until": None,
            },
            {
                "id": "b" * 32,
                "kind": "rename_drill",
                "intent_json": '{"kind": "rename_drill"}',
                "summary": "Rename",
                "request_key": None,
                "requester": "U_B",
                "channel": "C_1",
                "message_ts": None,
                "created_at": T - 60,
                "expires_at": T + 840,
                "state": "confirmed",
                "decided_by": "U_C",
                "decided_at": T - 30,
                "exec_state": "done",
                "exec_owner": "replica-1",
                "exec_until": T + 30,
            },
        ],
        "tracked_jobs": [
            {
                "job_id": "job-1",
                "op_id": "b" * 32,
                "kind": "resize",
                "subject": "pi-1",
                "channel": "C_1",
                "thread_ts": "1700000000.000100",
                "requester": "U_B",
                "confirmer": "U_C",
                "detail_json": '{"summary": "x"}',
                "submitted_at": T - 20,
                "next_check_at": T + 5,
                "checks": 2,
                "errors": 0,
                "last_status": "RUNNING",
                "state": "tracking",
                "stuck_reported": False,
                "lease_owner": None,
                "lease_until": None,
                "finished_at": None,
            },
        ],
        "outbox": [
            {
                "dedupe_key": "submitted:job-1",
                "method": "chat.postMessage",
                "channel": "C_1",
                "thread_ts": "1700000000.000100",
                "ts": None,
                "text": "Submitted",
                "blocks_json": "[]",
                "reply_broadcast": True,
                "state": "pending",
                "attempts": 1,
                "uncertain": True,
                "next_attempt_at": T,
                "created_at": T - 20,
                "lease_owner": None,
                "lease_until": None,
                "sent_ts": None,
                "last_error": "429",
            },
        ],
        "channel_pacing": [{"channel": "C_1", "next_at": T + 1.5}],
        "audit_events": [
            {
                "at": T - 60,
                "action": "requested",
                "op_id": "b" * 32,
                "job_id": None,
                "actor": "U_B",
                "channel": "C_1",
                "detail_json": "{}",
            },
            {
                "at": T - 30,
                "action": "confirmed",
                "op_id": "b" * 32,
                "job_id": "job-1",
                "actor": "U_C",
                "channel": "C_1",
                "detail_json": '{"why": "drill"}',
            },
        ],
    },
    2: {
        "pending_operations": [
            {
                "id": "c" * 32,
                "kind": "resize",
                "intent_json": "{}",
                "summary": "v2",
                "request_key": "trigger-2",
                "requester": "U_A",
                "channel": "C_2",
                "message_ts": None,
                "created_at": T,
                "expires_at": T + 900,
                "state": "pending",
                "decided_by": None,
                "decided_at": None,
                "exec_state": None,
                "exec_owner": None,
                "exec_until": None,
                "checked_json": '{"flavor": "s6.large.2"}',
            },
        ],
    },
    3: {
        "inbox": [
            {
                "dedupe_key": "cmd:trigger-3",
                "kind": "command",
                "payload_json": '{"text": "help"}',
                "received_at": T,
                "attempts": 1,
                "lease_owner": "w-1",
                "lease_until": T + 10,
            },
        ],
    },
    4: {
        "pending_operations": [
            {
                "id": "d" * 32,
                "kind": "resize",
                "intent_json": "{}",
                "summary": "",
                "request_key": "trigger-4",
                "requester": "U_A",
                "channel": "C_4",
                "message_ts": None,
                "created_at": T,
                "expires_at": T + 900,
                "state": "pending",
                "decided_by": None,
                "decided_at": None,
                "exec_state": None,
                "exec_owner": None,
                "exec_until": None,
                "checked_json": None,
                "facts_json": '{"kind": "resize", "instance_id": "pi-4"}',
            },
        ],
        "outbox": [
            {
                "dedupe_key": "notify:v4",
                "method": "chat.postMessage",
                "channel": "C_4",
                "thread_ts": None,
                "ts": None,
                "text": "",
                "blocks_json": None,
                "content_json": '{"kind": "submitted", "job_id": "job-4"}',
                "reply_broadcast": False,
                "state": "pending",
                "attempts": 0,
                "uncertain": False,
                "next_attempt_at": T,
                "created_at": T,
                "lease_owner": None,
                "lease_until": None,
                "sent_ts": None,
                "last_error": None,
            },
        ],
    },
}


def _rows_up_to(version: int) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for v in range(1, version + 1):
        for table, table_rows in SAMPLE_ROWS[v].items():
            rows.setdefault(table, []).extend(table_rows)
    return rows


def _create_from_frozen_ddl(url: str, version: int) -> None:
    """Run tests/store/schemas/v<N>.<dialect>.sql as the old migrator left it, then the sample
    rows."""
    engine = create_engine(url)
    try:
        sql = (SCHEMAS / f"v{version}.{engine.dialect.name}.sql").read_text()
        raw = engine.raw_connection()
        try:
            if engine.dialect.name == "sqlite":
                raw.driver_connection.executescript(sql)  # type: ignore[union-attr]
            else:
                with raw.cursor() as cursor:
                    cursor.execute(sql)  # no parameters: several statements in one go
            raw.commit()
        finally:
            raw.close()
        rows = _rows_up_to(version)
        with engine.begin() as conn:
            reflected = {name: _table(conn, name) for name in rows}
            for name, table_rows in rows.items():
                for row in table_rows:  # one by one: rows of different versions differ in keys
                    conn.execute(reflected[name].insert().values(**row))
    finally:
        engine.dispose()


def _table(conn: Any, name: str) -> Any:
    from sqlalchemy import MetaData, Table

    return Table(name, MetaData(), autoload_with=conn)


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _revision_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


def _legacy_version(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(select(schema_version.c.version))]


def test_a_fresh_database_migrates_to_head_and_equals_the_tables(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        assert store.schema_version == head_revision()
        assert _revision_rows(store.engine) == [head_revision()]
        assert _legacy_version(store.engine) == [ALEMBIC_MANAGED]
        assert _schema_differences(store.engine) == []
    finally:
        store.close()
    again = Store.from_url(db_url)  # a second start has nothing to do
    try:
        assert again.schema_version == head_revision()
        assert _revision_rows(again.engine) == [head_revision()]
    finally:
        again.close()


@pytest.mark.parametrize("version", sorted(LEGACY_REVISIONS))
def test_a_database_at_an_old_schema_version_upgrades_with_its_rows(
    db_url: str, version: int
) -> None:
    _create_from_frozen_ddl(db_url, version)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        before = read_state(conn)
    assert before.legacy_version == version and before.revision == LEGACY_REVISIONS[version]
    engine.dispose()

    store = Store.from_url(db_url)
    try:
        assert store.schema_version == head_revision()
        assert _revision_rows(store.engine) == [head_revision()]
        # a pre-Alembic sdrs-bot (knows versions <= 3) now refuses this database
        assert _legacy_version(store.engine) == [ALEMBIC_MANAGED]
        assert _schema_differences(store.engine) == []
        for name, expected in _rows_up_to(version).items():
            # on a SQLite file the acked rows moved to the inbox's own file (new ids there)
            moved = name == "inbox" and store.inbox_engine is not store.engine
            with (store.inbox_engine if moved else store.engine).connect() as conn:
                columns = {c["name"] for c in inspect(conn).get_columns(name)} - (
                    {"id"} if moved else set()
                )
                found = [dict(r._mapping) for r in conn.execute(select(_table(conn, name)))]
            assert len(found) == len(expected), name
            for want, got in zip(expected, found, strict=True):
                kept = {k: v for k, v in want.items() if k in columns}
                assert {k: got[k] for k in kept} == kept, name
        # the store works on the upgraded rows, and new rows go in after the old ones
        old = store.get_pending("a" * 32)
        assert old is not None and old.requester == "U_A" and old.channel == "C_1"
        op, created = store.create_pending(
            kind=OpKind.RESIZE,
            intent_json="{}",
            requester="U_N",
            channel="C_9",
            now=NOW,
            expires_at=NOW + timedelta(minutes=15),
        )
        assert created and store.get_pending(op.id) is not None
        assert store.put_inbox(InboxKind.COMMAND, "after-upgrade", {"text": "help"}, NOW)
        store.record_event(NOW, AuditAction.CONFIRM_REFUSED, actor="U_N", channel="C_9")
        assert store.pending_work()["inbox"] == (2 if version >= 3 else 1)
    finally:
        store.close()


def test_a_newer_alembic_revision_is_refused(db_url: str) -> None:
    Store.from_url(db_url).close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaTooNewError, match="version 9999, newer than this sdrs-bot knows"):
        Store.from_url(db_url)


def test_a_newer_pre_alembic_version_is_refused(db_url: str) -> None:
    _create_from_frozen_ddl(db_url, 3)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(schema_version.update().values(version=7))
    engine.dispose()
    with pytest.raises(SchemaTooNewError, match=r"version 7, newer than this sdrs-bot knows"):
        Store.from_url(db_url)
    engine = make_engine(db_url)
    try:
        assert "alembic_version" not in inspect(engine).get_table_names()  # left as it was
    finally:
        engine.dispose()


_START = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
from bot.store import Store
store = Store.from_url(sys.argv[1])
print(store.schema_version)
store.close()
"""


@pytest.mark.process
def test_concurrent_first_starts_in_processes_migrate_once(db_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _START, db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0] * 4, outputs
    assert [out.strip() for out, _ in outputs] == [head_revision()] * 4
    migrations = sum(err.count("migrating the database from empty") for _, err in outputs)
    assert migrations == 1, outputs
    engine = make_engine(db_url)
    try:
        assert _revision_rows(engine) == [head_revision()]
        assert _legacy_version(engine) == [ALEMBIC_MANAGED]
    finally:
        engine.dispose()
