"""``/sdrs jobs`` and ``/sdrs status``: the channel's jobs by section (waiting for their
window, being tracked, ended in the last day), a page at a time, and one job's status."""

from __future__ import annotations

from datetime import datetime

from bot.core.notices import Jobs, JobStatus, RunbookJob, UnknownJob
from bot.core.records import PendingOperation, ScheduledOperation, TrackedJob
from bot.core.states import JobState
from handlers.messages.operation import headline, subject
from handlers.messages.text import (
    PAGE_CHARS,
    confirmed_by,
    duration_text,
    escape,
    no_page_text,
    pages,
    slack_date,
    thread_link,
)

RUNBOOK_STEP = {"stopping": "stopping", "resizing": "resizing", "starting": "starting again"}
RUNBOOK_JOB_STATUS = {
    "submitted": "RUNNING",
    "success": "SUCCESS",
    "fail": "FAIL",
    "unknown": "outcome unknown",
}
JOBS_SECTIONS = (
    "Waiting for their maintenance window:",
    "Jobs being tracked here:",
    "Ended in the last day:",
)


def job_status_text(n: JobStatus) -> str:
    return status_line(n.job, n.now, n.link)


def runbook_job_text(n: RunbookJob) -> str:
    return runbook_job_line(n, n.link)


def unknown_job_text(n: UnknownJob) -> str:
    return (
        f"I am not tracking a job `{escape(n.job_id)}` (jobs are tracked from their confirmation)."
    )


def jobs_text(n: Jobs) -> str:
    """The channel's jobs by section, a page at a time (``/sdrs jobs page=N`` for the next)."""
    lines = [(j, status_line(j, n.now, n.links.get(j.thread_ts or ""))) for j in n.jobs]
    scheduled = [scheduled_line(s, op, n.links.get(op.message_ts or "")) for s, op in n.scheduled]
    running = [runbook_line(step, op, n.links.get(op.message_ts or "")) for step, op in n.runbooks]
    ended = [runbook_job_line(r, n.links.get(r.op.message_ts or "")) for r in n.runbook_jobs]
    active = [*running, *(line for j, line in lines if j.state is JobState.TRACKING)]
    finished = [*(line for j, line in lines if j.state is not JobState.TRACKING), *ended]
    if not active and not finished and not scheduled:
        return "No SDRS jobs are being tracked in this channel, and none ended in the last day."
    parts_of = (scheduled, active, finished)
    sections = [i for i, part in enumerate(parts_of) for _ in part]  # each line's section
    budget = PAGE_CHARS - sum(map(len, JOBS_SECTIONS))
    cut = pages([f"• {line}" for part in parts_of for line in part], budget)
    if n.page > len(cut):
        return no_page_text(n.page, len(cut))
    first = sum(len(p) for p in cut[: n.page - 1])
    parts: list[str] = []
    for at, line in enumerate(cut[n.page - 1], start=first):
        if at == first or sections[at] != sections[at - 1]:
            parts.append(JOBS_SECTIONS[sections[at]])
        parts.append(line)
    if len(cut) > 1:
        more = f" Next: `/sdrs jobs page={n.page + 1}`." if n.page < len(cut) else ""
        parts.append(f"_Page {n.page} of {len(cut)}._{more}")
    return "\n".join(parts)


def status_line(job: TrackedJob, now: datetime, link: str | None = None) -> str:
    """One job: what it changes, its SDRS status, who asked and confirmed, since when, and a
    link to its thread."""
    age = duration_text((now - job.submitted_at).total_seconds())
    status = escape(job.last_status or "not checked yet")
    if job.state is JobState.GAVE_UP:
        status += " (no longer watched)"
    elif job.state is JobState.TRACKING:
        status += " (watching)"
    confirmed = confirmed_by(job.confirmer, job.requester)
    return (
        f"{headline(job.facts)} · job `{escape(job.job_id)}`: *{status}* · asked by "
        f"<@{job.requester}>{confirmed} · submitted {age} ago{thread_link(link)}"
    )


def scheduled_line(s: ScheduledOperation, op: PendingOperation, link: str | None = None) -> str:
    """An operation waiting for its maintenance window."""
    window = f"window `{escape(s.window)}`" if s.window else "one-off time"
    approver, requester = op.decided_by, op.requester
    approved = f", approved by <@{approver}>" if approver and approver != requester else ""
    moves = " · moves to the next window if missed" if s.moves_on_miss else ""
    return (
        f"{subject(op.facts)} · {window}: starts {slack_date(s.starts_at)} · asked by "
        f"<@{requester}>{approved}{moves}{thread_link(link)}"
    )


def runbook_line(step: str, op: PendingOperation, link: str | None = None) -> str:
    """A stop-resize-start under way."""
    confirmed = confirmed_by(op.decided_by, op.requester)
    now = escape(RUNBOOK_STEP.get(step, step))
    return (
        f"{subject(op.facts)} · stop-resize-start: {now} · asked by <@{op.requester}>"
        f"{confirmed}{thread_link(link)}"
    )


def runbook_job_line(job: RunbookJob, link: str | None = None) -> str:
    """The resize job of a stop-resize-start: its status, the runbook's step (or how it
    ended), who asked and confirmed, since when, and a link to its thread."""
    status = escape(RUNBOOK_JOB_STATUS.get(job.resize, job.resize))
    if job.step == "done":
        where = "stop-resize-start ended"
    else:
        where = f"stop-resize-start: {escape(RUNBOOK_STEP.get(job.step, job.step))}"
        status += " (watching)" if job.resize == "submitted" else ""
    op = job.op
    confirmed = confirmed_by(op.decided_by, op.requester)
    age = duration_text((job.now - job.started_at).total_seconds())
    return (
        f"{subject(op.facts)} · job `{escape(job.job_id)}`: *{status}* · {where} · asked by "
        f"<@{op.requester}>{confirmed} · started {age} ago{thread_link(link)}"
    )
