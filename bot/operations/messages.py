"""The outbox messages operations queue about one operation (facts; rendered when sent)."""

from __future__ import annotations

from bot.core.facts import Decided, Message
from bot.core.records import OutboxMessage, PendingOperation


def decided_update(op: PendingOperation, **facts: object) -> OutboxMessage:
    """The edit of ``op``'s confirmation message that shows how it was decided (no buttons)."""
    return OutboxMessage(
        dedupe_key=f"op:{op.id}:decided",
        channel=op.channel,
        ts=op.message_ts,
        content=_decided(op, facts),
    )


def end_state(op: PendingOperation, *, key: str = "end", **facts: object) -> OutboxMessage:
    """The confirmation message, edited once more with how the operation ended (``key``: one
    edit per key; a runbook edits it when it starts and again when it ends)."""
    return OutboxMessage(
        dedupe_key=f"op:{op.id}:{key}",
        channel=op.channel,
        ts=op.message_ts,
        content=_decided(op, facts),
    )


def thread_reply(op: PendingOperation, key: str, content: Message) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=key, channel=op.channel, thread_ts=op.message_ts, content=content
    )


def _decided(op: PendingOperation, facts: dict[str, object]) -> Decided:
    return Decided.model_validate(
        {
            "op": op.facts,
            "requester": op.requester,
            "state": op.state,
            "by": op.decided_by,
            "at": op.decided_at,
            **facts,
        }
    )
