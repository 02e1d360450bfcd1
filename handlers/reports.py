"""The tracker's Slack messages, rendered with :mod:`handlers.blocks` (the ``Reports`` the
tracker is given). Every message has a dedupe key derived from the job, so a report that is
produced twice (a retried transaction, a second replica) is queued once."""

from __future__ import annotations

from datetime import datetime

from bot.core.wire.sdrs import Job, JobStatus
from bot.notify import Routes, announcements
from bot.store import OutboxMessage, TrackedJob
from handlers import blocks


def _seconds(sdrs_job: Job, job: TrackedJob, now: datetime) -> float:
    begin, end = sdrs_job.begin_time, sdrs_job.end_time
    if begin and end:
        try:
            start = datetime.fromisoformat(begin.replace("Z", "+00:00"))
            stop = datetime.fromisoformat(end.replace("Z", "+00:00"))
            return (stop - start).total_seconds()
        except ValueError:
            pass
    return (now - job.submitted_at).total_seconds()


class SlackReports:
    def __init__(self, routes: Routes | None = None) -> None:
        self.routes: Routes = routes or {}

    def _announce(self, kind: str, job: TrackedJob, detail: str = "") -> list[OutboxMessage]:
        summary = str(job.detail.get("summary") or f"resize of `{job.subject}`")
        text = blocks.announce_text(
            kind, summary=summary, channel=job.channel, actor=job.confirmer, job_id=job.job_id,
            detail=detail,
        )  # fmt: skip
        return announcements(self.routes, kind, job.job_id, text, skip=job.channel)

    def final(self, job: TrackedJob, sdrs_job: Job, now: datetime) -> list[OutboxMessage]:
        subs = sdrs_job.entities.sub_jobs if sdrs_job.entities else []
        failed = [
            (s.job_id or "?", s.job_type, s.error_code, s.fail_reason)
            for s in subs
            if s.status == JobStatus.FAIL
        ]
        text = blocks.final_report_text(
            requester=job.requester,
            confirmer=job.confirmer,
            instance_id=job.subject,
            job_id=job.job_id,
            job_type=sdrs_job.job_type,
            status=sdrs_job.status.value,
            seconds=_seconds(sdrs_job, job, now),
            sites=dict(job.detail.get("sites", {})),
            error_code=sdrs_job.error_code,
            fail_reason=sdrs_job.fail_reason,
            failed_sub_jobs=failed,
        )
        failed_job = sdrs_job.status == JobStatus.FAIL
        messages = [
            OutboxMessage(
                dedupe_key=f"job:{job.job_id}:final",
                channel=job.channel,
                thread_ts=job.thread_ts,
                text=text,
                reply_broadcast=failed_job,  # a failure is shown in the channel, not buried
            )
        ]
        messages += self._announce(
            "failed" if failed_job else "finished", job,
            f"*{sdrs_job.error_code}*" if failed_job and sdrs_job.error_code else "",
        )  # fmt: skip
        if job.thread_ts and job.detail.get("summary"):
            outcome = blocks.final_outcome_text(
                str(job.detail.get("confirmed", "")), job.job_id, sdrs_job.status.value
            )
            messages.append(
                OutboxMessage(
                    dedupe_key=f"job:{job.job_id}:confirmation",
                    channel=job.channel,
                    method="chat.update",
                    ts=job.thread_ts,
                    text=outcome,
                    blocks=blocks.outcome_blocks(str(job.detail["summary"]), outcome),
                )
            )
        return messages

    def stuck(
        self, job: TrackedJob, now: datetime, stopped: bool, status: str | None
    ) -> list[OutboxMessage]:
        text = blocks.stuck_text(
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
                text=text,
                reply_broadcast=True,
            ),
            *self._announce("stuck", job, f"still {status or 'unknown'}"),
        ]
