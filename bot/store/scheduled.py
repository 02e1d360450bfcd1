"""Scheduled operations: confirmed now, started in their maintenance window by one replica.

The row is written with the confirmation (:meth:`bot.store.pending.PendingStore.decide`, in
the same transaction). A tick claims due rows with a lease in one statement
(:func:`bot.store.lease.lease_rows`: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so replicas
look at disjoint rows; starting is one conditional ``UPDATE ... WHERE state = 'scheduled' AND
lease_owner = me`` that also starts the operation's execution lease (exactly one replica
starts each, and a crash after it is an interrupted execution, never a second start).
Cancelling is the same kind of ``UPDATE`` without the lease condition: whichever commits
first wins, and a cancel after the start is refused. Not starting (or moving to the next
window) writes the row and the messages reporting it in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot.core.records import OutboxMessage, ScheduledOperation
from bot.core.states import AuditAction, ExecState, ScheduleState
from bot.store.jobs import audit_in
from bot.store.lease import lease_rows
from bot.store.outbox import ChannelLanguage, enqueue_in
from bot.store.schema import pending_operations, scheduled_operations
from bot.store.times import epoch, from_epoch

_S = ScheduleState.SCHEDULED.value


def _row(m: Any) -> ScheduledOperation:
    return ScheduledOperation(
        op_id=m["op_id"],
        account=m["account"] or "",
        channel=m["channel"],
        window=m["window_name"] or "",
        starts_at=from_epoch(m["starts_at"]),
        ends_at=from_epoch(m["ends_at"]),
        moves_on_miss=bool(m["moves_on_miss"]),
        state=ScheduleState(m["state"]),
        created_at=from_epoch(m["created_at"]),
        moves=int(m["moves"] or 0),
        reason=m["reason"],
        cancelled_by=m["cancelled_by"],
    )


def schedule_in(conn: Connection, s: ScheduledOperation, now: datetime) -> None:
    """Insert the row of a just-confirmed scheduled operation (inside the decision)."""
    conn.execute(
        insert(scheduled_operations).values(
            op_id=s.op_id,
            account=s.account,
            channel=s.channel,
            window_name=s.window,
            starts_at=epoch(s.starts_at),
            ends_at=epoch(s.ends_at),
            moves_on_miss=s.moves_on_miss,
            state=_S,
            moves=0,
            created_at=epoch(now),
            updated_at=epoch(now),
        )
    )


class ScheduledStore:
    engine: Engine
    channel_language: ChannelLanguage  # see Store

    def get_scheduled(self, op_id: str) -> ScheduledOperation | None:
        t = scheduled_operations
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.op_id == op_id)).first()
        return None if row is None else _row(row._mapping)

    def list_scheduled(self, channel: str) -> list[ScheduledOperation]:
        """The channel's operations still waiting for their window, soonest first."""
        t = scheduled_operations.c
        query = (
            select(scheduled_operations)
            .where(t.channel == channel, t.state == _S)
            .order_by(t.starts_at)
            .limit(50)
        )
        with self.engine.connect() as conn:
            return [_row(r._mapping) for r in conn.execute(query)]

    def claim_scheduled(
        self, owner: str, now: datetime, *, lease_seconds: float, limit: int = 20
    ) -> list[ScheduledOperation]:
        """Due rows (their window has begun) nobody holds, leased to ``owner``."""
        t = scheduled_operations.c
        at = epoch(now)
        rows = lease_rows(
            self.engine,
            scheduled_operations,
            t.op_id,
            due=and_(t.state == _S, t.starts_at <= at),
            owner=owner,
            at=at,
            lease_seconds=lease_seconds,
            order_by=t.starts_at,
            limit=limit,
            returning=list(scheduled_operations.c),
        )
        return [_row(r._mapping) for r in rows]

    def release_scheduled(self, op_id: str, owner: str) -> None:
        """Give a claimed row back (the cloud could not be read: the next tick tries again)."""
        t = scheduled_operations.c
        with self.engine.begin() as conn:
            conn.execute(
                update(scheduled_operations)
                .where(t.op_id == op_id, t.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def start_scheduled(self, op_id: str, owner: str, now: datetime, *, exec_lease: float) -> bool:
        """``scheduled -> started`` if ``owner`` still holds the claim and nobody cancelled it,
        starting the operation's execution lease in the same transaction (a crash before its
        outcome is recorded is found by ``claim_interrupted``). True: this caller starts it."""
        t, p = scheduled_operations.c, pending_operations.c
        at = epoch(now)
        with self.engine.begin() as conn:
            won = (
                conn.execute(
                    update(scheduled_operations)
                    .where(t.op_id == op_id, t.state == _S, t.lease_owner == owner)
                    .values(
                        state=ScheduleState.STARTED.value,
                        updated_at=at,
                        lease_owner=None,
                        lease_until=None,
                    )
                ).rowcount
                == 1
            )
            if won:
                conn.execute(
                    update(pending_operations)
                    .where(p.id == op_id)
                    .values(
                        exec_state=ExecState.RUNNING.value,
                        exec_owner=owner,
                        exec_until=at + exec_lease,
                    )
                )
                audit_in(conn, now, AuditAction.SCHEDULED_START, op_id=op_id)
        return won

    def not_started(
        self,
        op_id: str,
        owner: str,
        now: datetime,
        *,
        reason: str,
        moved_to: tuple[datetime, datetime] | None = None,
        messages: Sequence[OutboxMessage] = (),
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """It cannot start in this window: ``not-started``, or (``moved_to``) scheduled again
        for that window; the messages reporting it are queued in the same transaction. False:
        this caller no longer holds it (cancelled, or another replica took it)."""
        t = scheduled_operations.c
        at = epoch(now)
        values: dict[str, Any] = {
            "reason": reason,
            "updated_at": at,
            "lease_owner": None,
            "lease_until": None,
        }
        if moved_to is None:
            values["state"] = ScheduleState.NOT_STARTED.value
        else:
            values.update(
                starts_at=epoch(moved_to[0]), ends_at=epoch(moved_to[1]), moves=t.moves + 1
            )
        with self.engine.begin() as conn:
            won = (
                conn.execute(
                    update(scheduled_operations)
                    .where(t.op_id == op_id, t.state == _S, t.lease_owner == owner)
                    .values(**values)
                ).rowcount
                == 1
            )
            if won:
                for message in messages:
                    enqueue_in(conn, message, now, self.channel_language)
                audit_in(
                    conn,
                    now,
                    AuditAction.NOT_STARTED,
                    op_id=op_id,
                    detail={"reason": reason, "moved": moved_to is not None, **(detail or {})},
                )
        return won

    def cancel_scheduled(
        self, op_id: str, user: str, now: datetime, *, messages: Sequence[OutboxMessage] = ()
    ) -> tuple[bool, ScheduledOperation | None]:
        """``scheduled -> cancelled`` unless it started (or ended) first: (won, the row now)."""
        t = scheduled_operations.c
        with self.engine.begin() as conn:
            won = (
                conn.execute(
                    update(scheduled_operations)
                    .where(t.op_id == op_id, t.state == _S)
                    .values(
                        state=ScheduleState.CANCELLED.value,
                        cancelled_by=user,
                        updated_at=epoch(now),
                        lease_owner=None,
                        lease_until=None,
                    )
                ).rowcount
                == 1
            )
            if won:
                for message in messages:
                    enqueue_in(conn, message, now, self.channel_language)
                audit_in(conn, now, AuditAction.SCHEDULE_CANCELLED, op_id=op_id, actor=user)
        return won, self.get_scheduled(op_id)
