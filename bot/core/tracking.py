"""The tracker's decision (pure): (now, what we know of the job, what this check saw, the
policy) -> when to look next, whether the job is over, and which report is due.

Polling backs off: the first check ``first`` seconds after submission, then each wait
``factor`` times longer, capped at ``cap``. A transient failure (5xx, 429, timeout) is not a
verdict: the job is checked again later with its own backoff. After ``timeout`` the thread gets
one "still running" report; tracking then continues, or stops when ``stop_when_stuck``.

Each wait is shortened by up to ``jitter`` of itself (10%), by an amount fixed by the job id and
the check's number: jobs submitted together (a fleet resized at once) would otherwise come due
together at every check, all in one tick, and the last of such a wave is checked as late as the
wave takes to pass. Shortening only, so a job is never checked later than the backoff says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.records import JobUpdate, TrackedJob
from bot.core.retry import backoff_delay
from bot.core.states import JobState
from bot.core.wire.sdrs import Job, JobStatus

Report = Literal["final", "stuck"]
# A resize whose job id was lost (the process died right after SDRS accepted it) is followed
# through its protected instance's status instead of the job.
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
    jitter: float = 0.1  # each wait is shortened by up to this share of itself (see the module)

    def wait(self, n: int, key: str = "") -> float:
        """Seconds to wait after the n-th (0-based) check or failure of the job ``key``."""
        base = backoff_delay(n + 1, self.first, self.cap, factor=self.factor)
        return base * (1.0 - self.jitter * spread(f"{key}:{n}")) if key else base


def spread(key: str) -> float:
    """A number in [0, 1) fixed by ``key``, evenly spread over keys (the job's jitter)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class Seen:
    """The check got an answer from SDRS."""

    status: JobStatus


@dataclass(frozen=True)
class Failed:
    """The check got no usable answer (5xx, 429, timeout, connection)."""

    reason: str
    throttled: bool = False  # SDRS answered 429 (after the client's own retries)


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
                state=JobState.FINISHED,
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
        wait = policy.wait(job.checks, job.job_id)
    else:
        checks, errors = job.checks, job.errors + 1
        status = job.last_status
        wait = policy.wait(job.errors, job.job_id)
    stuck_now = age >= policy.timeout and not job.stuck_reported
    gave_up = age >= policy.timeout and policy.stop_when_stuck
    return Decision(
        JobUpdate(
            next_check_at=None if gave_up else now + timedelta(seconds=wait),
            state=JobState.GAVE_UP if gave_up else JobState.TRACKING,
            checks=checks,
            errors=errors,
            last_status=status,
            stuck_reported=job.stuck_reported or stuck_now,
            finished_at=now if gave_up else None,
        ),
        "stuck" if stuck_now else None,
    )
