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
import time
from collections.abc import Mapping
from typing import Literal

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, startup_summary
from bot.config import problems as config_problems
from bot.core.errors import ConfigError
from bot.health import build_health_app
from bot.operations.deps import Deps
from bot.runtime import open_runtime, shut_down, slack_client, start_scheduler, stop_on_signals
from bot.worker import WorkerPool
from handlers import actions, commands, forms
from handlers.inbox import InboxRunner

log = logging.getLogger(__name__)


class _SameTokenFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself when no token is passed and then warns that the client
    we give wins ("As you gave `client` as well, `token` will be unused."); that client holds the
    same token, so the warning would only read like a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_SAME_TOKEN = _SameTokenFilter()


def build_app(deps: Deps, client: AsyncWebClient | None = None) -> AsyncApp:
    logging.getLogger("bot.slack").addFilter(_SAME_TOKEN)  # idempotent: one filter object
    settings = deps.settings
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client or slack_client(settings),
        signing_secret=_secret(secret),
        request_verification_enabled=secret is not None,
        process_before_response=True,  # listeners ack, then hand off to deps.background
        logger=logging.getLogger("bot.slack"),
    )
    commands.register(app, deps)
    actions.register(app, deps)
    forms.register(app, deps)
    return app


def malformed(body: object) -> str | None:
    """What makes a signed body one Slack never sends, and Bolt's listener matching cannot take
    (it reads the first action of an interaction unconditionally): None when it is fine."""
    if not isinstance(body, dict):
        return "the payload is not an object"
    if body.get("type") in ("block_actions", "interactive_message") and not body.get("actions"):
        return "an interaction without actions"
    return None


class RateLimitedWarning:
    """At most one warning line per ``every`` seconds; the lines it held back are counted in
    the next one (a flood of junk requests must not flood the log)."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self._last = float("-inf")
        self._held = 0

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            self._held += 1
            return
        held, self._held, self._last = self._held, 0, now
        more = f" (and {held} more like it since the last warning)" if held else ""
        log.warning("%s%s", message % args if args else message, more)


def build_web_app(
    app: AsyncApp, path: str = "/slack/events", *, signing_secret: str | None = None
) -> web.Application:
    """``POST /slack/events`` (and ``GET /healthz``). With ``signing_secret`` the ``v0``
    signature is checked before the body is parsed, so junk gets 401 (unsigned, badly signed,
    stale) and a signed body that is not a Slack payload 400, each with at most one
    rate-limited warning line - never a 500 and a traceback. (Bolt checks the signature again.)"""
    verifier = SignatureVerifier(signing_secret) if signing_secret else None
    warn = RateLimitedWarning()

    async def events(request: web.Request) -> web.Response:
        raw = await request.read()
        if verifier is not None and not _signed(verifier, raw, request.headers):
            warn("refused requests to %s: missing, bad or stale Slack signature", path)
            return web.Response(status=401, text="invalid signature")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # incl. decode errors
            warn("refused a signed request that is not a Slack payload: %s", type(exc).__name__)
            return web.Response(status=400, text="not a Slack payload")
        problem = malformed(bolt_request.body)
        if problem:
            warn("refused a signed request Slack would not send: %s", problem)
            return web.Response(status=400, text=problem)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_post(path, events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def _secret(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _signed(verifier: SignatureVerifier, raw: bytes, headers: Mapping[str, str]) -> bool:
    try:
        body = raw.decode("utf-8")
        return verifier.is_valid(
            body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        )
    except (UnicodeDecodeError, ValueError, TypeError):  # e.g. a timestamp that is no number
        return False


def transport(settings: Settings) -> Literal["socket", "http"]:
    """Socket Mode when an app-level token is configured, else HTTP mode."""
    return "socket" if settings.slack_app_token is not None else "http"


def socket_mode_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    if settings.slack_app_token is None:
        raise ConfigError(["SLACK_APP_TOKEN (xapp-...) is required for Socket Mode"])
    return AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())


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
    socket_handler = socket_mode_handler(app, settings) if transport(settings) == "socket" else None
    slack_connected = socket_handler.client.is_connected if socket_handler else None
    health = await _start_site(
        build_health_app(deps.store, deps.metrics, scheduler_running=running,
                         slack_connected=slack_connected,
                         credentials=deps.fleet.credential_statuses),
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
                build_web_app(app, signing_secret=_secret(settings.slack_signing_secret)),
                settings.http_host, settings.http_port,
                shutdown_timeout=min(settings.shutdown_seconds / 4, 5.0),
            )  # fmt: skip
            log.info("HTTP mode on %s:%s (/slack/events)", settings.http_host, settings.http_port)
        await stop.wait()
    finally:
        for sig in handled:
            asyncio.get_running_loop().remove_signal_handler(sig)
        await shut_down(
            deps, tracker, sender, scheduler or (here[0] if here else None),
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
