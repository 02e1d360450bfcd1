"""A graceful stop while a tracker tick is in flight (SDRS answering the job check late): the
tick is cut short, its lease given back, the scheduler stopped - and nothing is logged as an
error (APScheduler logs a job cancelled under it as "raised an exception")."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.core.states import JobKind
from bot.runtime import shut_down, start_scheduler
from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from tests.support.slack_harness import make_harness
from tests.support.slack_helpers import until


@pytest.mark.slow
async def test_a_stop_during_a_tracker_tick_logs_no_error(
    tmp_path: Path,
    slack: SlackApiThread,
    emulator: EmulatorThread,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h, store, sdrs = make_harness(
        tmp_path, slack, emulator, world, tracker_tick_seconds=0.1, shutdown_seconds=5.0
    )
    job_id = world.resize(sid("pi-erp-db"), {"resize": {"flavorRef": "s6.xlarge.2"}})
    now = h.deps.now()
    store.record_submission(
        job_id=job_id,
        op_id=None,
        kind=JobKind.RESIZE,
        subject=sid("pi-erp-db"),
        channel="C1",
        thread_ts=None,
        requester="U1",
        confirmer="U1",
        detail={},
        now=now,
        first_check_at=now,
        messages=[],
        audit_detail={},
    )
    emulator.emulator.faults.add(
        Fault("latency", method="GET", path_contains="/jobs/", seconds=5.0, times=None)
    )
    scheduler = start_scheduler(h.deps, h.tracker, h.sender)
    try:
        # the tick is now waiting for SDRS, holding the job's lease
        await until(lambda: any("/jobs/" in r.path for r in emulator.emulator.requests))
        assert store.get_tracked(job_id) is not None
        with caplog.at_level(logging.INFO):
            await shut_down(h.deps, h.tracker, h.sender, scheduler)
    finally:
        await h.deps.fleet.aclose()
        store.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert any("cut short by the stop" in r.getMessage() for r in caplog.records)
    assert any("job leases released: 1" in r.getMessage() for r in caplog.records)
    assert not scheduler.running


async def test_a_stop_with_the_database_gone_logs_the_reason_not_a_traceback(
    tmp_path: Path,
    slack: SlackApiThread,
    emulator: EmulatorThread,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h, store, sdrs = make_harness(tmp_path, slack, emulator, world, shutdown_seconds=3.0)
    scheduler = start_scheduler(h.deps, h.tracker, h.sender)
    (tmp_path / "bot.sqlite3").rename(tmp_path / "gone.sqlite3")  # the volume went away
    try:
        with caplog.at_level(logging.INFO):
            await shut_down(h.deps, h.tracker, h.sender, scheduler)  # returns, raises nothing
    finally:
        await h.deps.fleet.aclose()
        store.close()
    reasons = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("stopping with the database unavailable" in m for m in reasons), reasons
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    await asyncio.sleep(0)  # AsyncIOScheduler.shutdown takes effect on the loop's next turn
    assert not scheduler.running
