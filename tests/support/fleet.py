"""Shared set-up of the multi-process tests (crash, HA, shutdown): the stand-ins, and SDRS jobs
already submitted and tracked, as if confirmed earlier."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bot.core.facts import Rendered
from bot.core.states import JobKind
from bot.sandbox.seed import SANDBOX_PROJECT_ID, seeded_world
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread
from bot.sandbox.world import JobPlan, World
from bot.store import OutboxMessage, Store
from tests.support.seed import add_bulk_instances
from tests.support.slack_helpers import BOT_TOKEN


@contextlib.contextmanager
def stands(
    instances: int, job_init_seconds: float = 0.3, job_seconds: float = 1.0
) -> Iterator[tuple[EmulatorThread, SlackApiThread]]:
    world = seeded_world(job_init_seconds=job_init_seconds, job_seconds=job_seconds)
    add_bulk_instances(world, instances)
    emulator = EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID))
    emulator.start()
    slack = SlackApiThread(SlackApiState(token=BOT_TOKEN))
    slack.start()
    try:
        yield emulator, slack
    finally:
        slack.stop()
        emulator.stop()


def submit_tracked_jobs(
    world: World,
    store: Store,
    slack: SlackApiThread,
    *,
    channels: list[str],
    seconds: tuple[float, float],
    seed: int,
    requester: str,
) -> None:
    """Resize every bulk instance (jobs lasting ``seconds`` at random) and track each job as
    the bot would after a confirmation: a parent message in its channel, a 'submitted' reply."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    bulk = [i for i in world.instances if world.instances[i].name.startswith("pi-bulk")]
    for n, pi in enumerate(bulk):
        world.plan_next_job(JobPlan(seconds=rng.uniform(*seconds)))
        job_id = world.resize(pi, {"resize": {"flavorRef": "s6.xlarge.2"}})
        channel = channels[n % len(channels)]
        parent = f"{1700000000 + seed}.{n:06d}"
        slack.state.messages[(channel, parent)] = {"type": "message", "text": "c", "ts": parent}
        store.record_submission(
            job_id=job_id,
            op_id=None,
            kind=JobKind.RESIZE,
            subject=pi,
            channel=channel,
            thread_ts=parent,
            requester=requester,
            confirmer=requester,
            detail={"sites": {"production": "s6.xlarge.2", "dr": "s6.xlarge.2"}},
            now=now,
            first_check_at=now + timedelta(seconds=0.5),
            messages=[
                OutboxMessage(
                    dedupe_key=f"job:{job_id}:submitted",
                    channel=channel,
                    thread_ts=parent,
                    content=Rendered(text="submitted"),
                )
            ],
            audit_detail={},
        )


def settled(store: Store) -> bool:
    """No job left to track, no message left to send."""
    return not any(store.pending_work().values())


def leases_of(store: Store, owner: str) -> set[str]:
    """The jobs whose lease ``owner`` (a replica id) holds right now."""
    from sqlalchemy import select

    from bot.store.schema import tracked_jobs

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(tracked_jobs.c.job_id).where(tracked_jobs.c.lease_owner == owner)
        )
        return {r.job_id for r in rows}
