"""What a serving process and a worker process both run on (part of the composition root):
the dependencies, one Slack session, the tracker and the outbox sender of this replica, the
scheduler that drives them, signal handling and the graceful stop."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config.settings import Settings
from bot.core.tracking import TrackerPolicy
from bot.huaweicloud.credentials import renew_ahead
from bot.huaweicloud.wiring import open_fleet
from bot.metrics import Metrics
from bot.operations.deps import Deps, replica_name
from bot.operations.execute import recover_interrupted
from bot.operations.expire import expire_sweep
from bot.operations.runbook import runbook_tick
from bot.operations.schedule import schedule_tick
from bot.operations.track import Tracker
from bot.store import Store, StoreUnavailable
from handlers import render
from handlers.client import SlackClient, slack_client
from handlers.inbox import InboxRunner
from handlers.outbox import OutboxSender

log = logging.getLogger(__name__)


def build_workers(deps: Deps, outbox_client: SlackClient) -> tuple[Tracker, OutboxSender]:
    """The tracker and the outbox sender of this replica (the scheduler drives them)."""
    settings = deps.settings
    owner = replica_name(settings)
    policy = TrackerPolicy(
        first=settings.job_poll_first_seconds,
        cap=settings.job_poll_max_seconds,
        timeout=settings.job_timeout_seconds,
        stop_when_stuck=settings.job_stop_when_stuck,
    )
    tracker = Tracker(
        deps.store,
        lambda account: deps.cloud(account).sdrs,
        deps.routes,
        owner=owner,
        now=deps.now,
        policy=policy,
        lease_seconds=settings.lease_seconds,
        batch=settings.tracker_batch,
        concurrency=settings.tracker_concurrency,
    )
    sender = OutboxSender(
        deps.store,
        outbox_client,
        render.message,
        owner=owner,
        now=deps.now,
        pace_seconds=settings.outbox_pace_seconds,
        lease_seconds=settings.lease_seconds,
    )
    tracker.on_report = sender.kick
    deps.kick_outbox = sender.kick
    return tracker, sender


def start_scheduler(
    deps: Deps,
    tracker: Tracker,
    sender: OutboxSender,
    *,
    inbox: InboxRunner | None = None,
    inbox_seconds: float | None = None,
) -> AsyncIOScheduler:
    """APScheduler drives the periodic work; each job runs one at a time (no overlap). With
    ``inbox``, acked commands and clicks waiting in the inbox are taken every ``inbox_seconds``
    (a worker: all of them; a serving process: those a process that died left behind)."""
    settings = deps.settings
    # A run skipped because the previous one is still going is by design (max_instances=1),
    # not worth a warning per tick under load.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # a line per run
    scheduler = AsyncIOScheduler(timezone=UTC)
    common = {"trigger": "interval", "max_instances": 1, "coalesce": True}
    tracked = deps.background.tracked  # a shutdown waits for a run in progress
    scheduler.add_job(
        tracked(tracker.tick, interruptible=True),
        seconds=settings.tracker_tick_seconds,
        id="tracker",
        **common,
    )
    scheduler.add_job(
        tracked(sender.run_once), seconds=settings.outbox_tick_seconds, id="outbox", **common
    )
    scheduler.add_job(tracked(expire_sweep), args=(deps,), seconds=30, id="expiry", **common)
    # not interruptible: a runbook may be between marking a call "sending" and sending it
    scheduler.add_job(
        tracked(runbook_tick),
        args=(deps,),
        seconds=settings.tracker_tick_seconds,
        id="runbooks",
        **common,
    )
    scheduler.add_job(
        tracked(recover_interrupted),
        args=(deps,),
        seconds=settings.recovery_tick_seconds,
        id="recovery",
        next_run_time=datetime.now(UTC),
        **common,
    )
    # at start too: a window that began (or ended) while the bot was down is decided at once
    scheduler.add_job(
        tracked(schedule_tick),
        args=(deps,),
        seconds=settings.schedule_tick_seconds,
        id="schedule",
        next_run_time=datetime.now(UTC),
        **common,
    )
    if inbox is not None:
        scheduler.add_job(
            tracked(inbox.tick),
            seconds=inbox_seconds or settings.recovery_tick_seconds,
            id="inbox",
            **common,
        )
    scheduler.start()
    return scheduler


def stop_on_signals(stop: asyncio.Event) -> list[signal.Signals]:
    """SIGTERM and SIGINT set ``stop`` (where this is the main thread); the signals handled."""
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread: the caller stops us
            pass
    return handled


@dataclass
class Runtime:
    """What a serving or worker process runs on: the dependencies, one Slack session, the
    tracker and the outbox sender of this replica."""

    deps: Deps
    session: aiohttp.ClientSession
    client: SlackClient
    tracker: Tracker
    sender: OutboxSender
    renewal: asyncio.Task[None] | None = None  # temporary credentials renewed ahead of expiry

    async def close(self) -> None:
        if self.renewal is not None:
            self.renewal.cancel()
            try:
                await self.renewal
            except asyncio.CancelledError:
                pass
        await self.session.close()
        await self.deps.fleet.aclose()
        self.deps.intake.close()
        self.deps.store.close()


async def open_runtime(settings: Settings) -> Runtime:
    """Build it (inside the running loop: the Slack session is made here). Accounts without a
    project id get it from IAM first (ConfigError if that fails)."""
    metrics = Metrics()
    fleet, bindings = await open_fleet(settings, metrics=metrics)
    store = Store.from_url(settings.database_url)
    metrics.watch_credentials(fleet.credential_statuses)
    deps = Deps(settings=settings, store=store, fleet=fleet, bindings=bindings, metrics=metrics)
    session = aiohttp.ClientSession()
    tracker, sender = build_workers(deps, slack_client(settings, session, retries=False))
    metrics.watch(store, lambda: sender.rate_limited, lambda: sender.missing_scope)
    providers = [a.credentials for a in fleet if a.credentials is not None]
    renewal = asyncio.create_task(renew_ahead(providers), name="credential renewal")
    return Runtime(deps, session, slack_client(settings, session), tracker, sender, renewal)


async def shut_down(
    deps: Deps,
    tracker: Tracker,
    sender: OutboxSender,
    scheduler: AsyncIOScheduler | None,
    stop_serving: Callable[[], Awaitable[None]] | None = None,
    stop_workers: Callable[[float], Awaitable[None]] | None = None,
) -> None:
    """Stop within SHUTDOWN_SECONDS: no new requests (``stop_serving``), worker children
    stopped (``stop_workers(within)``), a tracker tick in flight cut short and its leases
    released, in-flight work drained, the outbox flushed as far as time allows."""
    deadline = time.monotonic() + deps.settings.shutdown_seconds

    def left() -> float:
        return max(deadline - time.monotonic(), 0.0)

    log.info("stopping: no new commands; finishing in-flight work")
    if stop_serving is not None:
        await stop_serving()
    if stop_workers is not None:  # each worker stops gracefully on its own (bot.worker)
        await stop_workers(left())
    if scheduler is not None and scheduler.running:
        scheduler.pause()  # no new runs; the ones in flight finish or are cut short below
    # a tracker tick in flight is cut short: its jobs go to another replica right away
    await deps.background.interrupt()
    store_ok = True
    try:
        released = await asyncio.to_thread(deps.store.release_leases, tracker.owner)
        log.info("job leases released: %d (another replica takes them at its next tick)", released)
    except StoreUnavailable as exc:  # they expire instead: another replica takes them then
        store_ok = False
        log.error(
            "stopping with the database unavailable (%s): job leases not released (they "
            "expire after LEASE_SECONDS), the outbox not flushed",
            exc.reason,
        )
    finished = await deps.background.drain(within=left() * 0.6)
    if finished and store_ok:  # only when no runbook step of ours is still in flight
        try:
            await asyncio.to_thread(deps.store.release_runbook_leases, tracker.owner)
        except StoreUnavailable:
            store_ok = False
    if scheduler is not None and scheduler.running:
        # only now: APScheduler cancels what is still running, and logs that as an error
        scheduler.shutdown(wait=False)
    flushed, idle_rounds = 0, 0
    try:
        while (
            store_ok and scheduler is not None and left() > 0.5 and idle_rounds < 10
        ):  # what is left waits for another replica
            sent = await asyncio.wait_for(sender.run_once(), timeout=left())
            flushed += sent
            waiting, _ = await asyncio.to_thread(deps.store.outbox_stats, deps.now())
            if not waiting:
                break
            idle_rounds = 0 if sent else idle_rounds + 1
            if not sent:
                await asyncio.sleep(min(0.2, left()))
    except StoreUnavailable as exc:
        log.error("outbox flush stopped, the database is unavailable (%s)", exc.reason)
    log.info(
        "stopped: in-flight work %s, %d outbox messages flushed",
        "finished" if finished else "cut short",
        flushed,
    )
