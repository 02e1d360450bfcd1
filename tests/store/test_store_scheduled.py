"""Store contract for scheduled operations (bot.store.scheduled), on SQLite and PostgreSQL:
confirmed with their window in one transaction, claimed with a lease by one replica, started
exactly once, cancelled only before the start, moved to a next window in place."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.facts import Submitted
from bot.core.records import OutboxMessage, ScheduledOperation
from bot.core.states import ExecState, OpKind, OpState, ScheduleState
from bot.store import Store
from bot.store.schema import pending_operations as p

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
START = NOW + timedelta(hours=6)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    yield s
    s.close()


def _scheduled(store: Store, *, moves: bool = False) -> str:
    op, _ = store.create_pending(
        kind=OpKind.RESIZE,
        intent_json='{"kind": "resize"}',
        requester="U_A",
        channel="C_1",
        now=NOW,
        expires_at=NOW + timedelta(minutes=15),
    )
    entry = ScheduledOperation(
        op_id=op.id,
        account="",
        channel="C_1",
        window="nightly",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        moves_on_miss=moves,
        state=ScheduleState.SCHEDULED,
        created_at=NOW,
    )
    result = store.decide(op.id, OpState.CONFIRMED, "U_B", NOW, owner="r1", schedule=entry)
    assert result.won and result.op is not None
    # approved now, not executing: nothing for the interrupted-execution recovery to find
    assert store.claim_interrupted("r9", NOW + timedelta(days=9), 60) == []
    return op.id


def test_confirmed_with_its_window_and_claimed_only_once_it_begins(store: Store) -> None:
    op_id = _scheduled(store)
    row = store.get_scheduled(op_id)
    assert row is not None and row.state is ScheduleState.SCHEDULED and row.window == "nightly"
    assert row.starts_at == START
    assert store.list_scheduled("C_1") == [row]
    assert store.claim_scheduled("r1", START - timedelta(seconds=1), lease_seconds=60) == []
    claimed = store.claim_scheduled("r1", START, lease_seconds=60)
    assert [c.op_id for c in claimed] == [op_id]
    assert store.claim_scheduled("r2", START, lease_seconds=60) == []  # leased to r1
    assert not store.start_scheduled(op_id, "r2", START, exec_lease=300)  # not r2's
    assert store.start_scheduled(op_id, "r1", START, exec_lease=300)
    assert not store.start_scheduled(op_id, "r1", START, exec_lease=300)  # once
    started = store.get_scheduled(op_id)
    assert started is not None and started.state is ScheduleState.STARTED
    assert store.list_scheduled("C_1") == []
    # a crash after the start is an interrupted execution (never a second start)
    interrupted = store.claim_interrupted("r2", START + timedelta(seconds=301), 60)
    assert [op.id for op in interrupted] == [op_id]
    won, after = store.cancel_scheduled(op_id, "U_A", START)
    assert not won and after is not None and after.state is ScheduleState.STARTED


def test_a_dead_replica_s_claim_expires(store: Store) -> None:
    op_id = _scheduled(store)
    assert store.claim_scheduled("r1", START, lease_seconds=60)
    assert store.claim_scheduled("r2", START + timedelta(seconds=61), lease_seconds=60)
    assert not store.start_scheduled(op_id, "r1", START, exec_lease=300)
    assert store.start_scheduled(op_id, "r2", START, exec_lease=300)


def test_cancel_before_the_start_wins_over_a_claim(store: Store) -> None:
    op_id = _scheduled(store)
    assert store.claim_scheduled("r1", START, lease_seconds=60)
    edit = OutboxMessage(dedupe_key=f"op:{op_id}:x", channel="C_1", content=Submitted(job_id="j"))
    won, row = store.cancel_scheduled(op_id, "U_A", START, messages=[edit])
    assert won and row is not None and row.state is ScheduleState.CANCELLED
    assert row.cancelled_by == "U_A"
    assert not store.start_scheduled(op_id, "r1", START, exec_lease=300)
    assert not store.cancel_scheduled(op_id, "U_A", START)[0]
    op = store.get_pending(op_id)
    assert op is not None and store.outbox_stats(START)[0] == 1


def test_not_started_or_moved_to_the_next_window(store: Store) -> None:
    stays = _scheduled(store)
    moves = _scheduled(store, moves=True)
    assert len(store.claim_scheduled("r1", START, lease_seconds=60)) == 2
    assert store.not_started(stays, "r1", START, reason="missed")
    row = store.get_scheduled(stays)
    assert row is not None and row.state is ScheduleState.NOT_STARTED and row.reason == "missed"
    later = (START + timedelta(days=7), START + timedelta(days=7, hours=2))
    assert store.not_started(moves, "r1", START, reason="preflight-refused", moved_to=later)
    moved = store.get_scheduled(moves)
    assert moved is not None and moved.state is ScheduleState.SCHEDULED
    assert (moved.starts_at, moved.ends_at, moved.moves) == (*later, 1)
    assert not store.not_started(moves, "r1", START, reason="missed")  # lease given back
    assert store.claim_scheduled("r1", START + timedelta(days=1), lease_seconds=60) == []
    assert store.claim_scheduled("r1", later[0], lease_seconds=60)


def test_two_replicas_claiming_at_once_start_it_once(db_url: str) -> None:
    stores = [Store.from_url(db_url) for _ in range(2)]
    try:
        ids = {_scheduled(stores[0]) for _ in range(10)}
        started: list[str] = []
        barrier = threading.Barrier(2)

        def replica(n: int) -> None:
            barrier.wait()
            for row in stores[n].claim_scheduled(f"r{n}", START, lease_seconds=60, limit=3):
                if stores[n].start_scheduled(row.op_id, f"r{n}", START, exec_lease=300):
                    started.append(row.op_id)

        for _ in range(4):
            threads = [threading.Thread(target=replica, args=(n,)) for n in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            barrier.reset()
        assert sorted(started) == sorted(ids)
        with stores[0].engine.connect() as conn:
            states = {r.exec_state for r in conn.execute(select(p.c.exec_state))}
        assert states == {ExecState.RUNNING.value}
    finally:
        for s in stores:
            s.close()
