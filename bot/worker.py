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
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

import bot
from bot.config.settings import Settings
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
        deps,
        rt.tracker,
        rt.sender,
        inbox=InboxRunner(deps, client, deps.owner),
        inbox_seconds=settings.inbox_tick_seconds,
    )
    owner = deps.owner
    log.info("worker %s started", owner)
    if parent:  # the serving process counts this worker as running from here on
        sys.stdout.write(READY_LINE)
        sys.stdout.flush()
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


READY_LINE = "sdrs-bot worker ready\n"  # what a worker prints to its parent once it runs
# Start a worker from the installed package, isolated (-I): neither the working directory nor
# PYTHONPATH/PYTHON* variables are on its path, so a stray secrets.py where serve runs cannot
# shadow the standard library; the directory this bot package was loaded from is put first, so
# the worker runs the same code as the serving process.
_WORKER_MAIN = (
    "import sys; sys.path.insert(0, sys.argv[1]); from bot.cli import main; "
    "sys.exit(main(['worker']))"
)
FIRST_RESTART, MAX_RESTART = 1.0, 60.0  # seconds before starting a worker that died again
REPEAT_LOG_SECONDS = 300.0  # a worker that still cannot start: one reminder per this long
_KEEP_LINES = 40  # lines of a worker's error output kept while it starts


def worker_command() -> list[str]:
    """The command line of a worker process (see :data:`_WORKER_MAIN`)."""
    package_root = Path(bot.__file__).resolve().parent.parent
    return [sys.executable, "-I", "-c", _WORKER_MAIN, str(package_root)]


def worker_env(settings: Settings) -> dict[str, str]:
    """The serving process's settings, as the environment of a worker child. A worker is a
    process start of its own and reads its settings as every start does, from the environment
    (ACCOUNTS_FILE included, parsed once at its start); handing over the parsed values (defaults
    resolved, ``.env`` and overrides already read) makes it see what the serving process saw,
    whatever its working directory. The only place settings become variables again."""
    env: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, frozenset):
            value = ",".join(sorted(value))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[name.upper()] = str(value)
    return env


class WorkerPool:
    """The serving process's worker children: started, restarted if one dies, stopped.

    A worker counts as running once it says so (:data:`READY_LINE`, after its runtime and
    scheduler are up). One that exits before that could not start (an import error, a broken
    installation): the first time, the pool logs it once with the worker's own error output,
    and calls ``work_here(True)`` - the serving process then does the workers' work itself -
    and :meth:`ready` stays false; it keeps trying with a growing pause (1 s to 60 s), saying
    so again at most every 5 minutes, and when a worker runs again calls ``work_here(False)``.
    A worker's error output is passed on as it comes once it runs; while it starts, it is held
    back (a worker that dies at import each time does not write a traceback each time)."""

    def __init__(
        self,
        settings: Settings,
        count: int,
        work_here: Callable[[bool], None] | None = None,
    ) -> None:
        self.settings = settings
        self.count = count
        self.work_here = work_here or (lambda here: None)
        self.procs: list[asyncio.subprocess.Process] = []
        self.running: list[bool] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._unable_since: float | None = None  # monotonic: when no worker could start
        self._failed_starts = 0
        self._last_said = 0.0

    def ready(self) -> bool:
        """Every worker process runs (said it is ready, and has not exited since)."""
        return (
            len(self.procs) == self.count
            and all(self.running)
            and all(p.returncode is None for p in self.procs)
        )

    async def start(self) -> None:
        for n in range(self.count):
            self.procs.append(await self._spawn(n))
            self.running.append(False)
            self._tasks.append(asyncio.create_task(self._watch(n), name=f"worker {n}"))

    async def _spawn(self, n: int) -> asyncio.subprocess.Process:
        env = {**os.environ, **worker_env(self.settings)}
        env["REPLICA_ID"] = f"{replica_name(self.settings)}-worker{n}"
        env[PARENT_ENV] = str(os.getpid())
        return await asyncio.create_subprocess_exec(
            *worker_command(),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def _watch(self, n: int) -> None:
        pause = FIRST_RESTART
        while not self._stopping:
            proc = self.procs[n]
            held: deque[bytes] = deque(maxlen=_KEEP_LINES)
            errors = asyncio.create_task(self._pass_on(n, proc, held))
            await self._await_ready(n, proc)
            code = await proc.wait()
            await errors
            was_running, self.running[n] = self.running[n], False
            if self._stopping:
                return
            if was_running:
                pause = FIRST_RESTART
                log.warning("worker %d exited (%s); starting it again", n, code)
            else:
                self._could_not_start(n, code, held)
            if not any(self.running):
                self._work_here(True)
            await asyncio.sleep(pause if not was_running else FIRST_RESTART)
            pause = min(pause * 2, MAX_RESTART) if not was_running else FIRST_RESTART
            if self._stopping:
                return
            self.procs[n] = await self._spawn(n)

    async def _await_ready(self, n: int, proc: asyncio.subprocess.Process) -> None:
        """Read the worker's standard output: the ready line marks it running; anything else
        is passed on."""
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            if line.decode(errors="replace") == READY_LINE and not self.running[n]:
                self.running[n] = True
                self._now_running(n)
            else:
                sys.stdout.buffer.write(line)
                sys.stdout.flush()

    async def _pass_on(self, n: int, proc: asyncio.subprocess.Process, held: deque[bytes]) -> None:
        """The worker's error output: passed on once it runs, held back while it starts."""
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            if self.running[n]:
                sys.stderr.buffer.write(line)
                sys.stderr.flush()
            else:
                held.append(line)

    def _now_running(self, n: int) -> None:
        if self._unable_since is not None:
            log.warning(
                "worker %d runs again after %d failed starts; the workers do the work again",
                n,
                self._failed_starts,
            )
            self._unable_since, self._failed_starts = None, 0
        self._work_here(False)

    def _could_not_start(self, n: int, code: int | None, held: deque[bytes]) -> None:
        self._failed_starts += 1
        output = b"".join(held).decode(errors="replace").rstrip()
        last = output.splitlines()[-1] if output else "no error output"
        now = time.monotonic()
        if self._unable_since is None:
            self._unable_since, self._last_said = now, now
            log.error(
                "worker %d could not start (exit status %s: %s); this process does the work "
                "itself (acked commands and clicks are answered) and /readyz says 503 until a "
                "worker runs; trying again with a growing pause. Its output:\n%s",
                n,
                code,
                last,
                output or "(none)",
            )
        elif now - self._last_said >= REPEAT_LOG_SECONDS:
            self._last_said = now
            log.error(
                "workers still cannot start: %d failed starts in %.0f s (last: %s)",
                self._failed_starts,
                now - self._unable_since,
                last,
            )

    def _work_here(self, here: bool) -> None:
        try:
            self.work_here(here)
        except Exception:  # the pool goes on watching its workers
            log.exception(
                "switching the work %s the serving process failed", "to" if here else "away from"
            )

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
