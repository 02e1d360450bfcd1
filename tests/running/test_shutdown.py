"""Graceful shutdown: two ``sdrs-bot serve`` replicas on real PostgreSQL track 120
jobs; replica 0 gets SIGTERM while it holds job leases. It exits cleanly within
SHUTDOWN_SECONDS, releasing its leases, so replica 1 takes those jobs at its next ticks, before
any lease could have run out (it would otherwise have waited for them). Every report arrives
exactly once; the hand-over times are printed."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.faults import Fault
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.store import Store
from tests.support.fleet import leases_of, settled, stands, submit_tracked_jobs
from tests.support.local_env import serve_env
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_helpers import BOT_TOKEN, SIGNING_SECRET

# one at a time: each keeps several processes and hundreds of jobs busy (the fleet group)
pytestmark = [pytest.mark.process, pytest.mark.xdist_group("fleet")]

JOBS = 120
CHANNELS = [f"C0SD{n:05d}" for n in range(12)]
LEASE = 30.0  # what a killed replica's jobs would wait for
POLL_CAP = 1.0
CHECK = 2.0  # SDRS answers each job check this late: a tick holds its leases that long
BATCH = 60  # jobs one tick claims: both replicas get work, replica 0 always holds some
SHUTDOWN = 10.0


@pytest.fixture
def stands_sd() -> Iterator[tuple[EmulatorThread, SlackApiThread]]:
    with stands(JOBS) as both:
        yield both


def released_leases(log_path: Path) -> int:
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if str(event.get("msg", "")).startswith("job leases released:"):
            return int(event["msg"].split(":")[1].split()[0])
    raise AssertionError("no 'job leases released' event in the log")


def test_sigterm_hands_jobs_over_within_one_poll(
    pg_url: str, stands_sd: tuple[EmulatorThread, SlackApiThread], serve: ServeFactory
) -> None:
    emulator, slack = stands_sd
    world = emulator.emulator.world
    # Each job check takes CHECK seconds at SDRS, so replica 0 is mid-tick (holding leases)
    # when told to stop; a killed replica's jobs would wait LEASE seconds.
    emulator.emulator.faults.add(
        Fault("latency", method="GET", path_contains="/jobs/", seconds=CHECK, times=None)
    )
    store = Store.from_url(pg_url)
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=pg_url,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        outbox_pace_seconds="0.05",
        outbox_tick_seconds="0.1",
        tracker_tick_seconds="0.2",
        job_poll_first_seconds="0.5",
        job_poll_max_seconds=str(POLL_CAP),
        tracker_concurrency="200",
        tracker_batch=str(BATCH),
        lease_seconds=str(LEASE),
        shutdown_seconds=str(SHUTDOWN),
        log_format="json",
    )
    try:
        procs = [
            serve({**env, "REPLICA_ID": f"replica-{r}"}, name=f"replica-{r}") for r in range(2)
        ]
        for proc in procs:
            proc.wait_ready()  # both replicas tick: both get work
        # the jobs start once the replicas run: a slow start on a busy machine eats none of them
        submit_tracked_jobs(
            world,
            store,
            slack,
            channels=CHANNELS,
            seconds=(6.0, 14.0),
            seed=11,
            requester="U0SD000001",
        )
        logs = [proc.log for proc in procs]
        # told to stop while it holds job leases (mid-tick: each check takes CHECK seconds)
        held = wait_for(lambda: leases_of(store, "replica-0"), 20, "replica 0 to hold a lease")
        term_at = time.time()
        procs[0].send_signal(signal.SIGTERM)
        code = procs[0].wait(SHUTDOWN + 5)
        stopped_in = time.time() - term_at
        assert code == 0, logs[0].read_text()[-2000:]
        assert stopped_in <= SHUTDOWN + 2
        # its tick was cut short and its leases given back - or, on a busy machine, the tick had
        # just ended when the signal came (a CI run saw "released: 0"): either way nothing is
        # left leased to it, so replica 1 need not wait LEASE seconds for any of its jobs
        released_leases(logs[0])  # fails unless the shutdown said how many it gave back
        assert not leases_of(store, "replica-0")
        wait_for(lambda: settled(store), 90, "no jobs or messages pending")
        stopped_at = term_at + stopped_in
        # every job check from the SIGTERM on: replica 0 sends none once told to stop (it cuts
        # its tick short and gives its leases back while it shuts down), so these are replica
        # 1's - which may come before replica 0 has quite exited (stopped_at)
        first_check_after: dict[str, float] = {}
        for request in list(emulator.emulator.requests):
            job_id = request.path.rsplit("/", 1)[-1]
            if "/jobs/" in request.path and request.at >= term_at:
                first_check_after.setdefault(job_id, request.at)
        # the jobs replica 0 held when told to stop: checked again by replica 1 at its next
        # tick - all but those replica 0 saw end before it stopped (a busy machine leaves
        # time between the look at the leases and the SIGTERM)
        for job_id in held:
            tracked = store.get_tracked(job_id)
            assert tracked is not None and tracked.finished_at is not None
            assert job_id in first_check_after or tracked.finished_at.timestamp() <= stopped_at, (
                job_id
            )
        handover = max(
            (first_check_after[j] - term_at for j in held if j in first_check_after),
            default=0.0,
        )
        noticed_after_term = []
        for job_id, job in world.jobs.items():
            tracked = store.get_tracked(job_id)
            assert tracked is not None and tracked.finished_at is not None
            thread = slack.state.thread(tracked.channel, tracked.thread_ts or "")
            finals = [m for m in thread if "SUCCESS:" in m["text"]]
            assert len(finals) == 1, (job_id, [m["text"] for m in thread])
            ended = (job.created + timedelta(seconds=job.done_after)).timestamp()
            if ended > term_at:
                noticed_after_term.append(tracked.finished_at.timestamp() - ended)
        # some jobs must end after the stop, or this run shows nothing about the hand-over
        # (how many depends on how fast the replicas start on a busy machine)
        assert noticed_after_term, "no job ended after the stop"
        worst = max(noticed_after_term)
        print(  # noqa: T201 - the figures of this run, for the record
            f"\nSIGTERM: replica 0 stopped in {stopped_in:.2f}s, released "
            f"{released_leases(logs[0])} leases; those {len(held)} jobs checked again by "
            f"replica 1 within {handover:.2f}s of the SIGTERM; {len(noticed_after_term)} jobs "
            f"ended after the stop: noticed within max {worst:.2f}s (lease {LEASE:g}s)"
        )
        # the leases were given back: replica 1 took those jobs before any lease could have
        # run out (the printed figures: about 5 s of the 30 s lease on a quiet machine)
        assert handover < LEASE
        assert worst < LEASE
    finally:
        store.close()
