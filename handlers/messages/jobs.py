"""``/sdrs jobs`` and ``/sdrs status``: the channel's jobs by section (waiting for their
window, being tracked, ended in the last day), a page at a time, and one job's status."""

from __future__ import annotations

from datetime import datetime

from bot.core.notices import Jobs, JobStatus, RunbookJob, UnknownJob
from bot.core.records import PendingOperation, ScheduledOperation, TrackedJob
from bot.core.states import JobState
from handlers.i18n import N_, _
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

RUNBOOK_STEP = {  # msgids: _(RUNBOOK_STEP[...])
    "stopping": N_("stopping"),
    "resizing": N_("resizing"),
    "starting": N_("starting again"),
}
RUNBOOK_JOB_STATUS = {
    "submitted": "RUNNING",
    "success": "SUCCESS",
    "fail": "FAIL",
    "unknown": N_("outcome unknown"),
}
JOBS_SECTIONS = (  # msgids
    N_("Waiting for their maintenance window:"),
    N_("Jobs being tracked here:"),
    N_("Ended in the last day:"),
)


def _step(step: str) -> str:
    known = RUNBOOK_STEP.get(step)
    return _(known) if known else escape(step)


def job_status_text(n: JobStatus) -> str:
    return status_line(n.job, n.now, n.link)


def runbook_job_text(n: RunbookJob) -> str:
    return runbook_job_line(n, n.link)


def unknown_job_text(n: UnknownJob) -> str:
    return _("I am not tracking a job `{job}` (jobs are tracked from their confirmation).").format(
        job=escape(n.job_id)
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
        return _("No SDRS jobs are being tracked in this channel, and none ended in the last day.")
    parts_of = (scheduled, active, finished)
    sections = [i for i, part in enumerate(parts_of) for _ in part]  # each line's section
    headings = [_(h) for h in JOBS_SECTIONS]
    budget = PAGE_CHARS - sum(map(len, headings))
    cut = pages([f"• {line}" for part in parts_of for line in part], budget)
    if n.page > len(cut):
        return no_page_text(n.page, len(cut))
    first = sum(len(p) for p in cut[: n.page - 1])
    parts: list[str] = []
    for at, line in enumerate(cut[n.page - 1], start=first):
        if at == first or sections[at] != sections[at - 1]:
            parts.append(headings[sections[at]])
        parts.append(line)
    if len(cut) > 1:
        more = (
            _(" Next: `/sdrs jobs page={page}`.").format(page=n.page + 1)
            if n.page < len(cut)
            else ""
        )
        parts.append(
            _("_Page {page} of {pages}._{more}").format(page=n.page, pages=len(cut), more=more)
        )
    return "\n".join(parts)


def status_line(job: TrackedJob, now: datetime, link: str | None = None) -> str:
    """One job: what it changes, its SDRS status, who asked and confirmed, since when, and a
    link to its thread."""
    age = duration_text((now - job.submitted_at).total_seconds())
    status = escape(job.last_status) if job.last_status else _("not checked yet")
    if job.state is JobState.GAVE_UP:
        status += _(" (no longer watched)")
    elif job.state is JobState.TRACKING:
        status += _(" (watching)")
    confirmed = confirmed_by(job.confirmer, job.requester)
    return _(
        "{operation} · job `{job}`: *{status}* · asked by <@{requester}>{confirmed} · "
        "submitted {age} ago{link}"
    ).format(
        operation=headline(job.facts),
        job=escape(job.job_id),
        status=status,
        requester=job.requester,
        confirmed=confirmed,
        age=age,
        link=thread_link(link),
    )


def scheduled_line(s: ScheduledOperation, op: PendingOperation, link: str | None = None) -> str:
    """An operation waiting for its maintenance window."""
    window = (
        _("window `{window}`").format(window=escape(s.window)) if s.window else _("one-off time")
    )
    approver, requester = op.decided_by, op.requester
    approved = (
        _(", approved by <@{user}>").format(user=approver)
        if approver and approver != requester
        else ""
    )
    moves = _(" · moves to the next window if missed") if s.moves_on_miss else ""
    return _(
        "{operation} · {window}: starts {start} · asked by <@{requester}>{approved}{moves}{link}"
    ).format(
        operation=subject(op.facts),
        window=window,
        start=slack_date(s.starts_at),
        requester=requester,
        approved=approved,
        moves=moves,
        link=thread_link(link),
    )


def runbook_line(step: str, op: PendingOperation, link: str | None = None) -> str:
    """A stop-resize-start under way."""
    confirmed = confirmed_by(op.decided_by, op.requester)
    return _(
        "{operation} · stop-resize-start: {step} · asked by <@{requester}>{confirmed}{link}"
    ).format(
        operation=subject(op.facts),
        step=_step(step),
        requester=op.requester,
        confirmed=confirmed,
        link=thread_link(link),
    )


def runbook_job_line(job: RunbookJob, link: str | None = None) -> str:
    """The resize job of a stop-resize-start: its status, the runbook's step (or how it
    ended), who asked and confirmed, since when, and a link to its thread."""
    known = RUNBOOK_JOB_STATUS.get(job.resize)
    status = _(known) if known else escape(job.resize)
    if job.step == "done":
        where = _("stop-resize-start ended")
    else:
        where = _("stop-resize-start: {step}").format(step=_step(job.step))
        status += _(" (watching)") if job.resize == "submitted" else ""
    op = job.op
    confirmed = confirmed_by(op.decided_by, op.requester)
    age = duration_text((job.now - job.started_at).total_seconds())
    return _(
        "{operation} · job `{job}`: *{status}* · {where} · asked by <@{requester}>{confirmed} · "
        "started {age} ago{link}"
    ).format(
        operation=subject(op.facts),
        job=escape(job.job_id),
        status=status,
        where=where,
        requester=op.requester,
        confirmed=confirmed,
        age=age,
        link=thread_link(link),
    )
