"""The inbox: Slack payloads a web process acked and a worker process will handle
(``WORKER_PROCESSES``). Taking the work out of the process that acks keeps acks fast while
SDRS answers arrive in bursts, and an acked command survives a worker's crash: a row is leased
while a worker handles it and deleted when done; a worker that dies leaves it to another after
the lease. (The serving process writes the row just after its ack; only a crash of the serving
process in those milliseconds loses a command - the all-in-one mode loses every command whose
work was in flight.) Handling is idempotent where it matters (a command's confirmation is
keyed by its trigger id; a click's decision is one conditional UPDATE)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.core.states import InboxKind
from bot.store.lease import lease_rows
from bot.store.schema import inbox
from bot.store.times import epoch


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: InboxKind
    payload: dict[str, Any]
    attempts: int


class InboxStore:
    engine: Engine

    def put_inbox(
        self, kind: InboxKind, dedupe_key: str, payload: dict[str, Any], now: datetime
    ) -> bool:
        """False when this key is already there (a Slack retry of the same delivery)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(inbox).values(
                        dedupe_key=dedupe_key,
                        kind=kind.value,
                        received_at=epoch(now),
                        attempts=0,
                        payload_json=json.dumps(payload, ensure_ascii=False),
                    )  # fmt: skip
                )
        except IntegrityError:
            return False
        return True

    def take_inbox(
        self, owner: str, now: datetime, *, lease_seconds: float, limit: int
    ) -> list[InboxItem]:
        """Lease up to ``limit`` items, oldest first (free ones, or ones whose lease ran out),
        in one statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
        t = inbox.c
        at = epoch(now)
        rows = lease_rows(
            self.engine, inbox, t.id, free=or_(t.lease_until.is_(None), t.lease_until < at),
            order_by=t.id, limit=limit,
            values={"lease_owner": owner, "lease_until": at + lease_seconds,
                    "attempts": t.attempts + 1},
            returning=[t.id, t.kind, t.payload_json, t.attempts],
        )  # fmt: skip
        items = [
            InboxItem(r.id, InboxKind(r.kind), json.loads(r.payload_json), r.attempts) for r in rows
        ]
        return sorted(items, key=lambda item: item.id)

    def done_inbox(self, item_ids: list[int]) -> None:
        if not item_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(inbox).where(inbox.c.id.in_(item_ids)))

    def inbox_depth(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inbox)).scalar_one())
