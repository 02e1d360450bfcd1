"""Facts -> Slack text and Block Kit, at the moment a message is sent.

The store keeps facts (:mod:`bot.core.facts`); every message is rendered here when it leaves,
with the wording of :mod:`handlers.blocks` and :mod:`handlers.preflight_blocks`. Pure.
"""

from __future__ import annotations

from typing import Any

from bot.core import notices
from bot.core.facts import (
    Announcement,
    Decided,
    FinalReport,
    Interrupted,
    LegacyFacts,
    NotStarted,
    OperationFacts,
    Renamed,
    RenameFacts,
    Rendered,
    ResizeFacts,
    RunbookEvent,
    StuckReport,
    SubmitFailed,
    Submitted,
)
from bot.core.policy import Policy
from bot.core.records import OutboxMessage, PendingOperation
from bot.core.states import JobState, OpState
from handlers import blocks, preflight_blocks
from handlers.blocks import escape

Blocks = list[dict[str, Any]] | None


def account_of(facts: OperationFacts) -> str:
    """The cloud account an operation acts on (mrkdwn, escaped), "" before accounts existed:
    "account `prod-cn` (cn-north-4)"."""
    if isinstance(facts, LegacyFacts) or not facts.account:
        return ""
    region = f" ({escape(facts.region)})" if facts.region else ""
    return f"account `{escape(facts.account)}`{region}"


def summary(facts: OperationFacts) -> str:
    """The operation spelled out (mrkdwn), as the confirmation shows it."""
    match facts:
        case ResizeFacts():
            text = preflight_blocks.describe_resize(facts)
        case RenameFacts():
            text = blocks.describe_rename(facts)
        case LegacyFacts():
            return facts.summary
    account = account_of(facts)
    text = f"{text}\n*Cloud:* {account}" if account else text
    if isinstance(facts, ResizeFacts) and facts.schedule is not None:
        text += f"\n*When:* {blocks.schedule_when_text(facts.schedule)}"
    return text


def headline(facts: OperationFacts) -> str:
    """One line naming the operation (mrkdwn, escaped), for notifications and lists."""
    match facts:
        case ResizeFacts():
            name = escape(facts.instance_name or facts.instance_id)
            flavors = ", ".join(
                f"{blocks.SITE_LABEL[c.site]} `{escape(c.current.id)}` → `{escape(c.new.id)}`"
                for c in facts.changes
            )
            line = f"Resize protected instance `{name}`" + (f" ({flavors})" if flavors else "")
        case RenameFacts():
            old = f"`{escape(facts.current_name)}`" if facts.current_name else "a drill"
            line = f"Rename DR drill {old} → `{escape(facts.new_name)}`"
        case LegacyFacts():
            return facts.summary.split("\n", 1)[0].replace("*", "")
    account = account_of(facts)
    return f"{line} in {account}" if account else line


def current_flavors(facts: OperationFacts) -> dict[str, str]:
    """site -> the flavor it had when the resize was confirmed (empty for anything else)."""
    if isinstance(facts, ResizeFacts):
        return {c.site: c.current.id for c in facts.changes}
    return {}


def subject(facts: OperationFacts) -> str:
    """What the operation acts on, briefly (mrkdwn, escaped): "resize of `erp-db`"."""
    match facts:
        case ResizeFacts():
            what = f"resize of `{escape(facts.instance_name or facts.instance_id)}`"
        case RenameFacts():
            what = f"rename of drill `{escape(facts.current_name or facts.drill_id)}`"
        case LegacyFacts():
            return headline(facts)
    account = account_of(facts)
    return f"{what} in {account}" if account else what


def dialog(facts: OperationFacts) -> str:
    """The confirm dialog's text (plain text: nothing escaped; at most Slack's 300 characters,
    names shortened with "…"): what changes, and for a stop-resize-start which running servers
    it stops first."""

    def clip(value: str, most: int) -> str:  # no "<...>" even in plain text: never a mention
        return blocks.clip(value.replace("<", "‹").replace(">", "›"), most)

    then = ""
    match facts:
        case ResizeFacts():
            flavors = ", ".join(
                f"{blocks.SITE_LABEL[c.site]} {clip(c.current.id, 20)} → {clip(c.new.id, 20)}"
                for c in facts.changes
            )
            what = f"Resize protected instance {clip(facts.instance_name or facts.instance_id, 40)}"
            what += f": {flavors}" if flavors else ""
            if facts.stop_start:
                active = [c for c in facts.changes if c.power == "ACTIVE"]
                running = [clip(c.server_name or c.server_id, 24) for c in active]
                how = "powered off" if facts.hard_stop else "shut down"
                then = (
                    f"Running servers are stopped first ({how}): {', '.join(running)}; "
                    "started again after the resize."
                    if running
                    else "Stop and start again: no server runs now, so none is stopped."
                )
        case RenameFacts():
            old = clip(facts.current_name or facts.drill_id, 40)
            what = f"Rename DR drill {old} → {clip(facts.new_name, 40)}"
        case LegacyFacts():
            what = ""
    if what and not isinstance(facts, LegacyFacts) and facts.account:
        what += f" (account {clip(facts.account, 32)})"
    return blocks.dialog_text(what, then)


def confirmation(op: PendingOperation, policy: Policy) -> tuple[str, Blocks]:
    text = f"{headline(op.facts)} - waiting for confirmation"
    return text, blocks.confirmation_blocks(
        op_id=op.id,
        summary=summary(op.facts),
        requester=op.requester,
        expires_at=op.expires_at,
        dialog=dialog(op.facts),
        approvers=blocks.approvers_text(policy, op.requester)
        if policy.approval_mode == "two-person"
        else None,
    )


def decided_text(d: Decided) -> str:
    """How a confirmation ended, for the line that replaces its buttons."""
    if d.state is OpState.EXPIRED:
        return blocks.expired_text()
    if d.state is OpState.WITHDRAWN:
        return blocks.withdrawn_text()
    if d.state is OpState.STALE and d.renamed_since is not None:
        return blocks.renamed_since_text(d.renamed_since)
    if d.state is OpState.STALE:
        return preflight_blocks.changed_text(d.changed_sites)
    requested = f"Requested by <@{d.requester}>"
    if d.state is OpState.CANCELLED:
        return f"{requested} · {blocks.cancelled_text(d.by or d.requester)}"
    confirmed = blocks.confirmed_text(d.by or d.requester, d.at) if d.at else "Confirmed"
    head = f"{requested} · {confirmed}"
    if d.schedule is not None and d.job_id is None and d.failure is None:
        return f"{head} · {blocks.scheduled_outcome_text(d.schedule)}"
    if d.failure is not None:
        end = (
            "outcome unknown: check before asking again"
            if d.failure.kind == "unknown"
            else f"not done: {escape(d.failure.code or 'no answer from SDRS')}"
        )
        if d.failure.unavailable and d.failure.sent != "maybe":
            end = f"{end} (Huawei Cloud unavailable; nothing was changed)"
        return f"{head} · :x: {end}"
    if d.renamed_to is not None:
        return f"{head} · :white_check_mark: renamed"
    if d.runbook is not None:
        return f"{head} · {blocks.runbook_end_text(d)}"
    if d.job_id and d.job_status:
        mark = ":white_check_mark:" if d.job_status == "SUCCESS" else ":x:"
        return f"{head} · job `{escape(d.job_id)}`: {mark} {escape(d.job_status)}"
    if d.job_id:
        return f"{head} · job `{escape(d.job_id)}`: :arrows_counterclockwise: running"
    return head


def message(msg: OutboxMessage, link: str | None = None) -> tuple[str, Blocks]:
    """(text, blocks) of an outbox message, rendered now (``link``: to the operation's thread,
    for a message seen outside it)."""
    content = msg.content
    match content:
        case Decided():
            outcome = decided_text(content)
            s = content.schedule
            waiting = (
                s is not None
                and s.state == "scheduled"
                and s.op_id
                and content.job_id is None
                and content.failure is None
            )
            return outcome, blocks.outcome_blocks(
                summary(content.op), outcome, cancel_op=s.op_id if waiting and s else None
            )
        case NotStarted():
            return blocks.not_started_text(content), None
        case Submitted():
            return blocks.submitted_text(content.job_id), None
        case SubmitFailed():
            return blocks.failure_text(content.failure, content.command, "thread"), None
        case Renamed():
            return blocks.renamed_text(content.name, content.unreadable), None
        case FinalReport():
            return blocks.final_report_text(
                content, subject(content.op), link, old_flavors=current_flavors(content.op)
            ), None
        case StuckReport():
            return blocks.stuck_text(content, link), None
        case Interrupted(cause="unreadable", received=True):
            return blocks.unreadable_but_received_text(content.instance_id), None
        case Interrupted(cause="unreadable"):
            return blocks.unreadable_resize_text(content.instance_id), None
        case Interrupted():
            if content.received:
                return blocks.interrupted_but_received_text(content.instance_id), None
            return blocks.interrupted_resize_text(content.instance_id), None
        case Announcement():
            return blocks.announce_text(content, headline(content.op), link), None
        case RunbookEvent():
            return blocks.runbook_text(content), None
        case Rendered():
            return content.text, content.blocks


def notice(n: notices.Notice) -> str:
    """The text of a private reply."""
    match n:
        case notices.Denied():
            return blocks.denial_text(n.denial)
        case notices.SameName():
            return blocks.same_name_text(n.name)
        case notices.PreflightRefused(check=check, at_confirm=True):
            return preflight_blocks.refused_at_confirm_text(check)
        case notices.PreflightRefused(check=check):
            return preflight_blocks.refused_request_text(check)
        case notices.CloudFailed():
            return blocks.failure_text(n.failure, n.command, n.at)
        case notices.NotPosted():
            return blocks.not_posted_text(n.error)
        case notices.UnknownOperation():
            return blocks.unknown_operation_text()
        case notices.ForeignOperation():
            return blocks.foreign_operation_text()
        case notices.AlreadyDecided():
            return blocks.already_decided_text(n.state, n.by)
        case notices.History():
            entries = [(e, headline(e.facts)) for e in n.entries]
            return blocks.history_text(entries, n.links, n.page)
        case notices.JobStatus():
            return blocks.status_text(n.job, n.now, headline(n.job.facts), n.link)
        case notices.RunbookJob():
            return blocks.runbook_job_text(n, subject(n.op.facts), n.link)
        case notices.Jobs():
            lines = [
                (j, blocks.status_text(j, n.now, headline(j.facts), n.links.get(j.thread_ts or "")))
                for j in n.jobs
            ]
            waiting = [
                blocks.scheduled_line(
                    s,
                    subject(op.facts),
                    op.requester,
                    op.decided_by,
                    n.links.get(op.message_ts or ""),
                )
                for s, op in n.scheduled
            ]
            running = [
                blocks.runbook_line(
                    step,
                    subject(op.facts),
                    op.requester,
                    op.decided_by,
                    n.links.get(op.message_ts or ""),
                )
                for step, op in n.runbooks
            ]
            ended = [
                blocks.runbook_job_text(r, subject(r.op.facts), n.links.get(r.op.message_ts or ""))
                for r in n.runbook_jobs
            ]
            return blocks.jobs_text(
                [*running, *(line for j, line in lines if j.state is JobState.TRACKING)],
                [*(line for j, line in lines if j.state is not JobState.TRACKING), *ended],
                waiting,
                n.page,
            )
        case notices.UnknownWindow():
            return blocks.unknown_window_text(n.name, n.available)
        case notices.CannotSchedule():
            return blocks.cannot_schedule_text(n.problem)
        case notices.NotCancellable():
            return blocks.not_cancellable_text(n.state, n.by)
        case notices.UnknownJob():
            return blocks.unknown_job_text(n.job_id)
        case notices.NotHandled():
            return blocks.not_handled_text(n.attempts)
        case notices.NameUnresolved():
            return blocks.name_unresolved_text(n)
        case notices.NoAccount():
            return blocks.no_account_text(n)
