"""Builds the Bolt ``AsyncApp`` and wires everything; runs it in HTTP mode or Socket Mode.

* HTTP mode (``SLACK_SIGNING_SECRET``): an aiohttp server with ``POST /slack/events`` (Bolt
  verifies the ``v0`` signature and its 5-minute window) and ``GET /healthz``.
* Socket Mode (``SLACK_APP_TOKEN``, ``xapp-...``): no public URL; Slack delivers each payload to
  one of the app's connections.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.config import Settings, startup_summary
from bot.config import problems as config_problems
from bot.core.errors import ConfigError
from bot.core.policy import Policy
from bot.ecs import EcsClient
from bot.health import build_health_app
from bot.metrics import Metrics
from bot.notify import announcements
from bot.outbox import OutboxSender
from bot.sdrs.client import SdrsClient
from bot.store import OutboxMessage, Store
from bot.tracker import Tracker, TrackerPolicy

if TYPE_CHECKING:
    from bot.worker import WorkerPool

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """What the listeners need, built once and passed down."""

    settings: Settings
    store: Store
    sdrs: SdrsClient
    policy: Policy
    ecs: EcsClient
    now: Callable[[], datetime] = utc_now
    background: Background = field(default_factory=Background)
    metrics: Metrics = field(default_factory=Metrics)
    routes: dict[str, frozenset[str]] = field(init=False)  # NOTIFY_ROUTES, parsed once

    def __post_init__(self) -> None:
        self.routes = self.settings.routes()

    def announce(
        self, kind: str, key: str, text: str, *, skip: str | None = None
    ) -> list[OutboxMessage]:
        """Announcements of one lifecycle event to the channels NOTIFY_ROUTES names."""
        return announcements(self.routes, kind, key, text, skip=skip)


def slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None, *, retries: bool = True
) -> AsyncWebClient:
    """The Web API client. Pass a shared ``session`` (created inside the running loop) so calls
    reuse keep-alive connections; without one, slack_sdk opens a new session per call."""
    if settings.slack_bot_token is None:
        raise ConfigError(["SLACK_BOT_TOKEN is required (the xoxb- token of the app)"])
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=session,
    )
    if retries:
        # 429s only: a 429 was not processed, so repeating is safe. (A connection error after
        # sending may have posted; the outbox, which uses retries=False, handles those.)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


def replica_name(settings: Settings) -> str:
    return settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"


def build_workers(deps: Deps, outbox_client: AsyncWebClient) -> tuple[Tracker, OutboxSender]:
    """The tracker and the outbox sender of this replica (the scheduler drives them)."""
    from handlers.reports import SlackReports

    settings = deps.settings
    owner = replica_name(settings)
    policy = TrackerPolicy(
        first=settings.job_poll_first_seconds,
        cap=settings.job_poll_max_seconds,
        timeout=settings.job_timeout_seconds,
        stop_when_stuck=settings.job_stop_when_stuck,
    )
    tracker = Tracker(
        deps.store, deps.sdrs, SlackReports(deps.routes), owner=owner, now=deps.now,
        policy=policy,
        lease_seconds=settings.lease_seconds, batch=settings.tracker_batch,
        concurrency=settings.tracker_concurrency,
    )  # fmt: skip
    sender = OutboxSender(
        deps.store, outbox_client, owner=owner, now=deps.now,
        pace_seconds=settings.outbox_pace_seconds, lease_seconds=settings.lease_seconds,
    )  # fmt: skip
    tracker.on_report = sender.kick
    return tracker, sender


def start_scheduler(
    deps: Deps, tracker: Tracker, sender: OutboxSender, app_client: AsyncWebClient
) -> AsyncIOScheduler:
    """APScheduler drives the periodic work; each job runs one at a time (no overlap)."""
    from handlers.actions import expire_sweep, recover_interrupted

    settings = deps.settings
    # A run skipped because the previous one is still going is by design (max_instances=1),
    # not worth a warning per tick under load.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # a line per run
    scheduler = AsyncIOScheduler(timezone=UTC)
    common = {"trigger": "interval", "max_instances": 1, "coalesce": True}
    tracked = deps.background.tracked  # a shutdown waits for a run in progress
    scheduler.add_job(
        tracked(tracker.tick, interruptible=True), seconds=settings.tracker_tick_seconds,
        id="tracker", **common,
    )  # fmt: skip
    scheduler.add_job(
        tracked(sender.run_once), seconds=settings.outbox_tick_seconds, id="outbox", **common
    )
    scheduler.add_job(
        tracked(expire_sweep), args=(deps, app_client), seconds=30, id="expiry", **common
    )
    scheduler.add_job(
        tracked(recover_interrupted), args=(deps,), seconds=settings.recovery_tick_seconds,
        id="recovery", next_run_time=datetime.now(UTC), **common,
    )  # fmt: skip
    scheduler.start()
    return scheduler


class _SameTokenFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself when no token is passed and then warns that the client
    we give wins ("As you gave `client` as well, `token` will be unused."); that client holds the
    same token, so the warning would only read like a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_SAME_TOKEN = _SameTokenFilter()


def build_app(deps: Deps, client: AsyncWebClient | None = None) -> AsyncApp:
    from handlers import actions, commands, forms

    logging.getLogger("bot.slack").addFilter(_SAME_TOKEN)  # idempotent: one filter object
    settings = deps.settings
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client or slack_client(settings),
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=secret is not None,
        process_before_response=True,  # listeners ack, then hand off to deps.background
        logger=logging.getLogger("bot.slack"),
    )
    commands.register(app, deps)
    actions.register(app, deps)
    forms.register(app, deps)
    return app


def build_web_app(app: AsyncApp, path: str = "/slack/events") -> web.Application:
    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_post(path, events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def transport(settings: Settings) -> Literal["socket", "http"]:
    """Socket Mode when an app-level token is configured, else HTTP mode."""
    return "socket" if settings.slack_app_token is not None else "http"


def socket_mode_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    if settings.slack_app_token is None:
        raise ConfigError(["SLACK_APP_TOKEN (xapp-...) is required for Socket Mode"])
    return AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())


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
    client: AsyncWebClient
    tracker: Tracker
    sender: OutboxSender

    async def close(self) -> None:
        await self.session.close()
        await self.deps.sdrs.aclose()
        await self.deps.ecs.aclose()
        self.deps.store.close()


def open_runtime(settings: Settings) -> Runtime:
    """Build it (inside the running loop: the Slack session is made here)."""
    store = Store.from_url(settings.database_url)
    metrics = Metrics()
    sdrs = SdrsClient.from_settings(settings, observe=metrics.observer("sdrs"))
    ecs = EcsClient.from_settings(settings, observe=metrics.observer("ecs"))
    deps = Deps(
        settings=settings, store=store, sdrs=sdrs, policy=settings.policy(), ecs=ecs,
        metrics=metrics,
    )  # fmt: skip
    session = aiohttp.ClientSession()
    tracker, sender = build_workers(deps, slack_client(settings, session, retries=False))
    metrics.watch(store, lambda: sender.rate_limited)
    return Runtime(deps, session, slack_client(settings, session), tracker, sender)


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
    handled = stop_on_signals(stop)
    rt = open_runtime(settings)
    deps, tracker, sender = rt.deps, rt.tracker, rt.sender
    app = build_app(deps, rt.client)
    pool: WorkerPool | None = None
    scheduler: AsyncIOScheduler | None = None
    if settings.worker_processes:
        from bot.worker import (
            WorkerPool,  # they run the scheduler's work and the inbox (bot.worker)
        )

        pool = WorkerPool(settings, settings.worker_processes)
        await pool.start()
        running = pool.alive
    else:
        scheduler = start_scheduler(deps, tracker, sender, app.client)
        running = lambda: scheduler is not None and scheduler.running  # noqa: E731
    socket_handler = socket_mode_handler(app, settings) if transport(settings) == "socket" else None
    slack_connected = socket_handler.client.is_connected if socket_handler else None
    health = await _start_site(
        build_health_app(deps.store, deps.metrics, scheduler_running=running,
                         slack_connected=slack_connected),
        settings.health_host, settings.health_port,
    )  # fmt: skip
    # Everything built so far lives as long as the process: keep it out of the garbage
    # collector's scans, which shortens its pauses (and so the ack latency tail).
    gc.collect()
    gc.freeze()
    web_runner: web.AppRunner | None = None
    try:
        if socket_handler is not None:
            log.info("Socket Mode: connecting to Slack")
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
        else:
            web_runner = await _start_site(
                build_web_app(app), settings.http_host, settings.http_port,
                shutdown_timeout=min(settings.shutdown_seconds / 4, 5.0),
            )  # fmt: skip
            log.info("HTTP mode on %s:%s (/slack/events)", settings.http_host, settings.http_port)
        await stop.wait()
    finally:
        for sig in handled:
            asyncio.get_running_loop().remove_signal_handler(sig)
        await _shut_down(deps, tracker, sender, scheduler, socket_handler, web_runner, pool)
        await health.cleanup()
        await rt.close()


async def _start_site(
    web_app: web.Application, host: str, port: int, shutdown_timeout: float = 5.0
) -> web.AppRunner:
    """Serve ``web_app``; on cleanup, requests in flight get ``shutdown_timeout`` to finish."""
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def _shut_down(
    deps: Deps,
    tracker: Tracker,
    sender: OutboxSender,
    scheduler: AsyncIOScheduler | None,
    socket_handler: AsyncSocketModeHandler | None,
    web_runner: web.AppRunner | None,
    pool: WorkerPool | None = None,
) -> None:
    deadline = time.monotonic() + deps.settings.shutdown_seconds

    def left() -> float:
        return max(deadline - time.monotonic(), 0.0)

    log.info("stopping: no new commands; finishing in-flight work")
    if socket_handler is not None:
        await socket_handler.close_async()  # type: ignore[no-untyped-call]
    if web_runner is not None:
        # stops listening, then waits for requests in flight (their acks) up to its timeout
        await web_runner.cleanup()
    if pool is not None:  # each worker stops gracefully on its own (bot.worker)
        await pool.stop(within=left())
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
    # a tracker tick in flight is cut short: its jobs go to another replica right away
    await deps.background.interrupt()
    released = await asyncio.to_thread(deps.store.release_leases, tracker.owner)
    log.info("job leases released: %d (another replica takes them at its next tick)", released)
    finished = await deps.background.drain(within=left() * 0.6)
    flushed, idle_rounds = 0, 0
    while (
        scheduler is not None and left() > 0.5 and idle_rounds < 10
    ):  # what is left waits for another replica
        sent = await asyncio.wait_for(sender.run_once(), timeout=left())
        flushed += sent
        waiting, _ = await asyncio.to_thread(deps.store.outbox_stats, deps.now())
        if not waiting:
            break
        idle_rounds = 0 if sent else idle_rounds + 1
        if not sent:
            await asyncio.sleep(min(0.2, left()))
    log.info("stopped: in-flight work %s, %d outbox messages flushed",
             "finished" if finished else "cut short", flushed)  # fmt: skip
