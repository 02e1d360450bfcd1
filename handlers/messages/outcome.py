"""How a confirmation ends: the line that replaces its buttons (confirmed and what came of
it, cancelled, expired, withdrawn, out of date, scheduled), the Cancel button kept while it
waits for its window, and what a click on a confirmation that ended, or is not ours, is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.core.facts import Decided
from bot.core.notices import AlreadyDecided, ForeignOperation, UnknownOperation
from bot.core.states import OpState
from handlers.i18n import _
from handlers.messages.confirmation import CANCEL_ACTION
from handlers.messages.operation import summary
from handlers.messages.preflight import changed_text
from handlers.messages.runbook import runbook_end_text
from handlers.messages.text import Blocks, dicts, escape, md_section
from handlers.messages.windows import scheduled_outcome_text


def decided(d: Decided) -> tuple[str, Blocks]:
    """The confirmation message after the decision (a Cancel button while it waits for its
    window)."""
    outcome = decided_text(d)
    s = d.schedule
    waiting = (
        s is not None
        and s.state == "scheduled"
        and s.op_id
        and d.job_id is None
        and d.failure is None
    )
    return outcome, outcome_blocks(
        summary(d.op), outcome, cancel_op=s.op_id if waiting and s else None
    )


def decided_text(d: Decided) -> str:
    """How a confirmation ended, for the line that replaces its buttons."""
    if d.state is OpState.EXPIRED:
        return expired_text()
    if d.state is OpState.WITHDRAWN:
        return withdrawn_text()
    if d.state is OpState.STALE and d.renamed_since is not None:
        return renamed_since_text(d.renamed_since)
    if d.state is OpState.STALE:
        return changed_text(d.changed_sites)
    requested = _("Requested by <@{user}>").format(user=d.requester)
    if d.state is OpState.CANCELLED:
        return f"{requested} · {cancelled_text(d.by or d.requester)}"
    confirmed = confirmed_text(d.by or d.requester, d.at) if d.at else _("Confirmed")
    head = f"{requested} · {confirmed}"
    if d.schedule is not None and d.job_id is None and d.failure is None:
        return f"{head} · {scheduled_outcome_text(d.schedule)}"
    if d.failure is not None:
        end = (
            _("outcome unknown: check before asking again")
            if d.failure.kind == "unknown"
            else _("not done: {code}").format(
                code=escape(d.failure.code) if d.failure.code else _("no answer from SDRS")
            )
        )
        if d.failure.unavailable and d.failure.sent != "maybe":
            end = _("{end} (Huawei Cloud unavailable; nothing was changed)").format(end=end)
        return f"{head} · :x: {end}"
    if d.renamed_to is not None:
        return _("{head} · :white_check_mark: renamed").format(head=head)
    if d.runbook is not None:
        return f"{head} · {runbook_end_text(d)}"
    if d.job_id and d.job_status:
        mark = ":white_check_mark:" if d.job_status == "SUCCESS" else ":x:"
        return _("{head} · job `{job}`: {mark} {status}").format(
            head=head, job=escape(d.job_id), mark=mark, status=escape(d.job_status)
        )
    if d.job_id:
        return _("{head} · job `{job}`: :arrows_counterclockwise: running").format(
            head=head, job=escape(d.job_id)
        )
    return head


def outcome_blocks(
    summary: str, outcome: str, *, cancel_op: str | None = None
) -> list[dict[str, Any]]:
    """The confirmation message after the decision: buttons replaced by the outcome (with
    ``cancel_op``, a Cancel button for an operation waiting for its window)."""
    parts: list[Block] = [
        md_section(summary),
        ContextBlock(elements=[MarkdownTextObject(text=outcome)]),
    ]
    if cancel_op:
        cancel = ButtonElement(
            text=_("Cancel"),
            action_id=CANCEL_ACTION,
            value=cancel_op,
            style="danger",
            confirm=ConfirmObject(
                title=_("Cancel the scheduled run?"),
                text=PlainTextObject(text=_("It will not run in its window.")),
                confirm=_("Cancel it"),
                deny=_("Back"),
            ),
        )
        parts.append(ActionsBlock(block_id=f"sdrs_sched_{cancel_op}", elements=[cancel]))
    return dicts(parts)


def confirmed_text(user: str, when: datetime) -> str:
    return _(":white_check_mark: Confirmed by <@{user}> at {at} UTC").format(
        user=user, at=f"{when:%Y-%m-%d %H:%M:%S}"
    )


def cancelled_text(user: str) -> str:
    return _(":no_entry_sign: Cancelled by <@{user}>").format(user=user)


def withdrawn_text() -> str:
    return _(
        ":no_entry_sign: Withdrawn by the bot: Slack did not confirm that this confirmation was "
        "posted, so it cannot be used. Nothing was sent to SDRS. Ask again if it is still needed."
    )


def expired_text() -> str:
    return _(":hourglass: Expired - nothing was sent to SDRS. Ask again if it is still needed.")


def renamed_since_text(name: str) -> str:
    return _(
        ":warning: The drill was renamed to `{name}` since this was requested, so "
        "what this confirmation shows is out of date. Nothing was sent to SDRS; ask again."
    ).format(name=escape(name))


# ---- a click on a confirmation that ended, or is not ours ----------------------------------


def already_decided_text(n: AlreadyDecided) -> str:
    who = _(" by <@{user}>").format(user=n.by) if n.by else ""
    if n.state == "expired":
        return _("This confirmation has expired; nothing was sent to SDRS. Ask again if needed.")
    if n.state == "withdrawn":
        return withdrawn_text()
    if n.state == "stale":
        return _(
            "This confirmation is out of date (the cloud changed since it was requested); "
            "nothing was sent to SDRS. Ask again to see the current state."
        )
    if n.state == "confirmed":
        return _("This operation was already confirmed{by}; nothing more was done.").format(by=who)
    if n.state == "cancelled":
        return _("This operation was already cancelled{by}; nothing more was done.").format(by=who)
    return _("This operation was already {state}{by}; nothing more was done.").format(
        state=escape(n.state), by=who
    )


def unknown_operation_text(n: UnknownOperation) -> str:
    return _("This confirmation is not known to me (it may belong to another installation).")


def foreign_operation_text(n: ForeignOperation) -> str:
    return _("This confirmation belongs to another channel; nothing was changed.")
