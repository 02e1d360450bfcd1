"""HA on real PostgreSQL: three ``sdrs-bot serve`` replicas share one database and track 500
resize jobs; one replica is killed (SIGKILL) mid-run, while it holds job leases. Every job's
end is noticed and reported exactly once - also the jobs the dead replica held. How fast (job
end -> noticed -> report in Slack) is printed as figures, not asserted: timings belong to
benchmarks on a shared machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.store import Store
from tests.support.fleet import leases_of, settled, stands, submit_tracked_jobs
from tests.support.local_env import serve_env
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_helpers import BOT_TOKEN, SIGNING_SECRET

# one at a time: each keeps several processes and hundreds of jobs busy (the fleet group)
pytestmark = [pytest.mark.process, pytest.mark.xdist_group("fleet")]

JOBS = 500
CHANNELS = [f"C0HA{n:05d}" for n in range(25)]
LEASE = 3.0
POLL_CAP = 2.0


@pytest.fixture
def stands_ha() -> Iterator[tuple[EmulatorThread, SlackApiThread]]:
    with stands(JOBS) as both:
        yield both


def test_three_replicas_on_postgresql_one_killed(
    pg_url: str, stands_ha: tuple[EmulatorThread, SlackApiThread], serve: ServeFactory
) -> None:
    db_url = pg_url
    emulator, slack = stands_ha
    world = emulator.emulator.world
    store = Store.from_url(db_url)
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db_url,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        outbox_pace_seconds="0.1",
        outbox_tick_seconds="0.1",
        tracker_tick_seconds="0.2",
        job_poll_first_seconds="0.5",
        job_poll_max_seconds=str(POLL_CAP),
        lease_seconds=str(LEASE),
    )
    try:
        procs = [
            serve({**env, "REPLICA_ID": f"replica-{r}"}, name=f"replica-{r}") for r in range(3)
        ]
        for proc in procs:
            proc.wait_ready()
        # the jobs start once the replicas run: a slow start on a busy machine eats none of them
        submit_tracked_jobs(
            world,
            store,
            slack,
            channels=CHANNELS,
            seconds=(2.0, 12.0),
            seed=3,
            requester="U0HA000001",
        )
        # killed mid-run: while it holds job leases (those jobs wait for the lease to run out)
        wait_for(lambda: leases_of(store, "replica-0"), 60, "replica 0 to hold job leases")
        procs[0].kill()
        wait_for(lambda: settled(store), 120, "no jobs or messages pending")
        latencies, noticed = [], []
        for job_id, job in world.jobs.items():
            tracked = store.get_tracked(job_id)
            assert tracked is not None
            thread = slack.state.thread(tracked.channel, tracked.thread_ts or "")
            finals = [m for m in thread if "SUCCESS:" in m["text"]]
            assert len(finals) == 1, (job_id, [m["text"] for m in thread])
            ended = (job.created + timedelta(seconds=job.done_after)).timestamp()
            latencies.append(finals[0]["_received_at"] - ended)
            assert tracked.finished_at is not None
            noticed.append(tracked.finished_at.timestamp() - ended)

        def figures(values: list[float]) -> str:
            values = sorted(values)
            p50, p99 = values[len(values) // 2], values[int(len(values) * 0.99)]
            return f"p50 {p50:.2f}s p99 {p99:.2f}s max {values[-1]:.2f}s"

        print(  # noqa: T201 - the figures of this run, for the record
            f"\nHA: {len(latencies)} jobs, 3 replicas (one killed holding leases); "
            f"job end -> noticed {figures(noticed)}; "
            f"job end -> report in Slack {figures(latencies)}"
        )
    finally:
        store.close()
