"""The tracker's pure decision, on fixed timezone-aware times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.records import TrackedJob
from bot.core.states import JobKind, JobState
from bot.core.tracking import Failed, Seen, TrackerPolicy, decide
from bot.core.wire.sdrs import JobStatus

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = TrackerPolicy(first=5, cap=60, factor=2, timeout=3600, jitter=0)
JOB = TrackedJob(
    job_id="j",
    op_id="o",
    kind=JobKind.RESIZE,
    subject="pi",
    channel="C",
    thread_ts="1.1",
    requester="U",
    confirmer="U",
    detail={},
    submitted_at=T0,
    next_check_at=T0,
    checks=0,
    errors=0,
    last_status=None,
    state=JobState.TRACKING,
    stuck_reported=False,
    finished_at=None,
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize("status", [JobStatus.SUCCESS, JobStatus.FAIL])
def test_terminal_status_finishes_with_a_final_report(status: JobStatus) -> None:
    d = decide(at(40), replace(JOB, checks=3), Seen(status), POLICY)
    assert d.report == "final"
    assert d.update.state == "finished" and d.update.finished_at == at(40)
    assert d.update.last_status == status.value and d.update.checks == 4
    assert d.update.next_check_at is None


@pytest.mark.parametrize(("checks", "wait"), [(0, 5), (1, 10), (2, 20), (3, 40), (4, 60), (10, 60)])
def test_running_job_backs_off_to_the_cap(checks: int, wait: float) -> None:
    d = decide(at(100), replace(JOB, checks=checks), Seen(JobStatus.RUNNING), POLICY)
    assert d.report is None and d.update.state == "tracking"
    assert d.update.next_check_at == at(100 + wait)
    assert d.update.checks == checks + 1 and d.update.last_status == "RUNNING"


def test_init_counts_as_not_finished() -> None:
    d = decide(at(1), JOB, Seen(JobStatus.INIT), POLICY)
    assert d.report is None and d.update.next_check_at == at(6)


def test_transient_failure_keeps_the_job_and_backs_off_on_errors() -> None:
    job = replace(JOB, checks=4, errors=2, last_status="RUNNING")
    d = decide(at(200), job, Failed("503"), POLICY)
    assert d.report is None and d.update.state == "tracking"
    assert d.update.errors == 3 and d.update.checks == 4
    assert d.update.last_status == "RUNNING"
    assert d.update.next_check_at == at(200 + 20)
    after = decide(at(300), replace(job, errors=3), Seen(JobStatus.RUNNING), POLICY)
    assert after.update.errors == 0  # an answer resets the error backoff


def test_stuck_job_is_reported_once_and_tracking_continues() -> None:
    d = decide(at(3600), replace(JOB, checks=70), Seen(JobStatus.RUNNING), POLICY)
    assert d.report == "stuck" and d.update.stuck_reported
    assert d.update.state == "tracking" and d.update.next_check_at == at(3660)
    again = decide(at(3700), replace(JOB, stuck_reported=True), Seen(JobStatus.RUNNING), POLICY)
    assert again.report is None and again.update.stuck_reported


def test_stuck_job_can_stop_tracking() -> None:
    policy = replace(POLICY, stop_when_stuck=True)
    d = decide(at(3601), JOB, Seen(JobStatus.RUNNING), policy)
    assert d.report == "stuck" and d.update.state == "gave-up"
    assert d.update.next_check_at is None and d.update.finished_at == at(3601)


def test_stuck_report_also_fires_while_sdrs_is_failing() -> None:
    d = decide(at(4000), JOB, Failed("timeout"), POLICY)
    assert d.report == "stuck" and d.update.state == "tracking"


def test_success_after_stuck_still_gets_its_final_report() -> None:
    d = decide(at(5000), replace(JOB, stuck_reported=True), Seen(JobStatus.SUCCESS), POLICY)
    assert d.report == "final" and d.update.stuck_reported


def test_jobs_submitted_together_come_due_apart() -> None:
    """A fleet resized at once: each job's wait is shortened by its own share of up to 10%, so
    the jobs of one wave spread over 10% of the wait instead of coming due in one tick."""
    policy = replace(POLICY, jitter=0.1)
    jobs = [replace(JOB, job_id=f"job-{i}", checks=5) for i in range(2000)]
    due = sorted(
        (decide(at(100), job, Seen(JobStatus.RUNNING), policy).update.next_check_at or T0) - at(100)
        for job in jobs
    )
    waits = [d.total_seconds() for d in due]
    assert 54.0 <= waits[0] and waits[-1] <= 60.0  # never later than the backoff's 60 s
    # evenly spread: each of the six 1-second slices of 54-60 s holds about a sixth of them
    counts = [sum(1 for w in waits if 54 + k <= w < 55 + k) for k in range(6)]
    assert all(250 <= c <= 420 for c in counts), counts


def test_a_jobs_jitter_is_fixed_by_its_id_and_check() -> None:
    policy = replace(POLICY, jitter=0.1)
    first = decide(at(100), JOB, Seen(JobStatus.RUNNING), policy).update.next_check_at
    again = decide(at(100), JOB, Seen(JobStatus.RUNNING), policy).update.next_check_at
    later = decide(at(100), replace(JOB, checks=1), Seen(JobStatus.RUNNING), policy)
    assert first == again and later.update.next_check_at != first
    failed = decide(at(100), JOB, Failed("503"), policy).update.next_check_at
    assert failed is not None and at(100 + 4.5) <= failed <= at(105)
