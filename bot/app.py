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
from typing import Literal

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.core.errors import ConfigError
from bot.health import build_health_app
from bot.operations.deps import Deps
from bot.runtime import open_runtime, shut_down, slack_client, start_scheduler, stop_on_signals
from bot.worker import WorkerPool
from handlers import actions, commands, forms
from handlers.inbox import InboxRunner

log = logging.getLogger(__name__)


def build_app(deps: Deps, client: AsyncWebClient | None = None) -> AsyncApp:
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


def serve_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.slack_bot_token is None:
        problems.append("SLACK_BOT_TOKEN is required (the xoxb- token of the app)")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        problems.append(
            "set SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
        )
    if not settings.has_cloud_credentials:
        problems.append(
            "set HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN) and "
            "HUAWEICLOUD_SDK_PROJECT_ID"
        )
    return problems


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop``): Socket Mode when an app token is set, else HTTP
    mode; the health/metrics endpoints on HEALTH_PORT in both. Stopping is graceful, within
    SHUTDOWN_SECONDS: no new commands, in-flight work finished, job leases released (another
    replica takes those jobs at its next tick), the outbox flushed as far as time allows.
    Killed instead, nothing is lost either: leases expire and the outbox is durable."""
    problems = serve_problems(settings)
    if problems:
        raise ConfigError(problems)
    stop = stop or asyncio.Event()
    handled = stop_on_signals(stop)
    rt = open_runtime(settings)
    deps, tracker, sender = rt.deps, rt.tracker, rt.sender
    app = build_app(deps, rt.client)
    pool: WorkerPool | None = None
    scheduler: AsyncIOScheduler | None = None
    if settings.worker_processes:  # they run the scheduler's work and the inbox (bot.worker)
        pool = WorkerPool(settings, settings.worker_processes)
        await pool.start()
        running = pool.alive
    else:
        # the inbox rows a process that died left behind are handled here
        scheduler = start_scheduler(
            deps, tracker, sender, inbox=InboxRunner(deps, app.client, deps.owner)
        )
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
        await shut_down(
            deps, tracker, sender, scheduler,
            stop_serving=lambda: _stop_serving(socket_handler, web_runner),
            stop_workers=pool.stop if pool is not None else None,
        )  # fmt: skip
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


async def _stop_serving(
    socket_handler: AsyncSocketModeHandler | None, web_runner: web.AppRunner | None
) -> None:
    if socket_handler is not None:
        await socket_handler.close_async()  # type: ignore[no-untyped-call]
    if web_runner is not None:
        # stops listening, then waits for requests in flight (their acks) up to its timeout
        await web_runner.cleanup()
