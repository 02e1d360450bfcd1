"""Tracking at scale: N concurrently tracked resize jobs, one ``sdrs-bot serve`` process.

The SDRS emulator and the Slack stand-in run in this process; the bot runs as a child process
(the real ``serve``: APScheduler, tracker, outbox), so its CPU time and peak RSS are its own.
All N jobs are submitted to the emulator at once (durations spread uniformly) and registered in
the store as the Confirm button would; then the bot follows them to the end. Printed per
backend (SQLite file, then PostgreSQL when reachable): SDRS job checks per job, report latency
(job end -> final report received by Slack) p50/p99/max, CPU seconds per 1,000 checks, peak
RSS, and whether any report is missing or doubled.

    python bench/tracker_scale.py [--jobs 10000] [--min-seconds 30] [--max-seconds 150]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sandbox.seed import (  # noqa: E402
    SANDBOX_AK,
    SANDBOX_PROJECT_ID,
    SANDBOX_SK,
    add_bulk_instances,
    seeded_world,
)
from bot.sandbox.server import Emulator, EmulatorThread  # noqa: E402
from bot.sandbox.slack_api import SlackApiState, SlackApiThread  # noqa: E402
from bot.sandbox.world import JobPlan  # noqa: E402
from bot.store import Store  # noqa: E402

TOKEN = "xoxb-bench"
POLL_FIRST, POLL_CAP = 5.0, 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_figures(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cpu, peak


def settled(store: Store) -> bool:
    from sqlalchemy import func, select

    from bot.store.schema import outbox, tracked_jobs

    with store.engine.connect() as conn:
        tracking = conn.execute(
            select(func.count()).where(tracked_jobs.c.state == "tracking")
        ).scalar()
        sending = conn.execute(
            select(func.count()).where(outbox.c.state.in_(("pending", "sending")))
        ).scalar()
    return tracking == 0 and sending == 0


def reset_postgres(url: str) -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        return True
    except Exception as exc:  # noqa: BLE001 - reported and skipped
        print(f"PostgreSQL not reachable ({type(exc).__name__}); skipped")
        return False


def run(db_url: str, jobs: int, lo: float, hi: float, channels: int) -> None:
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
            job_id=job_id, op_id=None, kind="resize", subject=pi, channel=channel,
            thread_ts=parent, requester="U0SCALE001", confirmer="U0SCALE001",
            detail={"sites": {"production": "s6.xlarge.2", "dr": "s6.xlarge.2"}}, now=now,
            first_check_at=now + timedelta(seconds=POLL_FIRST), messages=[], audit_detail={},
        )  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_", "SLACK_"))},
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "bench",
        "SLACK_API_URL": slack.api_url,
        "HUAWEICLOUD_SDK_AK": SANDBOX_AK,
        "HUAWEICLOUD_SDK_SK": SANDBOX_SK,
        "HUAWEICLOUD_SDK_PROJECT_ID": SANDBOX_PROJECT_ID,
        "SDRS_ENDPOINT": emulator.url,
        "ECS_ENDPOINT": emulator.url,
        "DATABASE_URL": db_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "JOB_POLL_FIRST_SECONDS": str(POLL_FIRST),
        "JOB_POLL_MAX_SECONDS": str(POLL_CAP),
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + hi + 600
        cpu, peak = 0.0, 0.0
        while time.monotonic() < deadline:
            time.sleep(2)
            cpu, peak = proc_figures(bot.pid)
            if settled(store):
                break
        elapsed = time.monotonic() - started
        checks = emulator.emulator.counts["GET job"]
        latencies, missing, doubled = [], 0, 0
        for job_id, job in world.jobs.items():
            tracked = store.get_tracked(job_id)
            thread = slack.state.thread(tracked.channel, tracked.thread_ts or "") if tracked else []
            finals = [m for m in thread if "SUCCESS:" in m["text"] or "FAIL:" in m["text"]]
            missing += not finals
            doubled += len(finals) > 1
            if finals:
                ended = (job.created + timedelta(seconds=job.done_after)).timestamp()
                latencies.append(finals[0]["_received_at"] - ended)
        latencies.sort()
        pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        backend = db_url.split(":", 1)[0]
        print(f"\n{backend}: {jobs} jobs ({lo:g}-{hi:g} s), {channels} channels, "
              f"poll {POLL_FIRST:g} s -> cap {POLL_CAP:g} s, done in {elapsed:.0f} s")  # fmt: skip
        print(f"  SDRS job checks per job    {checks / jobs:.2f}")
        print(f"  report latency p50/p99/max {pct(0.5):.1f} / {pct(0.99):.1f} / "
              f"{latencies[-1]:.1f} s   (target p99 <= {POLL_CAP + 2:g} s)")  # fmt: skip
        print(f"  bot CPU per 1,000 checks   {cpu / max(checks, 1) * 1000:.2f} s "
              f"({cpu:.0f} s in all)")  # fmt: skip
        print(f"  bot peak RSS               {peak:.0f} MiB   (target < 200 MiB)")
        print(f"  reports missing / doubled  {missing} / {doubled}")
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(30)
        store.close()
        slack.stop()
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--min-seconds", type=float, default=30.0)
    parser.add_argument("--max-seconds", type=float, default=150.0)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/sdrs_bot_test"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/scale.sqlite3", args.jobs, args.min_seconds, args.max_seconds,
            args.channels)  # fmt: skip
    if reset_postgres(args.postgres):
        run(args.postgres, args.jobs, args.min_seconds, args.max_seconds, args.channels)


if __name__ == "__main__":
    main()
