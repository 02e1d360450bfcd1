"""Worker processes (``WORKER_PROCESSES=N``): the work after each ack, away from the process that
acks.

With workers, the serving process only verifies, parses and acks; commands and clicks that need
more go into the store's inbox first (durable before the ack), and ``sdrs-bot worker`` processes
take them from there and run exactly what the serving process would have run in-process
(policy, preflight, confirmation, the SDRS call). The workers also run the scheduler's work
(tracker, outbox, expiry, recovery). They run at a lower CPU priority than the serving process,
so bursts of SDRS answers never queue in front of an ack.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys

from bot.config import Settings, settings_env
from bot.operations.deps import replica_name
from bot.runtime import open_runtime, shut_down, start_scheduler, stop_on_signals
from handlers.inbox import InboxRunner

log = logging.getLogger(__name__)
WORKER_NICE = 10  # below the serving process: acks first


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """One worker: the inbox, and the scheduler's work; until SIGTERM/SIGINT or ``stop``."""
    parent = os.environ.get(PARENT_ENV)
    if parent:
        become_worker(int(parent))
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    rt = await open_runtime(settings)
    deps, client = rt.deps, rt.client
    scheduler = start_scheduler(
        deps, rt.tracker, rt.sender, inbox=InboxRunner(deps, client, deps.owner),
        inbox_seconds=settings.inbox_tick_seconds,
    )  # fmt: skip
    owner = deps.owner
    log.info("worker %s started", owner)
    try:
        await stop.wait()
    finally:
        await shut_down(deps, rt.tracker, rt.sender, scheduler)
        await rt.close()


PARENT_ENV = "SDRS_BOT_WORKER_PARENT"  # set by WorkerPool: the serving process's pid
PR_SET_PDEATHSIG = 1


def become_worker(parent_pid: int) -> None:
    """First thing in a worker child (not in a fork of the threaded parent, where only
    async-signal-safe calls are safe): a lower CPU priority, and on Linux SIGTERM when the
    serving process dies, even by SIGKILL - a worker never outlives its parent. The C library
    is the process's own (glibc or musl alike); if prctl is missing the worker still runs, and
    still stops when its parent tells it to."""
    os.nice(WORKER_NICE)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d)", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        raise SystemExit("the serving process is gone; this worker stops")


class WorkerPool:
    """The serving process's worker children: started, restarted if one dies, stopped."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.procs: list[asyncio.subprocess.Process] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def alive(self) -> bool:
        return len(self.procs) == self.count and all(p.returncode is None for p in self.procs)

    async def start(self) -> None:
        for n in range(self.count):
            self.procs.append(await self._spawn(n))
            self._tasks.append(asyncio.create_task(self._watch(n)))

    async def _spawn(self, n: int) -> asyncio.subprocess.Process:
        env = {**os.environ, **settings_env(self.settings)}
        env["REPLICA_ID"] = f"{replica_name(self.settings)}-worker{n}"
        env[PARENT_ENV] = str(os.getpid())
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "worker", env=env
        )

    async def _watch(self, n: int) -> None:
        while not self._stopping:
            code = await self.procs[n].wait()
            if self._stopping:
                return
            log.warning("worker %d exited (%s); starting it again", n, code)
            await asyncio.sleep(1.0)
            self.procs[n] = await self._spawn(n)

    async def stop(self, within: float) -> None:
        self._stopping = True
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), within)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._tasks:
            task.cancel()
