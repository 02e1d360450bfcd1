"""Our async SDRS client against the official SDK (huaweicloudsdksdrs), same emulator, same run.

Each client does N ``show job`` calls sequentially, then N at concurrency C (ours: asyncio tasks
on one connection pool; the SDK: C threads sharing its client, the way its sync API is used
concurrently). The emulator runs in its own process so it does not share our GIL. Prints, for
both, calls/s and client CPU time per call (this process's CPU time over the measurement /
calls: what a call costs the bot, whatever the emulator's speed), and the ratios ours/SDK for
throughput and SDK/ours for CPU; the figures are only comparable within one run.

    python bench/client_vs_sdk.py [--calls 500] [--concurrency 20] [--rounds 3]
    python bench/client_vs_sdk.py --quick     # 20 calls, one round: the same paths in seconds (CI)

Exits non-zero when the bench cannot run (the emulator does not start, a call fails); figures
are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdksdrs.v1 import ResizeProtectedInstanceRequest, ShowJobStatusRequest
from huaweicloudsdksdrs.v1 import SdrsClient as SdkClient
from huaweicloudsdksdrs.v1.model import (
    ResizeProtectedInstanceRequestBody,
    ResizeProtectedInstanceRequestParams,
)
from pydantic import SecretStr

from bot.config.settings import Settings
from bot.huaweicloud.wiring import build_clients
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, sid


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", "0", "--job-seconds", "3600"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.strip().rsplit(" ", 1)[-1]
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, url


def sdk_client(url: str) -> SdkClient:
    creds = BasicCredentials(SANDBOX_AK, SANDBOX_SK, SANDBOX_PROJECT_ID)
    return SdkClient.new_builder().with_credentials(creds).with_endpoints([url]).build()


def make_job(sdk: SdkClient) -> str:
    body = ResizeProtectedInstanceRequestBody(
        resize=ResizeProtectedInstanceRequestParams(flavor_ref="s6.xlarge.2")
    )
    req = ResizeProtectedInstanceRequest(protected_instance_id=sid("pi-erp-db"), body=body)
    return str(sdk.resize_protected_instance(req).job_id)


@dataclass(frozen=True)
class Figures:
    calls_per_second: float
    cpu_us_per_call: float


def median(runs: list[Figures]) -> Figures:
    return Figures(
        statistics.median(f.calls_per_second for f in runs),
        statistics.median(f.cpu_us_per_call for f in runs),
    )


def figures(calls: int, started: float, cpu_started: float) -> Figures:
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return Figures(calls / wall, cpu / calls * 1e6)


def bench_sdk(sdk: SdkClient, job_id: str, calls: int, concurrency: int) -> Figures:
    request = ShowJobStatusRequest(job_id=job_id)
    started, cpu_started = time.perf_counter(), time.process_time()
    if concurrency == 1:
        for _ in range(calls):
            sdk.show_job_status(request)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda _: sdk.show_job_status(request), range(calls)))
    return figures(calls, started, cpu_started)


async def bench_ours(url: str, job_id: str, calls: int, concurrency: int) -> Figures:
    settings = Settings(
        _env_file=None,
        huaweicloud_sdk_ak=SANDBOX_AK,
        huaweicloud_sdk_sk=SecretStr(SANDBOX_SK),
        huaweicloud_sdk_project_id=SANDBOX_PROJECT_ID,
        sdrs_endpoint=url,
    )
    async with build_clients(settings).sdrs as client:
        await client.get_job(job_id)  # open the pool, as the SDK's warm-up call below does
        semaphore = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with semaphore:
                await client.get_job(job_id)

        started, cpu_started = time.perf_counter(), time.process_time()
        if concurrency == 1:
            for _ in range(calls):
                await client.get_job(job_id)
        else:
            await asyncio.gather(*(one() for _ in range(calls)))
        return figures(calls, started, cpu_started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per mode")
    parser.add_argument("--quick", action="store_true", help="20 calls per measurement, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.rounds = 20, 1
    proc, url = start_emulator()
    try:
        httpx.get(f"{url}/_sandbox/state", timeout=5).raise_for_status()
        sdk = sdk_client(url)
        job_id = make_job(sdk)
        sdk.show_job_status(ShowJobStatusRequest(job_id=job_id))  # warm-up
        print(
            f"emulator {url}, {args.calls} show-job calls per measurement, "
            f"median of {args.rounds} alternating rounds"
        )
        print(
            f"{'mode':<16}{'ours calls/s':>14}{'SDK calls/s':>13}{'ratio':>8}"
            f"{'ours CPU us/call':>18}{'SDK CPU us/call':>17}{'ratio':>8}"
        )
        for concurrency in (1, args.concurrency):
            # alternate the two clients for several rounds and keep each one's median, so a
            # burst of load on the shared machine does not land on one client only
            runs = [
                (
                    asyncio.run(bench_ours(url, job_id, args.calls, concurrency)),
                    bench_sdk(sdk, job_id, args.calls, concurrency),
                )
                for _ in range(args.rounds)
            ]
            ours, theirs = median([r[0] for r in runs]), median([r[1] for r in runs])
            mode = "sequential" if concurrency == 1 else f"concurrency {concurrency}"
            print(
                f"{mode:<16}{ours.calls_per_second:>14.0f}{theirs.calls_per_second:>13.0f}"
                f"{ours.calls_per_second / theirs.calls_per_second:>7.2f}x"
                f"{ours.cpu_us_per_call:>18.0f}{theirs.cpu_us_per_call:>17.0f}"
                f"{theirs.cpu_us_per_call / ours.cpu_us_per_call:>7.2f}x"
            )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
