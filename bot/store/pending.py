"""Pending confirmations of the Slack flow.

A confirmation moves
``pending -> confirmed | cancelled | expired`` exactly once: the move is a single conditional
``UPDATE ... WHERE state = 'pending' AND expires_at > now``, so double clicks, two people
clicking at once, Slack retries and clicks served by another replica all see one winner (the
database decides, not the process). Times are stored as UTC epoch seconds, which compare the
same way on every backend.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bot.core.records import OutboxMessage, PendingOperation, ScheduledOperation, Transition
from bot.core.states import AuditAction, ExecState, OpKind, OpState
from bot.store.jobs import audit_in
from bot.store.outbox import ChannelLanguage, enqueue_in
from bot.store.scheduled import schedule_in
from bot.store.schema import pending_operations
from bot.store.times import epoch as _epoch
from bot.store.times import from_epoch as _time


def new_operation_id() -> str:
    """Opaque and unguessable: it is all a button carries."""
    return uuid.uuid4().hex


def _row_to_op(m: Any) -> PendingOperation:
    created, expires = _time(m["created_at"]), _time(m["expires_at"])
    assert created is not None and expires is not None
    return PendingOperation(
        id=m["id"],
        kind=OpKind(m["kind"]),
        intent_json=m["intent_json"],
        facts_json=m["facts_json"],
        summary=m["summary"] or "",
        request_key=m["request_key"],
        requester=m["requester"],
        channel=m["channel"],
        message_ts=m["message_ts"],
        created_at=created,
        expires_at=expires,
        state=OpState(m["state"]),
        decided_by=m["decided_by"],
        decided_at=_time(m["decided_at"]),
        checked_json=m["checked_json"],
        account=m["account"] or "",
    )


class PendingStore:
    """Pending confirmations (a mixin of :class:`bot.store.Store`)."""

    engine: Engine
    channel_language: ChannelLanguage  # see Store

    # ---- pending operations -------------------------------------------------------------
    def create_pending(
        self,
        *,
        kind: OpKind,
        intent_json: str,
        requester: str,
        channel: str,
        now: datetime,
        expires_at: datetime,
        facts_json: str | None = None,
        request_key: str | None = None,
        checked_json: str | None = None,
        account: str = "",
    ) -> tuple[PendingOperation, bool]:
        """Insert a pending operation; ``(op, False)`` when ``request_key`` was seen before
        (the same command delivered twice), with the operation made the first time."""
        op_id = new_operation_id()
        row: dict[str, object] = {
            "id": op_id,
            "kind": kind.value,
            "intent_json": intent_json,
            "summary": "",
            "facts_json": facts_json,
            "request_key": request_key,
            "requester": requester,
            "channel": channel,
            "message_ts": None,
            "created_at": _epoch(now),
            "expires_at": _epoch(expires_at),
            "state": OpState.PENDING.value,
            "decided_by": None,
            "decided_at": None,
            "checked_json": checked_json,
            "account": account,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(pending_operations.insert().values(**row))
                audit_in(
                    conn,
                    now,
                    AuditAction.REQUESTED,
                    op_id=op_id,
                    actor=requester,
                    channel=channel,
                    detail={"kind": kind.value, "intent": intent_json},
                    account=account,
                )
        except IntegrityError:
            if request_key is None:
                raise
            existing = self._get_where(pending_operations.c.request_key == request_key)
            if existing is None:
                raise
            return existing, False
        return _row_to_op(row), True  # the one mapping from a row, for what was just written

    def get_pending(self, op_id: str) -> PendingOperation | None:
        return self._get_where(pending_operations.c.id == op_id)

    def _get_where(self, condition: ColumnElement[bool]) -> PendingOperation | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(pending_operations).where(condition)).first()
        return None if row is None else _row_to_op(row._mapping)

    def set_message_ts(
        self,
        op_id: str,
        ts: str,
        *,
        messages: Sequence[OutboxMessage] = (),
        now: datetime | None = None,
    ) -> None:
        """Record the confirmation's ts, and queue ``messages`` (announcements) with it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(pending_operations)
                .where(pending_operations.c.id == op_id)
                .values(message_ts=ts)
            )
            for message in messages:
                enqueue_in(conn, message, now or datetime.now(UTC), self.channel_language)

    def decide(
        self,
        op_id: str,
        to: OpState,
        user: str,
        now: datetime,
        *,
        owner: str = "",
        exec_lease: float = 300.0,
        messages: Sequence[OutboxMessage] = (),
        schedule: ScheduledOperation | None = None,
    ) -> Transition:
        """Move a still-pending, unexpired operation to ``to`` (confirmed, cancelled or stale).

        Confirming also starts its execution under ``owner``'s lease, in the same statement:
        if that replica dies before recording the outcome, :meth:`claim_interrupted` finds it.
        Confirming with ``schedule`` instead records it as scheduled for its window (no
        execution yet: :mod:`bot.store.scheduled` starts it), in the same transaction.
        """
        if to not in (OpState.CONFIRMED, OpState.CANCELLED, OpState.STALE):
            raise ValueError(f"cannot decide to {to}")
        t = pending_operations.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(pending_operations)
                .where(
                    t.id == op_id,
                    t.state == OpState.PENDING.value,
                    t.expires_at > _epoch(now),
                )
                .values(
                    state=to.value,
                    decided_by=user,
                    decided_at=_epoch(now),
                    **(
                        {
                            "exec_state": ExecState.RUNNING.value,
                            "exec_owner": owner,
                            "exec_until": _epoch(now) + exec_lease,
                        }
                        if to is OpState.CONFIRMED and schedule is None
                        else {}
                    ),
                )
            )
            won = result.rowcount == 1
            if won:
                audit_in(conn, now, AuditAction(to.value), op_id=op_id, actor=user)
                if schedule is not None and to is OpState.CONFIRMED:
                    schedule_in(conn, schedule, now)
                    audit_in(
                        conn,
                        now,
                        AuditAction.SCHEDULED,
                        op_id=op_id,
                        actor=user,
                        detail={
                            "window": schedule.window,
                            "starts_at": schedule.starts_at.isoformat(),
                            "ends_at": schedule.ends_at.isoformat(),
                            "moves_on_miss": schedule.moves_on_miss,
                        },
                    )
                for message in messages:  # announcements: only the winner's
                    enqueue_in(conn, message, now, self.channel_language)
        return Transition(won, self.get_pending(op_id))

    def withdraw(self, op_id: str, now: datetime, *, reason: str) -> bool:
        """The bot withdraws a still-pending operation whose confirmation Slack may or may not
        have posted (nobody decided it: no ``decided_by``; audited ``withdrawn`` with no
        actor). False when it was no longer pending."""
        t = pending_operations.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(pending_operations)
                .where(t.id == op_id, t.state == OpState.PENDING.value)
                .values(state=OpState.WITHDRAWN.value, decided_by=None, decided_at=_epoch(now))
            )
            if result.rowcount != 1:
                return False
            audit_in(conn, now, AuditAction.WITHDRAWN, op_id=op_id, detail={"reason": reason})
        return True

    def adopt_message_ts(self, op_id: str, ts: str) -> None:
        """Record the confirmation's ts if it is missing (the process died between posting
        the confirmation and saving its ts; the click tells us)."""
        t = pending_operations.c
        with self.engine.begin() as conn:
            conn.execute(
                update(pending_operations)
                .where(t.id == op_id, t.message_ts.is_(None))
                .values(message_ts=ts)
            )

    def renew_execution(self, op_id: str, owner: str, now: datetime, lease_seconds: float) -> bool:
        """Extend ``owner``'s execution lease of ``op_id`` (it is still executing it, alive);
        False when the execution is no longer ``owner``'s (over, or taken as interrupted)."""
        t = pending_operations.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(pending_operations)
                .where(
                    t.id == op_id,
                    t.exec_state == ExecState.RUNNING.value,
                    t.exec_owner == owner,
                )
                .values(exec_until=_epoch(now) + lease_seconds)
            )
        return result.rowcount == 1

    def claim_interrupted(
        self, owner: str, now: datetime, lease_seconds: float
    ) -> list[PendingOperation]:
        """Confirmed operations whose execution lease ran out (the replica died mid-way)."""
        t = pending_operations.c
        at = _epoch(now)
        claimed = []
        with self.engine.connect() as conn:
            ids = [
                r.id
                for r in conn.execute(
                    select(t.id)
                    .where(t.exec_state == ExecState.RUNNING.value, t.exec_until < at)
                    .limit(100)
                )
            ]
        for op_id in ids:
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(pending_operations)
                    .where(
                        t.id == op_id, t.exec_state == ExecState.RUNNING.value, t.exec_until < at
                    )
                    .values(exec_owner=owner, exec_until=at + lease_seconds)
                ).rowcount
            if won == 1:
                op = self.get_pending(op_id)
                if op is not None:
                    claimed.append(op)
        return claimed

    def expire_due(
        self,
        now: datetime,
        announce: Callable[[PendingOperation], Sequence[OutboxMessage]] | None = None,
    ) -> list[str]:
        """Mark every pending operation past its expiry as expired; returns their ids.
        ``announce`` gives the messages each expiry queues (in the same transaction)."""
        t = pending_operations.c
        with self.engine.begin() as conn:
            due = [
                _row_to_op(r._mapping)
                for r in conn.execute(
                    select(pending_operations).where(
                        t.state == OpState.PENDING.value, t.expires_at <= _epoch(now)
                    )
                )
            ]
            expired = []
            for op in due:
                res = conn.execute(
                    update(pending_operations)
                    .where(t.id == op.id, t.state == OpState.PENDING.value)
                    .values(state=OpState.EXPIRED.value, decided_at=_epoch(now))
                )
                if res.rowcount == 1:
                    expired.append(op.id)
                    audit_in(conn, now, AuditAction.EXPIRED, op_id=op.id)
                    for message in announce(op) if announce else ():
                        enqueue_in(conn, message, now, self.channel_language)
        return expired
