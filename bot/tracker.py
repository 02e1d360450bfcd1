"""Following SDRS jobs until they end, and reporting in the thread.

:func:`decide` is pure: (now, what we know of the job, what this check saw, the policy) ->
when to look next, whether the job is over, and which report is due. The :class:`Tracker`
does the I/O: it claims due jobs with a lease (so one replica checks each job), asks SDRS,
applies :func:`decide`, and writes the outcome, the reports (outbox) and the audit event in one
transaction. APScheduler drives :meth:`Tracker.tick`.

Polling backs off: the first check ``first`` seconds after submission, then each wait
``factor`` times longer, capped at ``cap``. A transient failure (5xx, 429, timeout) is not a
verdict: the job is checked again later with its own backoff. After ``timeout`` the thread gets
one "still running" report; tracking then continues, or stops when ``stop_when_stuck``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.core.errors import CloudError, NotFoundError
from bot.core.wire.sdrs import Job, JobStatus
from bot.sdrs.client import SdrsClient
from bot.store import CheckResult, JobUpdate, OutboxMessage, Store, TrackedJob

log = logging.getLogger(__name__)

Report = Literal["final", "stuck"]
# A resize whose job id was lost (the process died right after SDRS accepted it) is followed
# through its protected instance's status instead of the job.
RESIZE_BY_INSTANCE = "resize-by-instance"
INSTANCE_JOB_PREFIX = "instance:"
_INSTANCE_STATUS = {
    "resizing": JobStatus.RUNNING,
    "available": JobStatus.SUCCESS,
    "protected": JobStatus.SUCCESS,
    "error-resizing": JobStatus.FAIL,
}


def job_from_instance(job_id: str, instance_status: str) -> Job:
    """What a job check would have said, read from the instance (any other status: FAIL)."""
    status = _INSTANCE_STATUS.get(instance_status, JobStatus.FAIL)
    return Job(
        status=status,
        job_id=job_id,
        job_type="resize, followed through the instance status (job id unknown)",
        fail_reason=None if status != JobStatus.FAIL else f"instance status is {instance_status}",
    )


@dataclass(frozen=True)
class TrackerPolicy:
    first: float = 5.0
    cap: float = 60.0
    factor: float = 2.0
    timeout: float = 3600.0
    stop_when_stuck: bool = False

    def wait(self, n: int) -> float:
        """Seconds to wait after the n-th (0-based) check or failure."""
        return min(self.cap, self.first * self.factor**n)


@dataclass(frozen=True)
class Seen:
    """The check got an answer from SDRS."""

    status: JobStatus


@dataclass(frozen=True)
class Failed:
    """The check got no usable answer (5xx, 429, timeout, connection)."""

    reason: str


@dataclass(frozen=True)
class Decision:
    update: JobUpdate
    report: Report | None


def decide(
    now: datetime, job: TrackedJob, outcome: Seen | Failed, policy: TrackerPolicy
) -> Decision:
    age = (now - job.submitted_at).total_seconds()
    status: str | None
    if isinstance(outcome, Seen) and outcome.status.terminal:
        return Decision(
            JobUpdate(
                next_check_at=None,
                state="finished",
                checks=job.checks + 1,
                errors=0,
                last_status=outcome.status.value,
                stuck_reported=job.stuck_reported,
                finished_at=now,
            ),
            "final",
        )
    if isinstance(outcome, Seen):
        checks, errors = job.checks + 1, 0
        status = outcome.status.value
        wait = policy.wait(job.checks)
    else:
        checks, errors = job.checks, job.errors + 1
        status = job.last_status
        wait = policy.wait(job.errors)
    stuck_now = age >= policy.timeout and not job.stuck_reported
    gave_up = age >= policy.timeout and policy.stop_when_stuck
    return Decision(
        JobUpdate(
            next_check_at=None if gave_up else now + timedelta(seconds=wait),
            state="gave-up" if gave_up else "tracking",
            checks=checks,
            errors=errors,
            last_status=status,
            stuck_reported=job.stuck_reported or stuck_now,
            finished_at=now if gave_up else None,
        ),
        "stuck" if stuck_now else None,
    )


class Reports(Protocol):
    """Renders the tracker's Slack messages (the app wires ``handlers.blocks``)."""

    def final(self, job: TrackedJob, sdrs_job: Job, now: datetime) -> list[OutboxMessage]: ...

    def stuck(
        self, job: TrackedJob, now: datetime, stopped: bool, status: str | None
    ) -> list[OutboxMessage]: ...


class Tracker:
    def __init__(
        self,
        store: Store,
        sdrs: SdrsClient,
        reports: Reports,
        *,
        owner: str,
        now: Callable[[], datetime],
        policy: TrackerPolicy,
        lease_seconds: float = 60.0,
        batch: int = 200,
        concurrency: int = 20,
    ) -> None:
        self.store = store
        self.sdrs = sdrs
        self.reports = reports
        self.owner = owner
        self.now = now
        self.policy = policy
        self.lease = lease_seconds
        self.batch = batch
        self._semaphore = asyncio.Semaphore(concurrency)
        self.checks = 0
        self.on_report: Callable[[], None] | None = None  # e.g. OutboxSender.kick

    async def tick(self) -> int:
        """Check every due job this replica can claim; returns how many were checked. The
        outcomes of one tick are written in one transaction."""
        jobs = await asyncio.to_thread(
            self.store.claim_jobs, self.owner, self.now(), lease_seconds=self.lease,
            limit=self.batch,
        )  # fmt: skip
        if not jobs:
            return 0
        seen = await asyncio.gather(*(self._observe(job) for job in jobs))
        now = self.now()
        results = [self._result(job, outcome, sdrs_job, now) for job, (outcome, sdrs_job) in
                   zip(jobs, seen, strict=True)]  # fmt: skip
        written = await asyncio.to_thread(self.store.apply_checks, self.owner, results, now)
        if written < len(results):
            log.warning(
                "%d job results not written: their leases were lost", len(results) - written
            )
        if self.on_report is not None and any(r.messages for r in results):
            self.on_report()
        return len(jobs)

    async def _observe(self, job: TrackedJob) -> tuple[Seen | Failed, Job | None]:
        async with self._semaphore:
            try:
                if job.kind == RESIZE_BY_INSTANCE:
                    instance = await self.sdrs.get_protected_instance(job.subject)
                    sdrs_job = job_from_instance(job.job_id, instance.status)
                else:
                    sdrs_job = await self.sdrs.get_job(job.job_id)
            except NotFoundError as exc:
                # The job id is gone at SDRS: keep trying (it may be eventual consistency);
                # the timeout report will say it if it never shows up.
                return Failed(f"{exc.code}: not found"), None
            except CloudError as exc:
                log.info("job %s: check failed (%s), next try later", job.job_id, exc)
                return Failed(str(exc)), None
        self.checks += 1
        return Seen(sdrs_job.status), sdrs_job

    def _result(
        self, job: TrackedJob, outcome: Seen | Failed, sdrs_job: Job | None, now: datetime
    ) -> CheckResult:
        decision = decide(now, job, outcome, self.policy)
        messages: list[OutboxMessage] = []
        audit: tuple[str, dict[str, object]] | None = None
        if decision.report == "final" and sdrs_job is not None:
            messages = self.reports.final(job, sdrs_job, now)
            audit = (
                "job-finished",
                {
                    "status": sdrs_job.status.value,
                    "error_code": sdrs_job.error_code,
                    "fail_reason": sdrs_job.fail_reason,
                },
            )
        elif decision.report == "stuck":
            stopped = decision.update.state == "gave-up"
            messages = self.reports.stuck(job, now, stopped, decision.update.last_status)
            audit = ("job-stuck", {"stopped_tracking": stopped})
        if decision.report:
            log.info("job %s: %s report queued", job.job_id, decision.report)
        return CheckResult(job.job_id, decision.update, messages, audit)
