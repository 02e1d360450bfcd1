"""What the capacity reads add to a resize preflight: ``read_instance_state`` (the bot's reads,
with the zone flavors and ECS limits read once the servers' zones are known) against the reads
it made before them (the instance, then the group, both servers and the resize flavors in
parallel), same emulator, same run, every cloud call answered ``--delay`` seconds late (as a
distant region would). Printed: median and p90 milliseconds per preflight for each, cloud calls
per preflight, and the ratio with/without; the two alternate, one call each, so load on a shared
machine lands on both.

    python bench/preflight_reads.py [--preflights 200] [--delay 0.05]
    python bench/preflight_reads.py --quick     # 10 preflights, 20 ms late (CI)

Exits non-zero when the bench cannot run (a read fails, the capacity reads come back empty);
figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr

from bot.config.settings import Settings
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.reads import read_instance_state
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.wiring import build_clients
from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world, sid
from bot.sandbox.server import Emulator, EmulatorThread

INSTANCE = sid("pi-erp-db")
SITES = ["production", "dr"]


async def without_capacity(sdrs: SdrsClient, ecs: EcsClient) -> None:
    """The reads before capacity: instance, then group + both servers + resize flavors."""
    instance = await sdrs.get_protected_instance(INSTANCE)
    servers = [s for s in (instance.production_server(), instance.dr_server()) if s]
    await asyncio.gather(
        sdrs.get_protection_group(instance.server_group_id or ""),
        *(ecs.get_server(s) for s in servers),
        *(ecs.list_resize_flavors(s) for s in servers),
    )


async def with_capacity(sdrs: SdrsClient, ecs: EcsClient) -> None:
    state = await read_instance_state(sdrs, ecs, INSTANCE, SITES)
    if not state.capacity.zones or state.capacity.limits is None:
        raise SystemExit("the capacity reads came back empty: the bench cannot measure them")


async def run(preflights: int, delay: float) -> None:
    world = seeded_world()
    emulator = Emulator(world, SANDBOX_PROJECT_ID)
    emulator.faults.add(Fault("latency", times=None, seconds=delay))
    with EmulatorThread(emulator) as running:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            huaweicloud_sdk_ak=SANDBOX_AK,
            huaweicloud_sdk_sk=SecretStr(SANDBOX_SK),
            huaweicloud_sdk_project_id=SANDBOX_PROJECT_ID,
            sdrs_endpoint=running.url,
            ecs_endpoint=running.url,
            open_access=True,
        )
        clients = build_clients(settings)
        times: dict[str, list[float]] = {"without capacity": [], "with capacity": []}
        calls: dict[str, int] = dict.fromkeys(times, 0)
        try:
            for _ in range(preflights):
                for name, read in (
                    ("without capacity", without_capacity),
                    ("with capacity", with_capacity),
                ):
                    before = len(emulator.requests)
                    t = time.perf_counter()
                    await read(clients.sdrs, clients.ecs)
                    times[name].append((time.perf_counter() - t) * 1000)
                    calls[name] += len(emulator.requests) - before
        finally:
            await clients.aclose()
    print(f"{preflights} preflights of erp-db (both sites), every call {delay * 1000:g} ms late")
    print(f"{'reads':<18}{'p50 ms':>9}{'p90 ms':>9}{'calls':>7}")
    for name, ms in times.items():
        p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) > 1 else ms[0]
        per = calls[name] / preflights
        print(f"{name:<18}{statistics.median(ms):>9.1f}{p90:>9.1f}{per:>7.1f}")
    ratio = statistics.median(times["with capacity"]) / statistics.median(times["without capacity"])
    print(f"ratio with/without capacity (p50): {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preflights", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.preflights, args.delay = 10, 0.02
    asyncio.run(run(args.preflights, args.delay))


if __name__ == "__main__":
    main()
