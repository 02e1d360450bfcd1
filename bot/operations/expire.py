"""Expiring confirmations nobody decided in time: their buttons are replaced by "Expired"
(an outbox edit queued in the same transaction)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.core.facts import Announcement
from bot.core.records import OutboxMessage, PendingOperation
from bot.core.states import EventKind, OpState
from bot.operations.deps import Deps
from bot.operations.messages import decided_update


async def expire_sweep(deps: Deps) -> list[str]:
    """Expire every overdue confirmation; the ids expired."""
    now = deps.now()
    accounts: dict[str, str] = {}  # op id -> account, counted once the expiry is stored

    def messages(op: PendingOperation) -> list[OutboxMessage]:
        accounts[op.id] = deps.fleet.resolve(op.account)
        expired = replace(op, state=OpState.EXPIRED, decided_at=now)
        announced = Announcement(
            event=EventKind.EXPIRED, op=op.facts, channel=op.channel, thread_ts=op.message_ts
        )
        edit = [decided_update(expired)] if op.message_ts else []
        return [*edit, *deps.announce(op.id, announced, skip=op.channel)]

    expired = await asyncio.to_thread(deps.store.expire_due, now, messages)
    if expired:
        for op_id in expired:
            deps.metrics.confirmations.labels("expired", accounts.get(op_id, "")).inc()
        deps.kick()
    return expired
