"""The Bolt ``AsyncApp`` with every listener, and the way Slack's payloads reach it
(:class:`Ingress`); :func:`bot.serve.serve` runs it with the runtime.

* HTTP mode (``SLACK_SIGNING_SECRET``): an aiohttp server with ``POST /slack/events`` (Bolt
  verifies the ``v0`` signature and its 5-minute window) and ``GET /healthz``.
* Socket Mode (``SLACK_APP_TOKEN``, ``xapp-...``): no public URL; Slack delivers each payload to
  one of the app's connections.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.config.settings import Settings
from bot.core.errors import ConfigError
from bot.operations.deps import Deps
from handlers import actions, commands, forms
from handlers.client import SlackClient, slack_client
from handlers.i18n import speaking
from handlers.people import language_of

log = logging.getLogger(__name__)


class _SameTokenFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself when no token is passed and then warns that the client
    we give wins ("As you gave `client` as well, `token` will be unused."); that client holds the
    same token, so the warning would only read like a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_SAME_TOKEN = _SameTokenFilter()


class _UnhandledFilter(logging.Filter):
    """Bolt warns once per request that no listener takes ("Unhandled request (...)", with
    sample code): a flood of such requests (a command or interaction type this app does not
    register) must not flood the log. At most one such line per ``every`` seconds."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self.every = every
        self._last = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith("Unhandled request"):
            return True
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        return True


_UNHANDLED = _UnhandledFilter()


class SpeakingApp(AsyncApp):
    """The Bolt app, answering each person in their language: every payload a person sent (a
    command, a click, a form, an options load) is handled inside ``speaking(their language)``
    (:func:`handlers.people.language_of`), so what its listeners render for them - acks,
    ephemeral messages, forms, and the work they hand to the background, which inherits the
    context - is in that language. Messages seen by everyone set their channel's language
    themselves (:mod:`handlers.slack_chat`, :mod:`handlers.outbox`)."""

    deps: Deps

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        user = req.context.user_id
        if not user or not _for_us(req.body):  # nobody to answer: no look-up
            return await super().async_dispatch(req)
        # an options load's reads have Slack's 3 seconds already (docs/slack-rates.md): it
        # takes the person's locale only if it is known (the form was opened by them)
        ask = req.body.get("type") != "block_suggestion"
        person = await language_of(self.deps.store, self.client, user, ask_slack=ask)
        with speaking(person.language):
            return await super().async_dispatch(req)


# the interactions the app has listeners for (a command of another name has none)
_ANSWERED = frozenset({"block_actions", "view_submission", "view_closed", "block_suggestion"})


def _for_us(body: dict[str, object]) -> bool:
    if "command" in body:
        return body.get("command") == "/sdrs"
    return body.get("type") in _ANSWERED


def build_app(deps: Deps, client: SlackClient | None = None) -> AsyncApp:
    logging.getLogger("bot.slack").addFilter(_SAME_TOKEN)  # idempotent: one filter object
    logging.getLogger("bot.slack").addFilter(_UNHANDLED)
    settings = deps.settings
    secret = settings.slack_signing_secret
    app = SpeakingApp(
        client=client or slack_client(settings),
        signing_secret=_secret(secret),
        request_verification_enabled=secret is not None,
        process_before_response=True,  # listeners ack, then hand off to deps.background
        logger=logging.getLogger("bot.slack"),
    )
    app.deps = deps
    commands.register(app, deps)
    actions.register(app, deps)
    forms.register(app, deps)
    return app


# Fields Slack sends as objects in interaction payloads (None where Slack may send null).
_OBJECTS = ("user", "team", "channel", "container", "view", "message", "state", "enterprise")


def malformed(body: object) -> str | None:
    """What makes a signed body one Slack never sends (so no listener has to guard against
    it): None when it is fine. Checked at the boundary, before Bolt matches listeners - they read
    the first action, the user, the view and the command's fields as Slack always sends them."""
    if not isinstance(body, dict):
        return "the payload is not an object"
    if "command" in body:
        return _malformed_command(body)
    if "type" not in body:
        return None  # neither a command nor an interaction (ssl_check...): Bolt answers it
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "a payload whose type is not a name"
    for key in _OBJECTS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f"a payload whose {key!r} is not an object"
    user = body.get("user")
    acted = kind in ("block_actions", "interactive_message", "view_submission", "block_suggestion")
    if acted and not (isinstance(user, dict) and _text(user.get("id"))):
        return "a payload without a user id"
    if kind in ("block_actions", "interactive_message"):
        return _malformed_actions(body.get("actions"))
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not _text(view.get("callback_id")):
            return "a view payload without a view and its callback_id"
        if "state" in view and not isinstance(view["state"], dict):
            return "a view whose state is not an object"
    if kind == "block_suggestion":
        if not _text(body.get("action_id")) or not isinstance(body.get("value"), str):
            return "an options request without an action_id and a value"
    return None


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _malformed_command(body: dict[str, object]) -> str | None:
    fields = ("command", "user_id", "channel_id")
    if not all(_text(body.get(f)) for f in fields) or not isinstance(body.get("text"), str):
        return "a slash command without its command, text, user_id and channel_id"
    return None


def _malformed_actions(actions: object) -> str | None:
    if not isinstance(actions, list) or not actions:
        return "an interaction without actions"
    for action in actions:
        if not isinstance(action, dict) or not _text(action.get("action_id")):
            return "an interaction whose action has no action_id"
        if "value" in action and not isinstance(action["value"], str):
            return "an interaction whose action value is not text"
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


# Slack's timestamps are whole seconds since the epoch, written in ASCII digits. Anything
# else is refused before slack_sdk reads it: it takes int() of the header, which accepts
# other scripts' digits, signs and underscores, and then fails on a number too large for a
# float (OverflowError) - a 500 and a traceback per request.
_TIMESTAMP_DIGITS = 12


def _signed(verifier: SignatureVerifier, raw: bytes, headers: Mapping[str, str]) -> bool:
    timestamp = headers.get("x-slack-request-timestamp") or ""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
        return False
    try:
        body = raw.decode("utf-8")
        return verifier.is_valid(body, timestamp, headers.get("x-slack-signature"))
    except (UnicodeDecodeError, ValueError, TypeError, ArithmeticError):
        return False


def transport(settings: Settings) -> Literal["socket", "http"]:
    """Socket Mode when an app-level token is configured, else HTTP mode."""
    return "socket" if settings.slack_app_token is not None else "http"


def socket_mode_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    if settings.slack_app_token is None:
        raise ConfigError(["SLACK_APP_TOKEN (xapp-...) is required for Socket Mode"])
    return AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())


class Ingress:
    """How Slack's payloads reach the app: Socket Mode when an app-level token is set (no public
    URL), else HTTP mode (``POST /slack/events`` on HTTP_HOST:HTTP_PORT)."""

    def __init__(self, app: AsyncApp, settings: Settings) -> None:
        self._app = app
        self._settings = settings
        self._socket = (
            socket_mode_handler(app, settings) if transport(settings) == "socket" else None
        )
        self._web: web.AppRunner | None = None

    @property
    def connected(self) -> Callable[[], Awaitable[bool]] | None:
        """Whether the Socket Mode connection is up (None in HTTP mode: nothing to watch)."""
        return self._socket.client.is_connected if self._socket is not None else None

    async def start(self) -> None:
        settings = self._settings
        if self._socket is not None:
            log.info("Socket Mode: connecting to Slack")
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            return
        self._web = await start_site(
            build_web_app(self._app, signing_secret=_secret(settings.slack_signing_secret)),
            settings.http_host,
            settings.http_port,
            shutdown_timeout=min(settings.shutdown_seconds / 4, 5.0),
        )
        log.info("HTTP mode on %s:%s (/slack/events)", settings.http_host, settings.http_port)

    async def stop(self) -> None:
        """No new payloads; in HTTP mode, requests in flight (their acks) get the runner's
        shutdown timeout to finish."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._web is not None:
            await self._web.cleanup()


async def start_site(
    web_app: web.Application, host: str, port: int, shutdown_timeout: float = 5.0
) -> web.AppRunner:
    """Serve ``web_app``; on cleanup, requests in flight get ``shutdown_timeout`` to finish."""
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
