"""The bot's cloud workload through its two candidate HTTP client libraries, same run, same
emulator: aiohttp (``bot/huaweicloud/aiohttp_transport.py``, what the bot sends with) against
httpx (``tests/support/httpx_sender.py``: an ``httpx.AsyncHTTPTransport`` pool of the same
size behind the same :class:`~bot.huaweicloud.transport.Sender` interface).

Everything above the sender is the bot's own code, as ``serve`` wires it (``build_clients``:
``CloudHttp`` with AK/SK signing, retries, error mapping, the ``SdrsClient`` parsing each job):

* tracker sweep: ``GET /v1/{project}/jobs/{id}`` once for each of N running jobs, at the
  tracker's concurrency (``TRACKER_CONCURRENCY``, 50) on a pool of ``max_connections`` (50),
  as the tracker checks every tracked job on a tick;
* sequential: the same calls one after another (a command's calls, one at a time).

The emulator (N resize jobs that run for an hour) runs in a child process, so it does not share
this process's GIL or CPU time. Printed per mode and library: calls/s and client CPU per call
(this process's CPU time over the measurement / calls: what a call costs the bot, whatever the
emulator's speed), and the ratios aiohttp/httpx for throughput and httpx/aiohttp for CPU. The
two libraries alternate for several rounds (the order swapped each round) and each keeps its
median, so a burst of load on a shared machine does not land on one library only; the figures
are only comparable within one run. Throughput is bounded by the emulator (one Python process)
as much as by the client: the CPU per call is the client's own figure.

    python bench/http_clients.py [--jobs 10000] [--concurrency 50] [--sequential 2000] [--rounds 3]
    python bench/http_clients.py --quick     # 200 jobs, 50 sequential calls, one round (CI)

Exits non-zero when the bench cannot run (the emulator does not start, a call fails or answers
another job); figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.config.settings import Settings  # noqa: E402
from bot.huaweicloud.aiohttp_transport import AiohttpSender  # noqa: E402
from bot.huaweicloud.transport import Sender  # noqa: E402
from bot.huaweicloud.wiring import build_clients  # noqa: E402
from bot.sandbox.seed import (  # noqa: E402
    SANDBOX_AK,
    SANDBOX_PROJECT_ID,
    SANDBOX_SK,
    seeded_world,
)
from bot.sandbox.server import Emulator, EmulatorThread  # noqa: E402
from tests.support.httpx_sender import HttpxSender  # noqa: E402
from tests.support.seed import add_bulk_instances  # noqa: E402

TRACKER_CONCURRENCY = 50  # Settings.tracker_concurrency's default
POOL = 50  # CloudHttp's max_connections default (the tracker's pool)


class BenchFailed(Exception):
    """The bench itself could not run (not a slow figure: figures are never asserted)."""


def serve_emulator(jobs: int) -> None:
    """Child process: an emulator holding ``jobs`` running resize jobs; prints its URL, then
    the job ids as one JSON line; stops when its stdin closes."""
    world = seeded_world(job_init_seconds=1.0, job_seconds=3600.0)
    job_ids = [
        world.resize(pi, {"resize": {"flavorRef": "s6.xlarge.2"}})
        for pi in add_bulk_instances(world, jobs)
    ]
    emulator = EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID))
    emulator.start()
    print(emulator.url, flush=True)
    print(json.dumps(job_ids), flush=True)
    try:
        sys.stdin.read()
    finally:
        emulator.stop()


def start_emulator(jobs: int) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--emulator", str(jobs)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    ids = proc.stdout.readline()
    if not url.startswith("http://") or not ids.startswith("["):
        proc.kill()
        raise BenchFailed(f"emulator did not start: {url!r}")
    return proc, url, json.loads(ids)


def aiohttp_sender() -> Sender:
    return AiohttpSender(POOL)


def httpx_sender() -> Sender:
    limits = httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL)
    return HttpxSender(httpx.AsyncHTTPTransport(limits=limits))


SENDERS: dict[str, Callable[[], Sender]] = {"aiohttp": aiohttp_sender, "httpx": httpx_sender}


@dataclass(frozen=True)
class Figures:
    calls_per_second: float
    cpu_us_per_call: float


def median(runs: list[Figures]) -> Figures:
    return Figures(
        statistics.median(f.calls_per_second for f in runs),
        statistics.median(f.cpu_us_per_call for f in runs),
    )


async def measure(url: str, sender: Sender, job_ids: list[str], concurrency: int) -> Figures:
    settings = Settings(
        _env_file=None,
        huaweicloud_sdk_ak=SANDBOX_AK,
        huaweicloud_sdk_sk=SecretStr(SANDBOX_SK),
        huaweicloud_sdk_project_id=SANDBOX_PROJECT_ID,
        sdrs_endpoint=url,
        ecs_endpoint=url,
        deh_endpoint=url,
        http_max_attempts=1,  # a failure is the bench failing, not a retry to time
    )
    clients = build_clients(settings, sender=sender)
    try:
        client = clients.sdrs
        # open the pool as a running tracker has it: one connection per slot
        await asyncio.gather(*(client.get_job(j) for j in job_ids[:concurrency]))
        semaphore = asyncio.Semaphore(concurrency)

        async def check(job_id: str) -> None:
            async with semaphore:
                job = await client.get_job(job_id)
            if job.job_id != job_id:
                raise BenchFailed(f"asked for job {job_id}, got {job.job_id}")

        started, cpu_started = time.perf_counter(), time.process_time()
        if concurrency == 1:
            for job_id in job_ids:
                await check(job_id)
        else:
            await asyncio.gather(*(check(j) for j in job_ids))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await clients.aclose()
    return Figures(len(job_ids) / wall, cpu / len(job_ids) * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs checked per sweep")
    parser.add_argument("--concurrency", type=int, default=TRACKER_CONCURRENCY)
    parser.add_argument("--sequential", type=int, default=2_000, help="sequential calls")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per mode")
    parser.add_argument("--quick", action="store_true", help="200 jobs, 50 sequential, 1 round")
    parser.add_argument("--emulator", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.emulator is not None:
        serve_emulator(args.emulator)
        return
    if args.quick:
        args.jobs, args.sequential, args.rounds = 200, 50, 1
    proc, url, job_ids = start_emulator(max(args.jobs, args.sequential))
    try:
        print(
            f"emulator {url} with {len(job_ids)} running jobs; median of {args.rounds} "
            f"alternating rounds; pool of {POOL} connections"
        )
        print(
            f"{'mode':<30}{'aiohttp calls/s':>16}{'httpx calls/s':>14}{'ratio':>8}"
            f"{'aiohttp CPU us/call':>21}{'httpx CPU us/call':>19}{'ratio':>8}"
        )
        sweep = f"tracker sweep, {args.jobs} jobs at {args.concurrency}"
        modes = [
            (sweep, job_ids[: args.jobs], args.concurrency),
            (f"sequential, {args.sequential} calls", job_ids[: args.sequential], 1),
        ]
        for mode, ids, concurrency in modes:
            runs: dict[str, list[Figures]] = {name: [] for name in SENDERS}
            for n in range(args.rounds):
                order = list(SENDERS) if n % 2 == 0 else list(reversed(SENDERS))
                for name in order:
                    runs[name].append(asyncio.run(measure(url, SENDERS[name](), ids, concurrency)))
            a, h = median(runs["aiohttp"]), median(runs["httpx"])
            print(
                f"{mode:<30}{a.calls_per_second:>16.0f}{h.calls_per_second:>14.0f}"
                f"{a.calls_per_second / h.calls_per_second:>7.2f}x"
                f"{a.cpu_us_per_call:>21.0f}{h.cpu_us_per_call:>19.0f}"
                f"{h.cpu_us_per_call / a.cpu_us_per_call:>7.2f}x"
            )
    except BenchFailed as exc:
        raise SystemExit(f"bench failed: {exc}") from None
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
