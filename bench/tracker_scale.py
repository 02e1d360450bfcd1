"""Tracking at scale: N concurrently tracked resize jobs, one ``sdrs-bot serve`` process (or
``--replicas`` of them sharing the database).

The SDRS emulator and the Slack stand-in run in this process; the bot runs as child processes
(the real ``serve``: APScheduler, tracker, outbox), so their CPU time and peak RSS are their own.
All N jobs are submitted to the emulator (durations spread uniformly) and registered in the store
as the Confirm button would; then they all start at once, as the bot is started, and the bot
follows them to the end. Printed per backend (SQLite file, then PostgreSQL when reachable): SDRS
job checks per job, report latency (job end -> final report received by Slack) p50/p99/max, split
into job end -> noticed (the job's ``finished_at``) and noticed -> in Slack, CPU seconds per 1,000
checks (the bots', counted from when each answers ``/readyz``; and the emulator's and the Slack
stand-in's own, from their threads' CPU clocks), peak RSS, the load average, and whether any
report is missing or doubled. PostgreSQL runs in a database of the bench's own, made next to the
one ``--postgres`` names and dropped at the end.

    python bench/tracker_scale.py [--jobs 10000] [--min-seconds 30] [--max-seconds 150]
    python bench/tracker_scale.py --jobs 30000 --backends postgresql --replicas 3
    python bench/tracker_scale.py --quick     # 20 jobs of 1-3 s, polled at 1 s: seconds (CI)

Exits non-zero when the bench cannot run: a bot exits, the jobs are not all reported within
the bench's wait, or a report is missing or doubled (figures are printed, never asserted).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.states import JobKind  # noqa: E402
from bot.sandbox.seed import SANDBOX_PROJECT_ID, seeded_world  # noqa: E402
from bot.sandbox.server import Emulator, EmulatorThread  # noqa: E402
from bot.sandbox.slack_api import SlackApiState, SlackApiThread  # noqa: E402
from bot.sandbox.world import JobPlan, World  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.schema import tracked_jobs  # noqa: E402
from bot.store.times import epoch  # noqa: E402
from tests.support.bench_db import bench_database  # noqa: E402
from tests.support.local_env import free_port, serve_env  # noqa: E402
from tests.support.seed import add_bulk_instances  # noqa: E402

TOKEN = "xoxb-bench"


class BenchFailed(Exception):
    """The bench itself could not run (not a slow figure: figures are never asserted)."""


def proc_figures(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cpu, peak


def start_jobs_now(world: World, store: Store, poll_first: float) -> None:
    """Every job starts now (emulator) and was submitted now (store, first check due after
    ``poll_first``), as if all N had been submitted at this instant."""
    now = datetime.now(UTC)
    with world.lock:
        for job in world.jobs.values():
            job.created = now
    with store.engine.begin() as conn:
        conn.execute(
            update(tracked_jobs).values(
                submitted_at=epoch(now), next_check_at=epoch(now) + poll_first
            )
        )


def wait_ready(bot: subprocess.Popen[bytes], health_port: int) -> float:
    """Wait until a bot answers ``/readyz``; its CPU seconds then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            raise BenchFailed(f"a bot exited with status {bot.returncode} while starting")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/readyz", timeout=2):
                return proc_figures(bot.pid)[0]
        time.sleep(0.1)
    raise BenchFailed("a bot did not become ready within 120 s")


def settled(store: Store) -> bool:
    return not any(store.pending_work().values())


def run(db_url: str, args: argparse.Namespace, log: IO[str]) -> None:
    jobs, lo, hi, channels = args.jobs, args.min_seconds, args.max_seconds, args.channels
    poll_first, poll_cap = args.poll_first, args.poll_cap
    world = seeded_world(job_init_seconds=1.0)
    instances = add_bulk_instances(world, jobs)
    emulator = EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID))
    emulator.start()
    slack = SlackApiThread(SlackApiState(token=TOKEN))
    slack.start()
    store = Store.from_url(db_url)
    rng = random.Random(1)
    now = datetime.now(UTC)
    for n, pi in enumerate(instances):
        world.plan_next_job(JobPlan(seconds=rng.uniform(lo, hi)))
        job_id = world.resize(pi, {"resize": {"flavorRef": "s6.xlarge.2"}})
        channel = f"C0SCALE{n % channels:04d}"
        parent = f"1700000002.{n:06d}"
        slack.state.messages[(channel, parent)] = {"type": "message", "text": "c", "ts": parent}
        store.record_submission(
            job_id=job_id,
            op_id=None,
            kind=JobKind.RESIZE,
            subject=pi,
            channel=channel,
            thread_ts=parent,
            requester="U0SCALE001",
            confirmer="U0SCALE001",
            detail={"sites": {"production": "s6.xlarge.2", "dr": "s6.xlarge.2"}},
            now=now,
            first_check_at=now + timedelta(days=1),  # until they all start (start_jobs_now)
            messages=[],
            audit_detail={},
        )
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db_url,
        bot_token=TOKEN,
        signing_secret="bench",
        http_port=str(free_port()),
        job_poll_first_seconds=str(poll_first),
        job_poll_max_seconds=str(poll_cap),
    )
    ports = [(free_port(), free_port()) for _ in range(args.replicas)]  # (Slack HTTP, health)
    bots = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            env={
                **env,
                "REPLICA_ID": f"replica-{r}",
                "HTTP_PORT": str(http),
                "HEALTH_PORT": str(health),
            },
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for r, (http, health) in enumerate(ports)
    ]
    try:
        # what starting costs (imports, migrations, connections) is not tracking: CPU is counted
        # from the moment each bot answers /readyz
        start_cpu = [wait_ready(bot, health) for bot, (_, health) in zip(bots, ports, strict=True)]
        # Submitting N jobs takes a while (N transactions): they all start now, once the bots are
        # ready, so that no job has run (or ended) before anything was following it.
        start_jobs_now(world, store, poll_first)
        started = time.monotonic()
        load_before = os.getloadavg()
        stands_cpu = emulator.cpu_seconds(), slack.cpu_seconds()
        wait = hi + (60 if args.quick else 600)
        deadline = time.monotonic() + wait
        cpus, peaks = [0.0] * len(bots), [0.0] * len(bots)
        timed_out = False
        while not settled(store):
            for bot in bots:
                if bot.poll() is not None:
                    raise BenchFailed(f"a bot exited with status {bot.returncode}")
            if time.monotonic() > deadline:
                timed_out = True  # the figures so far are printed, then the bench fails
                break
            time.sleep(0.5 if args.quick else 2)
            for r, bot in enumerate(bots):
                cpus[r], peaks[r] = proc_figures(bot.pid)
        cpus = [c - c0 for c, c0 in zip(cpus, start_cpu, strict=True)]
        cpu, peak = sum(cpus), max(peaks)
        emulator_cpu = emulator.cpu_seconds() - stands_cpu[0]
        slack_cpu = slack.cpu_seconds() - stands_cpu[1]
        load_after = os.getloadavg()
        elapsed = time.monotonic() - started
        checks = emulator.emulator.counts["GET job"]
        latencies, missing, doubled = [], 0, 0
        finals_in: dict[tuple[str, str], list[dict[str, object]]] = {}
        for (channel, _ts), message in slack.state.messages.items():
            text = str(message.get("text"))
            if "thread_ts" in message and ("SUCCESS:" in text or "FAIL:" in text):
                finals_in.setdefault((channel, str(message["thread_ts"])), []).append(message)
        tracked = {j.job_id: j for j in store.all_tracked()}
        noticed, delivered = [], []
        for job_id, job in world.jobs.items():
            t = tracked.get(job_id)
            finals = finals_in.get((t.channel, t.thread_ts or "") if t else ("", ""), [])
            missing += not finals
            doubled += len(finals) > 1
            if finals:
                ended = (job.created + timedelta(seconds=job.done_after)).timestamp()
                received = float(finals[0]["_received_at"])  # type: ignore[arg-type]
                latencies.append(received - ended)
                if t is not None and t.finished_at is not None:
                    noticed.append(t.finished_at.timestamp() - ended)
                    delivered.append(received - t.finished_at.timestamp())

        def figures(values: list[float]) -> str:
            if not values:
                return "- (none)"
            values = sorted(values)
            at = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
            return f"{at(0.5):.1f} / {at(0.99):.1f} / {values[-1]:.1f} s"

        backend = db_url.split(":", 1)[0]
        processes = f"{args.replicas} replicas" if args.replicas > 1 else "1 process"
        print(
            f"\n{backend}: {jobs} jobs ({lo:g}-{hi:g} s), {channels} channels, {processes}, "
            f"poll {poll_first:g} s -> cap {poll_cap:g} s, done in {elapsed:.0f} s "
            f"(load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end)"
        )
        print(f"  SDRS job checks per job    {checks / jobs:.2f}")
        print(
            f"  report latency p50/p99/max {figures(latencies)}   "
            f"(target p99 <= {poll_cap + 2:g} s)"
        )
        print(f"    job end -> noticed       {figures(noticed)}")
        print(f"    noticed -> in Slack      {figures(delivered)}")
        per_1000 = 1000 / max(checks, 1)
        print(
            f"  bot CPU per 1,000 checks   {cpu * per_1000:.2f} s ({cpu:.0f} s in all, "
            f"{cpu / jobs * 1000:.1f} ms per job; start-up {sum(start_cpu):.1f} s not counted)"
        )
        if len(bots) > 1:
            print(f"    per replica              {', '.join(f'{c:.0f} s' for c in cpus)}")
        print(
            f"  stand-ins' CPU per 1,000   SDRS emulator {emulator_cpu * per_1000:.2f} s "
            f"({emulator_cpu:.0f} s), Slack {slack_cpu * per_1000:.2f} s ({slack_cpu:.0f} s)"
        )
        print(f"  bot peak RSS               {peak:.0f} MiB   (target < 200 MiB)")
        print(f"  reports missing / doubled  {missing} / {doubled}")
        if timed_out:
            print(f"  NOT SETTLED within {wait:g} s: 'missing' counts the reports not yet in Slack")
            raise BenchFailed(f"the jobs were not all reported within {wait:g} s")
        if missing or doubled:
            raise BenchFailed(f"{missing} report(s) missing, {doubled} doubled")
    finally:
        for bot in bots:
            bot.send_signal(signal.SIGTERM)
        for bot in bots:
            try:
                bot.wait(30)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        store.close()
        slack.stop()
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--min-seconds", type=float, default=30.0)
    parser.add_argument("--max-seconds", type=float, default=150.0)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--poll-first", type=float, default=5.0, help="JOB_POLL_FIRST_SECONDS")
    parser.add_argument("--poll-cap", type=float, default=30.0, help="JOB_POLL_MAX_SECONDS")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/sdrs_bot_test"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="serve processes sharing the database (REPLICA_ID replica-0...; PostgreSQL)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="20 jobs of 1-3 s in 5 channels, polled at 1-2 s"
    )
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.min_seconds, args.max_seconds, args.channels = 20, 1.0, 3.0, 5
        args.poll_first, args.poll_cap = 1.0, 2.0
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/bot.log", "w+") as log:
        try:
            if "sqlite" in backends:
                run(f"sqlite:///{tmp}/scale.sqlite3", args, log)
            if "postgresql" in backends:
                with bench_database(args.postgres, "scale") as url:
                    if url is None:
                        print(f"\nPostgreSQL not reachable at {args.postgres}: skipped")
                    else:
                        run(url, args, log)
        except BenchFailed as failed:
            log.seek(0)
            tail = "".join(log.readlines()[-20:])
            print(f"the bot's log, last lines:\n{tail}", file=sys.stderr)
            print(f"tracker_scale: the bench could not run: {failed}", file=sys.stderr)
            raise SystemExit(1) from None


if __name__ == "__main__":
    main()
