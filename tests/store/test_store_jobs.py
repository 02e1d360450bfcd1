"""Tracked jobs in the store: leased claims (one replica per job), lease expiry, conditional
apply with its messages and audit, on SQLite and real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.facts import Rendered
from bot.core.states import AuditAction, JobKind, JobState
from bot.store import JobUpdate, OutboxMessage, Store
from bot.store.schema import audit_events

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    yield s
    s.close()


def submit(store: Store, job_id: str, at: datetime = NOW) -> None:
    store.record_submission(
        job_id=job_id,
        op_id=None,
        kind=JobKind.RESIZE,
        subject="pi-1",
        channel="C1",
        thread_ts="1.000001",
        requester="U1",
        confirmer="U1",
        detail={"sites": {"dr": "x"}},
        now=at,
        first_check_at=at + timedelta(seconds=5),
        messages=[
            OutboxMessage(
                dedupe_key=f"job:{job_id}:submitted", channel="C1", content=Rendered(text="s")
            )
        ],
        audit_detail={"job_id": job_id},
    )


def test_claim_respects_due_time_and_leases(store: Store) -> None:
    submit(store, "j1")
    assert store.claim_jobs("A", NOW, lease_seconds=30, limit=10) == []  # not due yet
    later = NOW + timedelta(seconds=5)
    [job] = store.claim_jobs("A", later, lease_seconds=30, limit=10)
    assert job.job_id == "j1" and job.detail == {"sites": {"dr": "x"}}
    assert store.claim_jobs("B", later, lease_seconds=30, limit=10) == []  # A holds it
    [again] = store.claim_jobs("B", later + timedelta(seconds=31), lease_seconds=30, limit=10)
    assert again.job_id == "j1"  # A died; B takes over after the lease


def test_apply_needs_the_lease_and_writes_messages_and_audit(store: Store) -> None:
    submit(store, "j2")
    at = NOW + timedelta(seconds=6)
    store.claim_jobs("A", at, lease_seconds=30, limit=10)
    done = JobUpdate(
        next_check_at=None,
        state=JobState.FINISHED,
        checks=1,
        errors=0,
        last_status="SUCCESS",
        stuck_reported=False,
        finished_at=at,
    )
    final = OutboxMessage(dedupe_key="job:j2:final", channel="C1", content=Rendered(text="done"))
    assert not store.apply_check("j2", "B", done, at, messages=[final])  # B never had it
    assert store.apply_check(
        "j2", "A", done, at, messages=[final], audit=(AuditAction.JOB_FINISHED, {})
    )
    job = store.get_tracked("j2")
    assert job is not None and job.state == "finished" and job.last_status == "SUCCESS"
    assert store.outbox_stats(at)[0] == 2  # submitted + final
    with store.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_events.c.action))]
    assert actions == ["submitted", "job-finished"]
    assert store.claim_jobs("A", at + timedelta(hours=1), lease_seconds=30, limit=10) == []


def test_release_leases_hands_jobs_over_at_once(store: Store) -> None:
    submit(store, "j3")
    at = NOW + timedelta(seconds=6)
    store.claim_jobs("A", at, lease_seconds=300, limit=10)
    assert store.release_leases("A") == 1
    assert [j.job_id for j in store.claim_jobs("B", at, lease_seconds=30, limit=10)] == ["j3"]


def test_concurrent_replicas_claim_disjoint_batches(store: Store) -> None:
    for i in range(60):
        submit(store, f"k{i}")
    at = NOW + timedelta(seconds=10)
    claimed: dict[str, list[str]] = {}

    def replica(name: str) -> None:
        got: list[str] = []
        for _ in range(10):
            got += [j.job_id for j in store.claim_jobs(name, at, lease_seconds=60, limit=7)]
        claimed[name] = got

    threads = [threading.Thread(target=replica, args=(n,)) for n in ("A", "B", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [j for got in claimed.values() for j in got]
    assert sorted(every) == sorted(f"k{i}" for i in range(60))  # each exactly once


def test_list_and_get(store: Store) -> None:
    submit(store, "l1")
    submit(store, "l2", NOW + timedelta(seconds=1))
    assert [j.job_id for j in store.list_tracked("C1")] == ["l2", "l1"]
    assert store.list_tracked("C2") == []
    assert store.get_tracked("nope") is None


def test_batch_apply_writes_only_rows_still_leased_to_us(store: Store) -> None:
    from bot.store import CheckResult

    for job_id in ("b1", "b2", "b3"):
        submit(store, job_id)
    at = NOW + timedelta(seconds=6)
    store.claim_jobs("A", at, lease_seconds=5, limit=10)
    later = at + timedelta(seconds=6)
    [taken] = store.claim_jobs("B", later, lease_seconds=5, limit=1)  # A's lease ran out
    running = JobUpdate(
        next_check_at=later + timedelta(seconds=10),
        state=JobState.TRACKING,
        checks=1,
        errors=0,
        last_status="RUNNING",
        stuck_reported=False,
    )
    finished = JobUpdate(
        next_check_at=None,
        state=JobState.FINISHED,
        checks=1,
        errors=0,
        last_status="SUCCESS",
        stuck_reported=False,
        finished_at=later,
    )
    results = [
        CheckResult(
            "b1",
            finished,
            [OutboxMessage(dedupe_key="b1:final", channel="C1", content=Rendered(text="f"))],
        ),
        CheckResult("b2", running),
        CheckResult("b3", running),
    ]
    written = store.apply_checks("A", results, later)
    assert written == 2  # the one B took over is left to B
    states = {j: store.get_tracked(j) for j in ("b1", "b2", "b3")}
    assert states[taken.job_id] is not None and states[taken.job_id].checks == 0  # type: ignore[union-attr]
    others = [j for j in ("b1", "b2", "b3") if j != taken.job_id]
    assert all(states[j].checks == 1 for j in others)  # type: ignore[union-attr]
    expected_outbox = 3 + (1 if "b1" in others else 0)  # 3 "submitted" + b1's final if ours
    assert store.outbox_stats(later)[0] == expected_outbox
