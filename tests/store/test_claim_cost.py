"""The tracker's claim costs the same whatever the number of jobs that are not due: the
finished ones (their ``next_check_at`` is when they ended, always in the past) and the tracked
ones whose next check is later. Measured as work the database does, not time: SQLite's
virtual-machine steps (a progress handler called every step) and PostgreSQL's rows read by the
plan's scans (``EXPLAIN ANALYZE``), for the very statement ``claim_jobs`` sends, replayed in a
transaction that is rolled back. And the batches on the way out (the outbox's claim) and in
(the intake's rows) are a few statements of one shape whatever their size."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

from bot.core.states import JobKind, JobState
from bot.store import Store
from bot.store.schema import tracked_jobs
from bot.store.times import epoch

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DUE = 300  # jobs due now, more than one claim takes
LIMIT = 50


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    yield s
    s.close()


def add_jobs(store: Store, prefix: str, count: int, *, state: JobState, next_at: float) -> None:
    rows = [
        {
            "job_id": f"{prefix}-{n:06d}",
            "op_id": None,
            "kind": JobKind.RESIZE.value,
            "subject": f"pi-{n}",
            "channel": "C1",
            "thread_ts": "1.000001",
            "requester": "U1",
            "confirmer": "U1",
            "detail_json": json.dumps({}),
            "submitted_at": epoch(NOW) - 3600,
            "next_check_at": next_at,
            "checks": 3,
            "errors": 0,
            "state": state.value,
            "stuck_reported": False,
            "account": "",
        }
        for n in range(count)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(tracked_jobs), rows)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE tracked_jobs"))  # what autovacuum does on a real table


def claim_statement(store: Store) -> tuple[str, Any]:
    """The UPDATE ... RETURNING that ``claim_jobs`` sends, and its parameters, captured from a
    real claim whose leases are then given back (the replay sees no job leased)."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TRACKED_JOBS"):
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        claimed = store.claim_jobs("probe", NOW, lease_seconds=30, limit=LIMIT)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert len(claimed) == LIMIT and len(seen) == 1
    assert store.release_leases("probe") == LIMIT
    return seen[0]


def work_of(engine: Engine, statement: str, parameters: Any) -> int:
    """How much the database works to run ``statement`` (rolled back afterwards)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            steps = 0

            def step() -> int:
                nonlocal steps
                steps += 1
                return 0

            raw.driver_connection.set_progress_handler(step, 1)  # type: ignore[union-attr]
            try:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            finally:
                raw.driver_connection.set_progress_handler(None, 1)  # type: ignore[union-attr]
            return steps
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        (plan,) = cursor.fetchone()  # type: ignore[misc]
        return rows_read(plan[0]["Plan"])
    finally:
        raw.rollback()
        raw.close()


def rows_read(node: dict[str, Any]) -> int:
    """Rows a PostgreSQL plan's scans produced or threw away (by filter or by a skipped lock)."""
    own = 0
    if "Scan" in node["Node Type"]:
        loops = node.get("Actual Loops", 1)
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
    return own + sum(rows_read(child) for child in node.get("Plans", []))


def test_the_claim_does_not_read_the_jobs_that_are_not_due(store: Store) -> None:
    add_jobs(store, "due", DUE, state=JobState.TRACKING, next_at=epoch(NOW) - 1)
    small = work_of(store.engine, *claim_statement(store))
    # many more jobs, none of them due: finished ones (their next_check_at is when they ended)
    # and tracked ones checked later
    ended = epoch(NOW - timedelta(minutes=30))
    add_jobs(store, "finished", 6000, state=JobState.FINISHED, next_at=ended)
    add_jobs(store, "gave-up", 1000, state=JobState.GAVE_UP, next_at=ended)
    add_jobs(store, "later", 6000, state=JobState.TRACKING, next_at=epoch(NOW) + 60)
    large = work_of(store.engine, *claim_statement(store))
    # the same work within noise (a deeper index is a level more per row), not 13,000 rows more
    assert large <= small * 1.5, (small, large)


def test_the_outbox_claim_is_a_few_statements_whatever_the_batch(store: Store) -> None:
    """A burst of reports (one per channel) is claimed with the heads' read, the free slots'
    read (locked on PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED), one UPDATE that takes the
    heads and one that reserves their channels' slots - not two statements and a
    transaction per message (1.4 ms of CPU each on PostgreSQL: a burst of 1,000 reports waited
    seconds for it). Each message is taken once, oldest first, up to the limit; a channel
    whose slot is taken keeps its message for the next claim."""
    from bot.core.facts import Rendered
    from bot.core.records import OutboxMessage

    for n in range(120):
        message = OutboxMessage(f"report-{n}", f"C{n % 100:03d}", Rendered(text=f"r{n}"))
        assert store.enqueue(message, NOW)
    store.hold_channel("C007", NOW + timedelta(seconds=30))  # Slack said Retry-After
    sent: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        verb = statement.split()[0].upper()
        sent.append(
            f"{verb} FOR UPDATE" if verb == "SELECT" and "FOR UPDATE" in statement else verb
        )

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        first = store.claim_messages("A", NOW, lease_seconds=30, pace_seconds=1, limit=80)
        taken = len(sent)
        second = store.claim_messages("B", NOW, lease_seconds=30, pace_seconds=1, limit=80)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    # (SQLite's own BEGIN IMMEDIATE aside: the write lock, taken first)
    slots = "SELECT FOR UPDATE" if store.engine.dialect.name == "postgresql" else "SELECT"
    assert [s for s in sent[:taken] if s != "BEGIN"] == ["SELECT", slots, "UPDATE", "UPDATE"]
    keys = [row.message.dedupe_key for row in first + second]
    # one per channel (the pace), the held channel skipped, the oldest first, none twice
    assert keys == [f"report-{n}" for n in range(100) if n != 7]
    assert len(first) == 80 and all(row.attempts == 1 and not row.uncertain for row in first)
    # the slots are reserved: nothing more for a second until the pace has passed
    for row in first + second:
        assert store.mark_sent(row.id, "A" if row in first else "B", "1.0")
    assert store.claim_messages("A", NOW, lease_seconds=30, pace_seconds=1, limit=80) == []
    later = store.claim_messages(
        "A", NOW + timedelta(seconds=1), lease_seconds=30, pace_seconds=1, limit=80
    )
    # the next of each channel (C007's first still waits for its hold)
    assert [row.message.dedupe_key for row in later] == [
        f"report-{n}" for n in range(100, 120) if n != 107
    ]


def test_the_outbox_claim_waits_for_no_other_transaction(pg_url: str) -> None:
    """PostgreSQL: a channel's slot locked by another transaction (a replica reserving it, a
    hold for Retry-After being written) is left for the next claim; the claim takes the other
    channels at once instead of waiting - so it can never be part of a deadlock."""
    import threading

    from bot.core.facts import Rendered
    from bot.core.records import OutboxMessage

    store = Store.from_url(pg_url)
    try:
        for n in range(3):
            assert store.enqueue(OutboxMessage(f"r-{n}", f"C{n}", Rendered(text="r")), NOW)
        result: list[list[str]] = []
        with store.engine.connect() as other, other.begin():
            other.execute(text("SELECT * FROM channel_pacing WHERE channel = 'C1' FOR UPDATE"))

            def claim() -> None:
                rows = store.claim_messages("A", NOW, lease_seconds=30, pace_seconds=1, limit=10)
                result.append([row.message.channel for row in rows])

            worker = threading.Thread(target=claim)
            worker.start()
            worker.join(timeout=10)
            waited = worker.is_alive()
        worker.join()
        assert not waited, "the claim waited for the other transaction's lock"
        assert result == [["C0", "C2"]]
        later = store.claim_messages("A", NOW, lease_seconds=30, pace_seconds=1, limit=10)
        assert [row.message.channel for row in later] == ["C1"]
    finally:
        store.close()


def test_the_inbox_batch_is_one_statement_whatever_its_size(store: Store) -> None:
    """The intake's batch (``put_inbox_many``, on the way to the acks) is one fixed text
    whatever the number of rows - the rows travel as parameters (PostgreSQL arrays, a SQLite
    JSON array), so nothing is compiled or cached per batch size (SQLAlchemy's multi-row
    VALUES made a statement for each, up to the intake's 200). Each row's times come back
    exactly as given."""
    from bot.core.states import InboxKind
    from bot.store.intake import Row

    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            sent.append(statement)

    rows = []
    event.listen(store.inbox_engine, "before_cursor_execute", record)
    try:
        for size in (1, 2, 3, 7, 20):
            at = NOW + timedelta(microseconds=size * 123_457)
            batch = [
                Row(InboxKind.COMMAND, f"command:{size}-{n}", {"n": n}, at, "r1", 60.25)
                for n in range(size)
            ]
            assert all(store.put_inbox_many(batch))
            rows += batch
    finally:
        event.remove(store.inbox_engine, "before_cursor_execute", record)
    assert len(sent) == 5 and len(set(sent)) == 1
    with store.inbox_engine.connect() as conn:
        written = {
            key: (received, until)
            for key, received, until in conn.execute(
                text("SELECT dedupe_key, received_at, lease_until FROM inbox")
            )
        }
    assert written == {r.dedupe_key: (epoch(r.now), epoch(r.now) + 60.25) for r in rows}
