"""The messages a job's end (or its being stuck) queues, as facts (pure). Every message has a
dedupe key derived from the job, so a report produced twice (a retried transaction, a second
replica) is queued once."""

from __future__ import annotations

from datetime import datetime

from bot.core.facts import Announcement, Decided, FinalReport, StuckReport, SubJobFailure
from bot.core.records import OutboxMessage, TrackedJob
from bot.core.routing import Routes, announcements
from bot.core.states import EventKind, OpState
from bot.core.wire.sdrs import Job, JobStatus


def job_seconds(sdrs_job: Job, job: TrackedJob, now: datetime) -> float:
    """How long the job ran: SDRS's begin/end times where given, else since submission."""
    begin, end = sdrs_job.begin_time, sdrs_job.end_time
    if begin and end:
        try:
            start = datetime.fromisoformat(begin.replace("Z", "+00:00"))
            stop = datetime.fromisoformat(end.replace("Z", "+00:00"))
            return (stop - start).total_seconds()
        except ValueError:
            pass
    return (now - job.submitted_at).total_seconds()


def final_messages(
    job: TrackedJob, sdrs_job: Job, now: datetime, routes: Routes
) -> list[OutboxMessage]:
    """The thread report (a failure is broadcast to the channel, not buried), the routed
    announcement, and the confirmation message's end state."""
    subs = sdrs_job.entities.sub_jobs if sdrs_job.entities else []
    failed = sdrs_job.status == JobStatus.FAIL
    facts = job.facts
    report = FinalReport(
        op=facts,
        requester=job.requester,
        confirmer=job.confirmer,
        job_id=job.job_id,
        job_type=sdrs_job.job_type,
        status=sdrs_job.status.value,
        seconds=job_seconds(sdrs_job, job, now),
        new_flavors=job.new_flavors,
        error_code=sdrs_job.error_code,
        fail_reason=sdrs_job.fail_reason,
        failed_sub_jobs=[
            SubJobFailure(
                job_id=s.job_id or "?",
                job_type=s.job_type,
                error_code=s.error_code,
                fail_reason=s.fail_reason,
            )
            for s in subs
            if s.status == JobStatus.FAIL
        ],
    )
    messages = [
        OutboxMessage(
            dedupe_key=f"job:{job.job_id}:final",
            channel=job.channel,
            thread_ts=job.thread_ts,
            content=report,
            reply_broadcast=failed,
        )
    ]
    event = EventKind.FAILED if failed else EventKind.FINISHED
    messages += announcements(
        routes,
        job.job_id,
        Announcement(
            event=event,
            op=facts,
            channel=job.channel,
            actor=job.confirmer,
            job_id=job.job_id,
            error_code=sdrs_job.error_code if failed else None,
            thread_ts=job.thread_ts,
        ),
        skip=job.channel,
    )
    if job.thread_ts and job.op_id:
        decided = Decided(
            op=facts,
            requester=job.requester,
            state=OpState.CONFIRMED,
            by=job.confirmer,
            at=job.confirmed_at,
            job_id=job.job_id,
            job_status=sdrs_job.status.value,
        )
        messages.append(
            OutboxMessage(
                dedupe_key=f"job:{job.job_id}:confirmation",
                channel=job.channel,
                ts=job.thread_ts,
                content=decided,
            )
        )
    return messages


def stuck_messages(
    job: TrackedJob, now: datetime, stopped: bool, status: str | None, routes: Routes
) -> list[OutboxMessage]:
    report = StuckReport(
        requester=job.requester,
        job_id=job.job_id,
        seconds=(now - job.submitted_at).total_seconds(),
        status=status,
        stopped=stopped,
    )
    return [
        OutboxMessage(
            dedupe_key=f"job:{job.job_id}:stuck",
            channel=job.channel,
            thread_ts=job.thread_ts,
            content=report,
            reply_broadcast=True,
        ),
        *announcements(
            routes,
            job.job_id,
            Announcement(
                event=EventKind.STUCK,
                op=job.facts,
                channel=job.channel,
                actor=job.confirmer,
                job_id=job.job_id,
                still=status or "unknown",
                thread_ts=job.thread_ts,
            ),
            skip=job.channel,
        ),
    ]
