"""The tracker's cadence follows the due work: one tick claims batch after batch while they
come back full (more jobs may be due), instead of one batch per ``TRACKER_TICK_SECONDS``; a batch
in which SDRS answered 429 ends the tick (the next scheduled one tries again), so a backlog does
not turn into a burst against a rate limit. Real tracker, store and emulator, no scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.faults import Fault
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from tests.support.fleet import submit_tracked_jobs
from tests.support.seed import add_bulk_instances
from tests.support.slack_harness import ALICE, CHANNEL, Harness, make_harness

JOBS, BATCH = 12, 5


@pytest.fixture
async def due(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> AsyncIterator[Harness]:
    """JOBS running resizes, all due for their first check; the tracker claims BATCH a time."""
    add_bulk_instances(world, JOBS)
    h, store, _ = make_harness(
        tmp_path,
        slack,
        emulator,
        world,
        tracker_batch=BATCH,
        job_poll_first_seconds=5.0,
        job_poll_max_seconds=30.0,
        http_backoff_base=0.0,
        http_backoff_cap=0.0,
    )
    submit_tracked_jobs(
        world, store, slack, channels=[CHANNEL], seconds=(600, 600), seed=3, requester=ALICE
    )
    h.clock.t += timedelta(seconds=1)  # past every first check (0.5 s after submission)
    try:
        yield h
    finally:
        await h.deps.fleet.aclose()
        store.close()


def checked_jobs(emulator: EmulatorThread) -> set[str]:
    return {r.path.rsplit("/", 1)[-1] for r in emulator.emulator.requests if "/jobs/" in r.path}


async def test_one_tick_checks_every_due_job_batch_after_batch(
    due: Harness, emulator: EmulatorThread
) -> None:
    assert await due.tracker.tick() == JOBS  # 5 + 5 + 2: three claims in one tick
    assert len(checked_jobs(emulator)) == JOBS
    assert emulator.emulator.counts["GET job"] == JOBS  # each once
    assert await due.tracker.tick() == 0  # their next checks are 5 s away


async def test_a_batch_that_sdrs_rate_limits_ends_the_tick(
    due: Harness, emulator: EmulatorThread
) -> None:
    emulator.emulator.faults.add(
        Fault("status", method="GET", path_contains="/jobs/", status=429, times=None)
    )
    assert await due.tracker.tick() == BATCH  # the first batch only
    assert len(checked_jobs(emulator)) == BATCH
    emulator.emulator.faults.clear()
    # the rest are checked at the next tick (the throttled ones back off)
    assert await due.tracker.tick() == JOBS - BATCH
    assert len(checked_jobs(emulator)) == JOBS
