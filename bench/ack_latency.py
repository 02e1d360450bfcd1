"""Slash-command ack latency: sdrs-bot against a bare Bolt app that only acks, same run.

Each app runs in its own process, in HTTP mode, behind the same aiohttp adapter; both talk to
one Slack Web API stand-in (its own process), and the bot to the SDRS emulator (its own process)
answering every call 2 s late. The load generator sends N signed ``/sdrs`` commands (half
resize, half drill rename - the rename reads SDRS before posting its confirmation) at
concurrency C and prints p50/p99 of the time to the HTTP answer (the ack) for both apps, and
the ratios bot/bare. Figures are comparable only within one run. The bot runs as shipped but
for its request policy, which names the bench's user (``serve`` refuses to start without one).

    python bench/ack_latency.py [--requests 1000] [--concurrency 20] [--sdrs-delay 2] [--workers 1]
        [--database sqlite|postgresql]
    python bench/ack_latency.py --quick     # the same paths with tiny counts, in seconds (CI)

With ``--workers 1`` (the default here) the bot acks and queues in its serving process and a
worker process does the rest; ``--workers 0`` measures the all-in-one process for comparison.
Exits non-zero when the bench cannot run: an app does not start, a request is not answered 200,
or an acked command does not reach its confirmation (figures are printed, never asserted).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.seed import sid
from tests.support.bench_db import bench_database
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    slack_signed_headers,
    slash_command_body,
)

CHILD = Path(__file__).resolve()
BENCH_USER, BENCH_CHANNEL = "U0BENCH001", "C0BENCH001"


class BenchFailed(Exception):
    """The bench itself could not run (not a slow figure: figures are never asserted)."""


def spawn(*args: str, log: IO[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start a child that prints its URL on its first line; ``log`` takes its standard error
    (the bot's log lines: kept out of the bench's output, shown when the bench fails)."""
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=log, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    url = line.rsplit(" ", 1)[-1]
    if not url.startswith("http"):
        proc.kill()
        proc.wait()
        raise BenchFailed(f"{args}: did not start ({line!r})")
    return proc, url


# ---- child processes --------------------------------------------------------------------------


async def _serve_app(app: object) -> None:
    from aiohttp import web

    from handlers.app import build_web_app

    web_app = build_web_app(app, signing_secret=SIGNING_SECRET)  # type: ignore[arg-type]
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    print(f"listening http://{host}:{port}", flush=True)
    await asyncio.Event().wait()


def child_slack() -> None:
    from bot.sandbox.slack_api import SlackApiState, SlackApiThread

    server = SlackApiThread(SlackApiState(token=BOT_TOKEN))
    server.start()
    print(f"slack {server.api_url}", flush=True)
    while True:
        time.sleep(3600)


def child_bare(slack_api: str) -> None:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api), signing_secret=SIGNING_SECRET
    )

    @app.command("/sdrs")
    async def only_ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    asyncio.run(_serve_app(app))


def child_bot(slack_api: str, sdrs_url: str, db_url: str, workers: str = "0") -> None:
    """The real ``serve()`` in HTTP mode, as ``sdrs-bot serve`` runs it, with a request policy
    that lets the bench's user resize and rename (secure by default: no policy, no start)."""
    from pydantic import SecretStr

    from bot.config.settings import Settings
    from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK
    from bot.serve import serve
    from tests.support.local_env import free_port

    port = free_port()
    settings = Settings(
        _env_file=None,
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack_api,
        huaweicloud_sdk_ak=SANDBOX_AK,
        huaweicloud_sdk_sk=SecretStr(SANDBOX_SK),
        huaweicloud_sdk_project_id=SANDBOX_PROJECT_ID,
        sdrs_endpoint=sdrs_url,
        ecs_endpoint=sdrs_url,
        deh_endpoint=sdrs_url,
        policy_resize_users=frozenset({BENCH_USER}),
        policy_rename_users=frozenset({BENCH_USER}),
        health_host="127.0.0.1",
        health_port=0,
        shutdown_seconds=5.0,
        worker_processes=int(workers),
        database_url=db_url,
        http_host="127.0.0.1",
        http_port=port,
    )
    print(f"listening http://127.0.0.1:{port}", flush=True)
    asyncio.run(serve(settings))


def wait_healthy(proc: subprocess.Popen[str], url: str, within: float = 60.0) -> None:
    import urllib.request

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchFailed(f"the bot exited with status {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise BenchFailed(f"{url} did not become healthy within {within:g}s")


def work_done(db_url: str, sent: int, within: float) -> str:
    """A fast ack proves nothing if the work is dropped: wait until every command the bot acked
    became a confirmation (an operation in its database) and the inbox is empty; fail when one
    is missing after ``within`` seconds or there are more than commands sent. The drain rate:
    the confirmations over the time between the first and the last one made."""
    import sqlalchemy as sa

    from bot.store import inbox_url

    def connectable(url: str) -> str:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)

    engine = sa.create_engine(connectable(db_url))
    inbox_engine = sa.create_engine(connectable(inbox_url(db_url)))  # a file of its own on SQLite
    started = time.monotonic()
    made = left = -1
    first = last = 0.0
    try:
        while time.monotonic() - started < within:
            with engine.connect() as conn:
                made, first, last = conn.execute(
                    sa.text(
                        "SELECT count(*), min(created_at), max(created_at) FROM pending_operations"
                    )
                ).one()
            with inbox_engine.connect() as conn:
                left = conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one()
            if made >= sent and left == 0:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
        inbox_engine.dispose()
    took = time.monotonic() - started
    rate = made / (last - first) if made and last > first else float("nan")
    figure = (
        f"work done: {made} of {sent} acked commands reached a confirmation, inbox {left}, "
        f"{took:.1f}s after the last ack; drain {rate:.1f} confirmations/s "
        f"({made} in {last - first:.1f}s, first to last)"
    )
    if made != sent or left != 0:
        raise BenchFailed(f"{figure} (waited {within:g}s)")
    return figure


# ---- load -------------------------------------------------------------------------------------


async def load(
    url: str, bodies: list[str], concurrency: int, rate: float | None = None
) -> list[float]:
    """Closed loop (``concurrency`` requests in flight) or, with ``rate``, open loop: one
    request every 1/rate seconds whatever the answers do. The generator's own garbage
    collections are kept out of the figures (as ``timeit`` does): collected before, none
    during."""
    gc.collect()
    gc.disable()
    try:
        return await _load(url, bodies, concurrency, rate)
    finally:
        gc.enable()


async def _load(url: str, bodies: list[str], concurrency: int, rate: float | None) -> list[float]:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=0 if rate else concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: str) -> None:
            headers = {
                "content-type": "application/x-www-form-urlencoded",
                **slack_signed_headers(body),
            }
            async with semaphore:
                started = time.perf_counter()
                async with session.post(url, data=body.encode(), headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise BenchFailed(f"HTTP {response.status} from {url}")
                latencies.append(time.perf_counter() - started)

        if rate is None:
            await asyncio.gather(*(one(b) for b in bodies))
        else:
            semaphore = asyncio.Semaphore(len(bodies))
            tasks = []
            for body in bodies:
                tasks.append(asyncio.create_task(one(body)))
                await asyncio.sleep(1 / rate)
            await asyncio.gather(*tasks)
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a child process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def bodies_for(n: int, slack_api: str, tag: str) -> list[str]:
    out = []
    for i in range(n):
        text = (
            f"resize {sid('pi-erp-db')} s6.xlarge.2"
            if i % 2 == 0
            else f"drill rename {sid('drill-web')} drill-{i}"
        )
        trigger = f"{tag}-{i}"
        response_url = f"{slack_api.removesuffix('/api/')}/response/{trigger}"
        out.append(
            slash_command_body(
                text,
                user=BENCH_USER,
                channel=BENCH_CHANNEL,
                trigger=trigger,
                response_url=response_url,
            )
        )
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("--child-"):
        role = sys.argv[1].removeprefix("--child-")
        {"slack": child_slack, "bare": child_bare, "bot": child_bot}[role](*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="alternating closed-loop rounds")
    parser.add_argument("--sdrs-delay", type=float, default=2.0)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="open-loop run: commands per second"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="the bot's WORKER_PROCESSES (0: everything in the serving process)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the bot's database: a SQLite file, or a PostgreSQL database of the bench's own "
        "(made next to --postgres, dropped at the end)",
    )
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/sdrs_bot_test"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny counts (40 commands, 1 round, SDRS 0.2 s late): the same paths in seconds",
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds, args.sdrs_delay = 40, 1, 0.2
    try:
        if args.database == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run(args, f"sqlite:///{tmp}/b.sqlite3")
        else:
            with bench_database(args.postgres, "ack") as url:
                if url is None:
                    raise BenchFailed(f"PostgreSQL does not answer at {args.postgres}")
                run(args, url)
    except BenchFailed as failed:
        print(f"ack_latency: the bench could not run: {failed}", file=sys.stderr)
        raise SystemExit(1) from None


def run(args: argparse.Namespace, db_url: str) -> None:
    warm_count = 5 if args.quick else 50
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory() as tmp, open(os.path.join(tmp, "bot.log"), "w+") as log:
        try:
            env_sandbox = [
                "-m",
                "bot.cli",
                "sandbox",
                "--port",
                "0",
                "--latency",
                str(args.sdrs_delay),
            ]
            emulator, sdrs_url = spawn(*env_sandbox)
            procs.append(emulator)
            slack, slack_api = spawn(str(CHILD), "--child-slack")
            procs.append(slack)
            bare, bare_url = spawn(str(CHILD), "--child-bare", slack_api)
            procs.append(bare)
            bot, bot_url = spawn(
                str(CHILD),
                "--child-bot",
                slack_api,
                sdrs_url,
                db_url,
                str(args.workers),
                log=log,
            )
            procs.append(bot)
            wait_healthy(bot, bot_url)
            results = {}
            open_loop = {}
            apps = (("bare Bolt", bare_url), ("sdrs-bot", bot_url))
            for name, url in apps:
                warm = bodies_for(warm_count, slack_api, f"warm-{name}")
                asyncio.run(load(f"{url}/slack/events", warm, args.concurrency))
            # Closed loop in alternating rounds (bare, bot, bare, bot, ...): noise on this shared
            # machine hits both apps alike; the per-round p99 ratios are reported, and their
            # median is the figure.
            closed: dict[str, list[float]] = {name: [] for name, _ in apps}
            ratios = []
            per_round = max(args.requests // args.rounds, 10 if args.quick else 100)
            for r in range(args.rounds):
                round_p99 = {}
                for name, url in apps:
                    bodies = bodies_for(per_round, slack_api, f"{name}-r{r}")
                    lat = asyncio.run(load(f"{url}/slack/events", bodies, args.concurrency))
                    closed[name] += lat
                    round_p99[name] = pct(lat, 0.99)
                ratios.append(round_p99["sdrs-bot"] / round_p99["bare Bolt"])
            for name, _ in apps:
                lat = closed[name]
                results[name] = (pct(lat, 0.5), pct(lat, 0.99), statistics.mean(lat) * 1000)
            for name, url in apps:
                paced = bodies_for(args.requests // 2, slack_api, f"open-{name}")
                lat = asyncio.run(
                    load(f"{url}/slack/events", paced, args.concurrency, rate=args.rate)
                )
                open_loop[name] = (pct(lat, 0.5), pct(lat, 0.99), statistics.mean(lat) * 1000)
            print(
                f"{args.requests} signed /sdrs commands over HTTP, concurrency "
                f"{args.concurrency}, SDRS answering {args.sdrs_delay:g}s late, the bot with "
                f"WORKER_PROCESSES={args.workers}, on {args.database}"
            )
            print(f"{'app':<12}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
            for name, (p50, p99, mean) in results.items():
                print(f"{name:<12}{p50:>10.1f}{p99:>10.1f}{mean:>10.1f}")
            cpu = {
                name: cpu_seconds(p.pid)
                for name, p in (
                    ("emulator", emulator),
                    ("slack", slack),
                    ("bare", bare),
                    ("bot", bot),
                )
            }
            print("CPU seconds used: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
            (b50, b99, _), (o50, o99, _) = results["bare Bolt"], results["sdrs-bot"]
            print(f"ratio sdrs-bot/bare: p50 {o50 / b50:.2f}x, p99 {o99 / b99:.2f}x (all rounds)")
            shown = ", ".join(f"{x:.2f}" for x in ratios)
            print(f"p99 ratio per round: {shown}; median {statistics.median(ratios):.2f}x")
            print(f"\nopen loop: {args.requests // 2} commands at {args.rate:g}/s")
            print(f"{'app':<12}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
            for name, (p50, p99, mean) in open_loop.items():
                print(f"{name:<12}{p50:>10.1f}{p99:>10.1f}{mean:>10.1f}")
            (b50, b99, _), (o50, o99, _) = open_loop["bare Bolt"], open_loop["sdrs-bot"]
            print(f"ratio sdrs-bot/bare: p50 {o50 / b50:.2f}x, p99 {o99 / b99:.2f}x")
            sent_to_bot = warm_count + per_round * args.rounds + args.requests // 2
            within = 60.0 if args.quick else 240.0
            print(work_done(db_url, sent_to_bot, within))
        except BenchFailed:
            log.seek(0)
            tail = "".join(log.readlines()[-20:])
            print(f"the bot's log, last lines:\n{tail}", file=sys.stderr)
            raise
        finally:
            for proc in reversed(procs):  # the apps first, then the stand-ins they call
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    main()
