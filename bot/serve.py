"""``sdrs-bot serve``: the Bolt app (:mod:`handlers.app`) on the runtime (:mod:`bot.runtime`),
the health and metrics endpoints, and the worker processes or this process's own scheduler."""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config.diagnostics import problems as config_problems
from bot.config.diagnostics import startup_summary
from bot.config.settings import Settings
from bot.core.errors import ConfigError
from bot.health import build_health_app
from bot.runtime import open_runtime, shut_down, start_scheduler, stop_on_signals
from bot.worker import WorkerPool
from handlers.app import Ingress, build_app, start_site
from handlers.inbox import InboxRunner

log = logging.getLogger(__name__)
# the garbage collector's thresholds while serving: a young collection per 700 allocations (as
# Python's default), survivors examined every 50th, the whole heap every 100th of those
GC_THRESHOLDS = (700, 50, 100)
# Threads for the store calls made from the serving process's event loop (its default
# executor): Python runs one thread at a time, and each PostgreSQL round trip gives the GIL
# up and takes it back - with asyncio's default (cores + 4) those threads' hand-offs kept the
# loop, and so the acks, waiting (bench/README.md, without workers).
STORE_THREADS = 2


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop``): Socket Mode when an app token is set, else HTTP
    mode; the health/metrics endpoints on HEALTH_PORT in both. Stopping is graceful, within
    SHUTDOWN_SECONDS: no new commands, in-flight work finished, job leases released (another
    replica takes those jobs at its next tick), the outbox flushed as far as time allows.
    Killed instead, nothing is lost either: leases expire and the outbox is durable."""
    problems = config_problems(settings)
    if problems:
        raise ConfigError(problems)
    log.info("%s", startup_summary(settings))
    stop = stop or asyncio.Event()
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="store")
    )
    handled = stop_on_signals(stop)
    rt = await open_runtime(settings)
    deps, tracker, sender = rt.deps, rt.tracker, rt.sender
    app = build_app(deps, rt.client)
    pool: WorkerPool | None = None
    scheduler: AsyncIOScheduler | None = None
    here: list[AsyncIOScheduler] = []  # the workers' work, done here while none can run

    def work_here(needed: bool) -> None:
        if needed and not here:
            inbox = InboxRunner(deps, app.client, deps.owner)
            seconds = settings.inbox_tick_seconds
            here.append(start_scheduler(deps, tracker, sender, inbox=inbox, inbox_seconds=seconds))
        elif needed:
            here[0].resume()
        elif here:
            here[0].pause()

    if settings.worker_processes:  # they run the scheduler's work and the inbox (bot.worker)
        pool = WorkerPool(settings, settings.worker_processes, work_here)
        await pool.start()
        running = pool.ready
    else:
        # the inbox rows a process that died left behind are handled here
        scheduler = start_scheduler(
            deps, tracker, sender, inbox=InboxRunner(deps, app.client, deps.owner)
        )
        running = lambda: scheduler is not None and scheduler.running  # noqa: E731
    ingress = Ingress(app, settings)
    health = await start_site(
        build_health_app(
            deps.store,
            deps.metrics,
            scheduler_running=running,
            slack_connected=ingress.connected,
            credentials=deps.fleet.credential_statuses,
        ),
        settings.health_host,
        settings.health_port,
    )
    # Everything built so far lives as long as the process: keep it out of the garbage
    # collector's scans, which shortens its pauses (and so the ack latency tail).
    gc.collect()
    gc.freeze()
    # And scan what survives less often: commands in flight (up to INBOX_CONCURRENCY, each
    # waiting seconds for SDRS) keep some 20,000 young objects alive, and Python's defaults
    # (700, 10, 10) examined them all every 10th collection (10-16 ms on the bench machine)
    # and the whole heap every 100th (25-50 ms) - the acks' latency tail without workers.
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        await ingress.start()
        await stop.wait()
    finally:
        gc.set_threshold(*thresholds)
        for sig in handled:
            asyncio.get_running_loop().remove_signal_handler(sig)
        await shut_down(
            deps,
            tracker,
            sender,
            scheduler or (here[0] if here else None),
            stop_serving=ingress.stop,
            stop_workers=pool.stop if pool is not None else None,
        )
        await health.cleanup()
        await rt.close()
