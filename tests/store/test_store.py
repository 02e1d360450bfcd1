"""Pending confirmations: one winner per operation, expiry, and nothing lost across a reopen."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.facts import ResizeFacts
from bot.core.states import OpKind
from bot.store import OpState, Store

FACTS = ResizeFacts(instance_id="pi-1", instance_name="erp-db")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    yield s
    s.close()


def _pending(store: Store, ttl: float = 900) -> str:
    op, created = store.create_pending(
        kind=OpKind.RESIZE,
        intent_json='{"kind": "resize"}',
        requester="U_A",
        channel="C_1",
        now=NOW,
        expires_at=NOW + timedelta(seconds=ttl),
    )
    assert created and op.state is OpState.PENDING and len(op.id) == 32
    return op.id


def test_confirm_once_then_every_other_attempt_loses(store: Store) -> None:
    op_id = _pending(store)
    first = store.decide(op_id, OpState.CONFIRMED, "U_A", NOW + timedelta(seconds=5))
    assert first.won and first.op is not None
    assert first.op.state is OpState.CONFIRMED and first.op.decided_by == "U_A"
    again = store.decide(op_id, OpState.CONFIRMED, "U_A", NOW + timedelta(seconds=6))
    cancel = store.decide(op_id, OpState.CANCELLED, "U_B", NOW + timedelta(seconds=7))
    assert not again.won and not cancel.won
    assert cancel.op is not None and cancel.op.state is OpState.CONFIRMED


def test_expired_confirmation_cannot_be_confirmed(store: Store) -> None:
    op_id = _pending(store, ttl=60)
    late = store.decide(op_id, OpState.CONFIRMED, "U_A", NOW + timedelta(seconds=60))
    assert not late.won
    assert late.op is not None and late.op.state is OpState.PENDING
    assert store.expire_due(NOW + timedelta(seconds=61)) == [op_id]
    assert store.expire_due(NOW + timedelta(seconds=62)) == []
    op = store.get_pending(op_id)
    assert op is not None and op.state is OpState.EXPIRED


def test_unknown_operation(store: Store) -> None:
    result = store.decide("0" * 32, OpState.CONFIRMED, "U_A", NOW)
    assert not result.won and result.op is None


def test_concurrent_clicks_have_exactly_one_winner(db_url: str) -> None:
    url = db_url
    seed = Store.from_url(url)
    op_ids = [_pending(seed) for _ in range(20)]
    seed.close()
    stores = [Store.from_url(url) for _ in range(4)]  # four "replicas"
    wins: list[tuple[str, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def click(store: Store, user: str) -> None:
        barrier.wait()
        for op_id in op_ids:
            result = store.decide(op_id, OpState.CONFIRMED, user, NOW)
            if result.won:
                with lock:
                    wins.append((op_id, user))

    threads = [threading.Thread(target=click, args=(stores[i % 4], f"U_{i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(op for op, _ in wins) == sorted(op_ids)  # each exactly once
    for s in stores:
        s.close()


def test_state_survives_reopen(db_url: str) -> None:
    url = db_url
    first = Store.from_url(url)
    op_id = _pending(first)
    first.set_message_ts(op_id, "1700000000.000100")
    first.close()
    second = Store.from_url(url)
    op = second.get_pending(op_id)
    assert op is not None and op.message_ts == "1700000000.000100"
    assert op.expires_at == NOW + timedelta(seconds=900)
    assert second.decide(op_id, OpState.CANCELLED, "U_A", NOW).won
    second.close()


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.create_pending(
            kind=OpKind.RESIZE,
            intent_json="{}",
            requester="U",
            channel="C",
            now=datetime(2026, 1, 1),
            expires_at=datetime(2026, 1, 2),
        )


def test_same_command_delivered_twice_maps_to_one_operation(store: Store) -> None:
    kwargs = {
        "kind": OpKind.RESIZE,
        "intent_json": "{}",
        "facts_json": FACTS.model_dump_json(),
        "requester": "U_A",
        "channel": "C_1",
        "now": NOW,
        "expires_at": NOW + timedelta(minutes=15),
        "request_key": "trigger-123",
    }
    first, created = store.create_pending(**kwargs)  # type: ignore[arg-type]
    again, created_again = store.create_pending(**kwargs)  # type: ignore[arg-type]
    assert created and not created_again
    assert again.id == first.id and again.facts == FACTS


def test_migrations_record_the_version_and_refuse_a_newer_schema(db_url: str) -> None:
    from sqlalchemy import text

    from bot.store import SchemaTooNewError
    from bot.store.schema import head_revision

    store = Store.from_url(db_url)
    assert store.schema_version == head_revision()
    store.close()
    again = Store.from_url(db_url)  # a second start migrates nothing and keeps the data
    assert again.schema_version == head_revision()
    with again.engine.begin() as conn:  # as a later sdrs-bot would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    again.close()
    with pytest.raises(SchemaTooNewError, match="newer than this sdrs-bot knows"):
        Store.from_url(db_url)


def test_concurrent_first_starts_migrate_once(db_url: str) -> None:
    from bot.store.schema import head_revision

    results: list[str] = []
    errors: list[Exception] = []

    def start() -> None:
        try:
            s = Store.from_url(db_url)
            results.append(s.schema_version)
            s.close()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [head_revision()] * 4


# Upgrades from each older schema: tests/store/test_store_migrations.py (frozen DDL per version).


def test_inbox_group_commit_keeps_one_row_per_key(store: Store) -> None:
    """Rows written together (the serving process's group commit) are one transaction; a key
    already there, or twice in the batch (a Slack retry), gives None and no second row."""
    from bot.core.states import InboxKind
    from bot.store.intake import Row

    first = store.put_inbox(InboxKind.COMMAND, "command:t-0", {"n": 0}, NOW)
    assert first is not None

    def row(key: str, n: int) -> Row:
        return Row(InboxKind.COMMAND, key, {"n": n}, NOW, owner="r1", lease_seconds=60)

    ids = store.put_inbox_many(
        [row("command:t-1", 1), row("command:t-0", 2), row("command:t-2", 3), row("command:t-1", 4)]
    )
    assert ids[1] is None and ids[3] is None and ids[0] and ids[2]
    assert len({first, ids[0], ids[2]}) == 3 and store.inbox_depth() == 3
    # leased to the writer: not taken by another before the lease runs out
    assert [i.id for i in store.take_inbox("r2", NOW, lease_seconds=60, limit=10)] == [first]
    # a row for the workers (no owner) is free at once, with its payload as written
    free = Row(InboxKind.COMMAND, "command:t-3", {"n": 5, "text": "容灾"}, NOW, None, 60)
    [new_id] = store.put_inbox_many([free])
    [taken] = store.take_inbox("r2", NOW, lease_seconds=60, limit=10)
    assert (taken.id, taken.payload, taken.attempts) == (new_id, {"n": 5, "text": "容灾"}, 1)


def test_the_intake_writes_a_batch_as_the_store_does(store: Store) -> None:
    """The serving process's group commit (bot.store.intake: its own statement on PostgreSQL,
    sent on the event loop) keeps the same contract: requests that arrive together are one
    batch; a key already there, or twice in the batch, gives None and no second row; each row
    is written as given (its lease or none, its payload)."""
    import asyncio

    from bot.core.states import InboxKind
    from bot.store.intake import Intake, Row

    there = store.put_inbox(InboxKind.COMMAND, "command:t-0", {"n": 0}, NOW)

    def row(key: str, n: int, owner: str | None) -> Row:
        return Row(InboxKind.COMMAND, key, {"n": n, "text": "容灾 drill"}, NOW, owner, 60)

    async def put_together() -> tuple[list[int | None], list[int | None]]:
        intake = Intake(store)
        try:
            leased = [row("command:t-1", 1, "r1"), row("command:t-0", 2, "r1")]
            leased += [row("command:t-2", 3, "r1"), row("command:t-1", 4, "r1")]
            first = list(await asyncio.gather(*(intake.put(r) for r in leased)))
            # a batch with no lease at all (the workers' rows): every lease column empty
            free = [row("command:t-3", 5, None), row("command:t-4", 6, None)]
            return first, list(await asyncio.gather(*(intake.put(r) for r in free)))
        finally:
            intake.close()

    leased, free = asyncio.run(put_together())
    assert leased[1] is None and leased[3] is None and leased[0] and leased[2]
    assert len({there, leased[0], leased[2], *free}) == 5 and store.inbox_depth() == 5
    # the leased rows are not taken before their lease runs out; the others are, as written
    taken = store.take_inbox("r2", NOW, lease_seconds=60, limit=10)
    assert [i.id for i in taken] == [there, *free]
    assert [(i.payload, i.attempts) for i in taken[1:]] == [
        ({"n": 5, "text": "容灾 drill"}, 1),
        ({"n": 6, "text": "容灾 drill"}, 1),
    ]
    later = NOW + timedelta(seconds=61)
    retaken = {i.id: i.attempts for i in store.take_inbox("r2", later, lease_seconds=60, limit=10)}
    assert (retaken[leased[0]], retaken[leased[2]]) == (2, 2)  # leased at once: attempt 1


def _closed(raw: object) -> bool:
    """Whether a driver connection (psycopg or sqlite3) has been closed."""
    if hasattr(raw, "closed"):
        return bool(raw.closed)
    try:
        raw.execute("SELECT 1")  # type: ignore[attr-defined]
    except sqlite3.ProgrammingError:
        return True
    return False


def test_close_while_a_connection_is_in_use_closes_it_when_given_back(db_url: str) -> None:
    """A store closed while another thread still holds a connection (a tick mid-query at
    shutdown) does not pull it from under that thread, and closes it when it is given back: a
    connection left in the disposed pool would be garbage-collected while still open."""
    store = Store.from_url(db_url)
    conn = store.engine.connect()
    conn.exec_driver_sql("SELECT 1")
    raw = conn.connection.dbapi_connection
    store.close()
    assert not _closed(raw)
    assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    conn.close()
    assert _closed(raw)
    with store.engine.connect() as again:  # a late user after close gets a new connection
        assert again.exec_driver_sql("SELECT 1").scalar_one() == 1
        late = again.connection.dbapi_connection
    assert late is not raw and _closed(late)


def test_a_postgresql_connection_left_open_fails_the_test_that_left_it(pg_url: str) -> None:
    """The check every PostgreSQL test ends with (tests/conftest.py) finds an open connection,
    names the leak and closes it, so the run's end is not where it surfaces."""
    from tests.conftest import fail_on_open_postgres_connections

    store = Store.from_url(pg_url)
    with store.engine.connect() as conn:  # one connection, idle in the pool afterwards
        conn.exec_driver_sql("SELECT 1")
    with pytest.raises(pytest.fail.Exception, match="1 PostgreSQL connection"):
        fail_on_open_postgres_connections()
    fail_on_open_postgres_connections()  # closed by the check: nothing left
    store.close()


def test_a_runbook_is_found_by_the_resize_job_it_sent(store: Store) -> None:
    """/sdrs status of a stop-resize-start's resize job finds its runbook (the job is kept in
    the runbook's state); a LIKE wildcard in an asked-for id matches nothing else."""
    op_id = _pending(store)
    store.create_runbook(
        op_id=op_id,
        account="",
        channel="C_1",
        thread_ts="1.2",
        requester="U_A",
        confirmer="U_A",
        state_json='{"servers":[],"to_stop":[],"sdrs_job":"job-a1"}',
        step="resizing",
        now=NOW,
        deadline=NOW + timedelta(hours=1),
    )
    found = store.runbook_of_job("job-a1")
    assert found is not None and found.op_id == op_id and found.channel == "C_1"
    for other in ("job-a", "job-%", "job-_1", "%"):
        assert store.runbook_of_job(other) is None, other
