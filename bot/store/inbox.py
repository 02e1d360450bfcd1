"""The inbox: Slack payloads the serving process acked and that still need handling.

Every command and click that needs more than the ack is written here before the ack, in both
modes: with ``WORKER_PROCESSES`` the row waits for a worker process (keeping the serving
process's acks fast while SDRS answers arrive in bursts); without, the serving process leases
the row to itself and handles it at once. On a SQLite file the inbox is a file of its own
(:func:`bot.store.inbox_url`: the acks' commits do not queue behind the other writes); its table
is made there when missing, and rows an older version left in the main file are moved into it
(:func:`open_inbox_file`). A row is leased while someone handles it and deleted
when done; a process that dies leaves its rows to the next inbox tick after their lease, so an
acked command or click is never lost. Handling is idempotent where it matters (a command's
confirmation is keyed by its trigger id; a click's decision is one conditional UPDATE)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.core.states import AuditAction, InboxKind
from bot.store.jobs import audit_in
from bot.store.lease import lease_rows
from bot.store.schema import inbox, sqlite_write_transaction
from bot.store.times import epoch


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: InboxKind
    payload: dict[str, Any]
    attempts: int

    def sender(self) -> tuple[str | None, str | None]:
        """(user, channel) the item came from, in any payload shape it was queued in: typed
        (``user``/``channel``), a raw slash command (``user_id``/``channel_id``), or an older
        version's click (Slack's ``body``)."""
        p = self.payload
        raw_body = p.get("body")
        body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
        user = p.get("user") or p.get("user_id") or (body.get("user") or {}).get("id")
        channel = p.get("channel") or p.get("channel_id") or (body.get("channel") or {}).get("id")
        return (str(user) if user else None), (str(channel) if channel else None)


def open_inbox_file(main: Engine, own: Engine) -> None:
    """The inbox's own SQLite file, ready: its table made if missing, and the rows an older
    version acked into the main file's inbox moved here (copied - a key already here is kept -
    then deleted there: a crash in between moves them again, none lost, none doubled). The
    table keeps its schema (:data:`bot.store.schema.inbox`); a change to it must be made here
    as well as in a migration."""
    with own.connect() as conn, sqlite_write_transaction(conn):  # processes starting at once
        inbox.metadata.create_all(conn, tables=[inbox], checkfirst=True)
        with main.connect() as old:
            left = old.execute(select(inbox)).mappings().all()
        if left:
            conn.execute(
                sqlite_insert(inbox)
                .values([{k: v for k, v in row.items() if k != "id"} for row in left])
                .on_conflict_do_nothing(index_elements=[inbox.c.dedupe_key])
            )
    if not left:
        return
    with main.begin() as conn:
        conn.execute(delete(inbox).where(inbox.c.id.in_([row["id"] for row in left])))


class InboxStore:
    engine: Engine
    inbox_engine: Engine  # the same engine but on a SQLite file (bot.store.inbox_url)

    def put_inbox(
        self,
        kind: InboxKind,
        dedupe_key: str,
        payload: dict[str, Any],
        now: datetime,
        *,
        owner: str | None = None,
        lease_seconds: float = 0.0,
    ) -> int | None:
        """The new item's id; None when this key is already there (a Slack retry of the same
        delivery). With ``owner``, the item is leased to it for ``lease_seconds`` (the serving
        process handles it itself; if it dies, the item is taken again after the lease)."""
        leased = {"lease_owner": owner, "lease_until": epoch(now) + lease_seconds} if owner else {}
        try:
            with self.inbox_engine.begin() as conn:
                return int(
                    conn.execute(
                        insert(inbox)
                        .values(
                            dedupe_key=dedupe_key,
                            kind=kind.value,
                            received_at=epoch(now),
                            attempts=1 if owner else 0,
                            payload_json=json.dumps(payload, ensure_ascii=False),
                            **leased,
                        )
                        .returning(inbox.c.id)
                    ).scalar_one()
                )
        except IntegrityError:
            return None

    def take_inbox(
        self, owner: str, now: datetime, *, lease_seconds: float, limit: int
    ) -> list[InboxItem]:
        """Lease up to ``limit`` items, oldest first (free ones, or ones whose lease ran out),
        in one statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
        t = inbox.c
        at = epoch(now)
        rows = lease_rows(
            self.inbox_engine,
            inbox,
            t.id,
            owner=owner,
            at=at,
            lease_seconds=lease_seconds,
            order_by=t.id,
            limit=limit,
            also={"attempts": t.attempts + 1},
            returning=[t.id, t.kind, t.payload_json, t.attempts],
        )
        items = [
            InboxItem(r.id, InboxKind(r.kind), json.loads(r.payload_json), r.attempts) for r in rows
        ]
        return sorted(items, key=lambda item: item.id)

    def put_inbox_many(self, rows: Sequence[Any]) -> list[int | None]:
        """Several :meth:`put_inbox` in one transaction and one statement (group commit,
        :mod:`bot.store.intake`: on the way to acks): each row's id, or None for a key that
        was there already (or earlier in ``rows``). ``INSERT ... ON CONFLICT DO NOTHING``: a key
        another replica wrote meanwhile is a key that was there."""
        postgres = self.inbox_engine.dialect.name == "postgresql"  # the intake's statements
        params = pg_arrays(rows) if postgres else sqlite_rows(rows)
        if params is None:
            return []
        with self.inbox_engine.begin() as conn:
            found = conn.exec_driver_sql(PG_INSERT_ROWS if postgres else SQLITE_INSERT_ROWS, params)
            made = {str(key): int(item_id) for item_id, key in found}
        return ids_of(rows, made)

    def retry_inbox(self, item_id: int, owner: str, at: datetime) -> None:
        """Give an item back, to be taken again from ``at`` on (its handling failed)."""
        with self.inbox_engine.begin() as conn:
            conn.execute(
                update(inbox)
                .where(inbox.c.id == item_id, inbox.c.lease_owner == owner)
                .values(lease_until=epoch(at))
            )

    def dead_inbox(self, item: InboxItem, now: datetime, reason: str) -> None:
        """Set an item that keeps failing aside: it leaves the inbox and stays in the audit
        trail (``inbox-dead``, with its payload) for a person to look at."""
        user, channel = item.sender()
        # in the audit trail first, then out of the inbox (two files on SQLite: a crash in
        # between sets it aside again, audited twice rather than lost)
        with self.engine.begin() as conn:
            audit_in(
                conn,
                now,
                AuditAction.INBOX_DEAD,
                actor=user,
                channel=channel,
                detail={
                    "kind": item.kind.value,
                    "attempts": item.attempts,
                    "reason": reason,
                    "payload": item.payload,
                },
            )
        with self.inbox_engine.begin() as conn:
            conn.execute(delete(inbox).where(inbox.c.id == item.id))

    def done_inbox(self, item_ids: list[int]) -> None:
        if not item_ids:
            return
        with self.inbox_engine.begin() as conn:
            conn.execute(delete(inbox).where(inbox.c.id.in_(item_ids)))

    def inbox_depth(self) -> int:
        with self.inbox_engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inbox)).scalar_one())


#: The inbox's columns a batch writes, in order, with their PostgreSQL array types.
_BATCH_COLUMNS = {
    "dedupe_key": "text[]",
    "kind": "text[]",
    "received_at": "float8[]",
    "attempts": "int4[]",
    "payload_json": "text[]",
    "lease_owner": "text[]",
    "lease_until": "float8[]",
}
#: :meth:`InboxStore.put_inbox_many`'s statement on PostgreSQL, as one fixed text: the batch is
#: one array per column (:func:`pg_arrays`), whatever its size. Nothing is compiled per batch
#: (SQLAlchemy's multi-row INSERT was compiled for each: 0.2 ms of the event loop's CPU for one
#: row, 1.8 ms for twenty, on the way to the acks) and psycopg prepares the statement on the
#: server after its fifth use. Each key's first row, ``ON CONFLICT DO NOTHING``, returning the
#: id and key of each row made.
PG_INSERT_ROWS = (
    f"INSERT INTO {inbox.name} ({', '.join(_BATCH_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%({c})s::{t}' for c, t in _BATCH_COLUMNS.items())}) "
    f"ON CONFLICT ({inbox.c.dedupe_key.name}) DO NOTHING "
    f"RETURNING {inbox.c.id.name}, {inbox.c.dedupe_key.name}"
)
#: The same on SQLite, one fixed text too: the batch is one JSON array of rows
#: (:func:`sqlite_rows`, read with ``json_each``). SQLAlchemy's multi-row VALUES was compiled
#: and cached once per batch size (up to :data:`bot.store.intake.MAX_BATCH` statements) and
#: cost the event loop 0.4 ms of CPU for one row, 2.1 ms for twenty; this 0.14 and 0.4 ms.
#: The ``WHERE true`` is SQLite's: an INSERT that takes a SELECT needs a WHERE before its
#: ON CONFLICT (the parsing ambiguity of https://sqlite.org/lang_upsert.html).
_FROM_JSON = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(_BATCH_COLUMNS)))
SQLITE_INSERT_ROWS = (
    f"INSERT INTO {inbox.name} ({', '.join(_BATCH_COLUMNS)}) "
    f"SELECT {_FROM_JSON} "
    "FROM json_each(?) WHERE true "
    f"ON CONFLICT ({inbox.c.dedupe_key.name}) DO NOTHING "
    f"RETURNING {inbox.c.id.name}, {inbox.c.dedupe_key.name}"
)


def sqlite_rows(rows: Sequence[Any]) -> tuple[str] | None:
    """:data:`SQLITE_INSERT_ROWS`' parameters for ``rows`` (None: no rows)."""
    values = _values(rows)
    if not values:
        return None
    return (json.dumps([[v[c] for c in _BATCH_COLUMNS] for v in values], ensure_ascii=False),)


def pg_arrays(rows: Sequence[Any]) -> dict[str, list[Any]] | None:
    """:data:`PG_INSERT_ROWS`' parameters for ``rows`` (None: no rows)."""
    values = _values(rows)
    if not values:
        return None
    return {column: [value[column] for value in values] for column in _BATCH_COLUMNS}


def _values(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The inbox row of each key's first row in ``rows``."""
    first: dict[str, Any] = {}
    for row in rows:
        first.setdefault(row.dedupe_key, row)
    values = []
    for row in first.values():
        at = epoch(row.now)
        values.append(
            {
                "dedupe_key": row.dedupe_key,
                "kind": row.kind.value,
                "received_at": at,
                "attempts": 1 if row.owner else 0,
                "payload_json": json.dumps(row.payload, ensure_ascii=False),
                "lease_owner": row.owner or None,
                "lease_until": at + row.lease_seconds if row.owner else None,
            }
        )
    return values


def ids_of(rows: Sequence[Any], made: dict[str, int]) -> list[int | None]:
    """Each row's id from ``made`` (key -> id of the rows inserted): a key's first row only."""
    return [made.pop(row.dedupe_key, None) for row in rows]
