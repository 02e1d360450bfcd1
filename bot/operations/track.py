"""Following SDRS jobs until they end, and reporting in the thread.

The :class:`Tracker` does the I/O around the pure decision (:mod:`bot.core.tracking`): it
claims due jobs with a lease (so one replica checks each job), asks SDRS, applies the decision,
and writes the outcome, the reports (outbox, as facts: :mod:`bot.core.reports`) and the audit
event in one transaction. APScheduler drives :meth:`Tracker.tick`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.core.errors import CloudError, NotFoundError, RateLimitedError
from bot.core.records import CheckResult, OutboxMessage, TrackedJob
from bot.core.reports import final_messages, stuck_messages
from bot.core.routing import Routes
from bot.core.states import AuditAction, JobKind, JobState
from bot.core.tracking import Failed, Seen, TrackerPolicy, decide, job_from_instance
from bot.core.wire.sdrs import Job
from bot.huaweicloud.sdrs import SdrsClient
from bot.store import Store

log = logging.getLogger(__name__)


class Tracker:
    def __init__(
        self,
        store: Store,
        sdrs: Callable[[str], SdrsClient],
        routes: Routes,
        *,
        owner: str,
        now: Callable[[], datetime],
        policy: TrackerPolicy,
        lease_seconds: float = 60.0,
        batch: int = 200,
        concurrency: int = 20,
    ) -> None:
        self.store = store
        self.sdrs = sdrs  # account -> its SDRS client (each job is checked in its own account)
        self.routes = routes
        self.owner = owner
        self.now = now
        self.policy = policy
        self.lease = lease_seconds
        self.batch = batch
        self._semaphore = asyncio.Semaphore(concurrency)
        self.checks = 0
        self.on_report: Callable[[], None] | None = None  # e.g. OutboxSender.kick

    async def tick(self) -> int:
        """Check every due job this replica can claim; returns how many were checked.

        Batch after batch: a full batch means more jobs may be due, so the next is claimed at
        once rather than a scheduler interval later (the cadence follows the due work, not
        ``TRACKER_TICK_SECONDS``); a batch that was not full, or in which SDRS answered 429,
        ends the run. The outcomes of one batch are written in one transaction."""
        checked = 0
        while True:
            claimed, throttled = await self._batch()
            checked += claimed
            if claimed < self.batch or throttled:
                return checked

    async def _batch(self) -> tuple[int, bool]:
        """Claim, check and write one batch: (jobs claimed, whether SDRS rate-limited us)."""
        jobs = await asyncio.to_thread(
            self.store.claim_jobs,
            self.owner,
            self.now(),
            lease_seconds=self.lease,
            limit=self.batch,
        )
        if not jobs:
            return 0, False
        seen = await asyncio.gather(*(self._observe(job) for job in jobs))
        now = self.now()
        results = [
            self._result(job, outcome, sdrs_job, now)
            for job, (outcome, sdrs_job) in zip(jobs, seen, strict=True)
        ]
        written = await asyncio.to_thread(self.store.apply_checks, self.owner, results, now)
        if written < len(results):
            log.warning(
                "%d job results not written: their leases were lost", len(results) - written
            )
        if self.on_report is not None and any(r.messages for r in results):
            self.on_report()
        throttled = any(isinstance(o, Failed) and o.throttled for o, _ in seen)
        return len(jobs), throttled

    async def _observe(self, job: TrackedJob) -> tuple[Seen | Failed, Job | None]:
        async with self._semaphore:
            try:
                sdrs = self.sdrs(job.account)
                if job.kind is JobKind.RESIZE_BY_INSTANCE:
                    instance = await sdrs.get_protected_instance(job.subject)
                    sdrs_job = job_from_instance(job.job_id, instance.status)
                else:
                    sdrs_job = await sdrs.get_job(job.job_id)
            except NotFoundError as exc:
                # The job id is gone at SDRS: keep trying (it may be eventual consistency);
                # the timeout report will say it if it never shows up.
                return Failed(f"{exc.code}: not found"), None
            except CloudError as exc:
                log.info("job %s: check failed (%s), next try later", job.job_id, exc)
                return Failed(str(exc), throttled=isinstance(exc, RateLimitedError)), None
        self.checks += 1
        return Seen(sdrs_job.status), sdrs_job

    def _result(
        self, job: TrackedJob, outcome: Seen | Failed, sdrs_job: Job | None, now: datetime
    ) -> CheckResult:
        decision = decide(now, job, outcome, self.policy)
        messages: list[OutboxMessage] = []
        audit: tuple[AuditAction, dict[str, Any]] | None = None
        if decision.report == "final" and sdrs_job is not None:
            messages = final_messages(job, sdrs_job, now, self.routes)
            audit = (
                AuditAction.JOB_FINISHED,
                {
                    "status": sdrs_job.status.value,
                    "error_code": sdrs_job.error_code,
                    "fail_reason": sdrs_job.fail_reason,
                },
            )
        elif decision.report == "stuck":
            stopped = decision.update.state is JobState.GAVE_UP
            messages = stuck_messages(job, now, stopped, decision.update.last_status, self.routes)
            audit = (AuditAction.JOB_STUCK, {"stopped_tracking": stopped})
        if decision.report:
            log.info("job %s: %s report queued", job.job_id, decision.report)
        return CheckResult(job.job_id, decision.update, messages, audit)
