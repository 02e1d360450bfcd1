"""A local stand-in for the Slack Web API (``https://slack.com/api/<method>``) that records
every call the bot makes, for tests and the playground.

It answers the methods the bot uses with Slack's documented shapes (``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``), checks the bot token (``Authorization: Bearer``), accepts
JSON and form bodies as ``slack_sdk`` sends them, serves ``response_url`` posts under
``/response/<id>``, and can be told to answer ``429 Retry-After`` or ``not_in_channel``.

It is as strict as Slack: a message, ephemeral, ``response_url`` post or modal that breaks a
documented Block Kit limit (:mod:`bot.sandbox.block_limits`) is refused as Slack refuses it
(``invalid_blocks``, or ``invalid_arguments`` for a view, with the violations in
``response_metadata.messages``; ``msg_too_long`` past 40,000 characters of text), and a method
whose scope the token lacks answers ``missing_scope`` with ``needed`` and ``provided``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from bot.sandbox import block_limits
from bot.sandbox.runner import AppThread
from handlers.scopes import BOT_SCOPES


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    """A call the stand-in refused as Slack would: the error and Slack's messages."""

    method: str
    error: str
    messages: tuple[str, ...] = ()


# The bot scope each Web API method needs (https://api.slack.com/methods/<method>, "Required
# scopes"); conversations.* need the history scope of the conversation's kind (CHANNEL_SCOPES).
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
}
HISTORY_METHODS = ("conversations.history", "conversations.replies")
# a conversation id's first letter -> the history scope (C public, G private or group DM, D DM)
CHANNEL_SCOPES = {"C": "channels:history", "G": "groups:history", "D": "im:history"}
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")
VIEW_METHODS = ("views.open", "views.update", "views.push")


@dataclass
class SlackApiState:
    token: str
    app_token: str = "xapp-sandbox-app-token"
    bot_user_id: str = "U0BOT00001"
    bot_id: str = "B0BOT00001"
    team_id: str = "T0TEAM0001"
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    not_in_channels: set[str] = field(default_factory=set)
    rate_limit_next: dict[str, float] = field(default_factory=dict)  # method -> Retry-After
    # method -> monotonic deadline: every call before it answers 429, Retry-After = time left
    rate_limited_until: dict[str, float] = field(default_factory=dict)
    ratelimited: Counter[str] = field(default_factory=Counter)  # method -> 429s answered
    calls: list[SlackCall] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # method -> (share of calls, kind): "ratelimited" (429 + Retry-After), "server_error" (503),
    # "lost" (the call takes effect, then the answer is a 503: the caller cannot know),
    # "dropped" (the call takes effect, then the connection closes without an answer),
    # "missing_scope" (fail_next only: refused as a token without the method's scope),
    # "slow:<seconds>" (fail_next only: the call waits that long, then takes effect as usual)
    faults: dict[str, tuple[float, str]] = field(default_factory=dict)
    fault_seed: int = 7
    posted_at: list[tuple[str, float]] = field(default_factory=list)  # (channel, when) per post
    # method -> kinds, in order (as ``faults``, or "error:<code>": an answer with that error)
    fail_next: dict[str, list[str]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # open modals by view id
    scopes: list[str] = field(default_factory=lambda: list(BOT_SCOPES))
    trigger_users: dict[str, str] = field(default_factory=dict)  # trigger id -> user (views)
    # called with (method, args) after each Web API call or response_url post took effect
    listeners: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    used_triggers: set[str] = field(default_factory=set)
    rejections: list[Rejection] = field(default_factory=list)  # refused as Slack would
    # user -> Slack locale (users.info with include_locale); a user not listed has en-US
    locales: dict[str, str] = field(default_factory=dict)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in list(self.calls) if c.method == method]

    def enter(self, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """What a person entered in an open modal (Slack's client keeps it with the view, sends
        it in ``view.state`` and keeps it across a ``views.update``); the view as now held."""
        view = self.views[view_id]
        view["state"] = {"values": values}
        return view

    def message_items(self) -> list[tuple[tuple[str, str], dict[str, Any]]]:
        """A copy of ``messages`` that is safe to take while the server thread posts (a copy
        interrupted by a concurrent insert raises RuntimeError: it is simply taken again)."""
        while True:
            try:
                return list(self.messages.items())
            except RuntimeError:
                continue

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies in a thread, oldest first (the parent excluded)."""
        return sorted(
            (
                m
                for (ch, ts), m in self.message_items()
                if ch == channel and m.get("thread_ts") == thread_ts and ts != thread_ts
            ),
            key=lambda m: float(m["ts"]),
        )


class SlackApiServer:
    def __init__(self, state: SlackApiState) -> None:
        self.state = state
        self._ts = itertools.count(1)
        self._last_ts = 0.0
        self._ts_counter = itertools.count(1)  # view ids and hashes
        self._lock = threading.Lock()
        self._sockets: list[web.WebSocketResponse] = []
        self._random = random.Random(state.fault_seed)
        self._acks: dict[str, asyncio.Future[Any]] = {}
        self.ws_url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_get("/link", self._socket)
        return app

    @property
    def connections(self) -> int:
        """How many Socket Mode connections are open."""
        return len(self._sockets)

    # ---- Socket Mode ------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {"type": "hello", "num_connections": len(self._sockets), "debug_info": {}}
        )
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                waiter = self._acks.pop(str(data.get("envelope_id", "")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(data.get("payload") or {})
        finally:
            self._sockets.remove(ws)
        return ws

    async def deliver(self, kind: str, payload: dict[str, Any], wait: float = 5.0) -> Any:
        """Send one Socket Mode envelope to one connected client (as Slack does) and return
        the payload of its ack."""
        if not self._sockets:
            raise RuntimeError("no Socket Mode connection")
        envelope_id = f"env-{next(self._ts)}"
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiter
        await self._sockets[0].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind in ("slash_commands", "interactive"),
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return await asyncio.wait_for(waiter, wait)

    def _next_ts(self) -> str:
        """Message ts as Slack makes them: epoch seconds with microseconds, increasing."""
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            next(self._ts)
            return f"{self._last_ts:.6f}"

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _refuse(self, method: str, error: str, messages: list[str]) -> dict[str, Any]:
        """Slack's answer to a payload it does not take: the error, and (for blocks and views)
        each violation in ``response_metadata.messages`` as ``[ERROR] ...``."""
        self.state.rejections.append(Rejection(method, error, tuple(messages)))
        answer: dict[str, Any] = {"ok": False, "error": error}
        if messages:
            if error == "invalid_blocks":  # chat.* also list them under "errors"
                answer["errors"] = list(messages)
            answer["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}
        return answer

    def _invalid(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """The refusal for a call that breaks a scope or a Block Kit limit, else None."""
        needed = METHOD_SCOPES.get(method)
        if method in HISTORY_METHODS:
            needed = CHANNEL_SCOPES.get(str(args.get("channel") or "")[:1])
        if needed and needed not in self.state.scopes:
            self.state.rejections.append(Rejection(method, "missing_scope", (needed,)))
            provided = ",".join(self.state.scopes)
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        if method in VIEW_METHODS:
            view = args.get("view")
            if isinstance(view, str):
                try:
                    view = json.loads(view)
                except ValueError:
                    return self._refuse(method, "invalid_arguments", ["invalid json"])
            problems = block_limits.view_errors(view) if view is not None else []
            return self._refuse(method, "invalid_arguments", problems) if problems else None
        if method in MESSAGE_METHODS or method.startswith("response_url:"):
            if block_limits.text_too_long(args.get("text")):
                return self._refuse(method, "msg_too_long", [])
            problems = block_limits.message_block_errors(args.get("blocks"))
            return self._refuse(method, "invalid_blocks", problems) if problems else None
        return None

    async def _response_url(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        method = f"response_url:{request.match_info['id']}"
        self.state.calls.append(SlackCall(method, args))
        refused = self._invalid(method, args)
        if refused is not None:  # response_url answers an error as a 400 with its code
            return web.Response(status=400, text=str(refused["error"]))
        for listener in self.state.listeners:
            listener(method, args)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.state.calls.append(SlackCall(method, args))
        fault = self.state.faults.get(method)
        kind = fault[1] if fault and self._random.random() < fault[0] else None
        queued = self.state.fail_next.get(method)
        if queued:
            kind = queued.pop(0)
        if kind and kind.startswith("slow:"):
            await asyncio.sleep(float(kind.removeprefix("slow:")))
            kind = None
        if kind == "ratelimited":
            self.state.ratelimited[method] += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if kind == "server_error":
            return web.Response(status=503, text="Service Unavailable")
        if kind == "missing_scope":  # as Slack answers a token without the method's scope
            return web.json_response(
                {"ok": False, "error": "missing_scope", "provided": ",".join(self.state.scopes)}
            )
        if kind and kind.startswith("error:"):  # Slack refuses with this error code
            return web.json_response({"ok": False, "error": kind.removeprefix("error:")})
        retry_after = self.state.rate_limit_next.pop(method, None)
        left = self.state.rate_limited_until.get(method, 0.0) - time.monotonic()
        if retry_after is None and left > 0:
            retry_after = float(math.ceil(left))  # Slack sends whole seconds
        if retry_after is not None:
            self.state.ratelimited[method] += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": f"{retry_after:g}"},
            )
        auth = request.headers.get("Authorization", "")
        if method == "apps.connections.open":
            if auth != f"Bearer {self.state.app_token}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": self.ws_url})
        if auth != f"Bearer {self.state.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        refused = self._invalid(method, args)
        if refused is not None:
            return web.json_response(refused)
        result: dict[str, Any] = await handler(args)
        if result.get("ok"):
            for listener in self.state.listeners:
                listener(method, {**args, "_result": result})
        if kind == "lost":
            return web.Response(status=503, text="upstream timeout")
        if kind == "dropped" and request.transport is not None:
            request.transport.abort()  # it took effect; the connection closes with no answer
            return web.Response(status=503)  # never delivered
        # Slack reports the token's scopes on every Web API answer
        return web.json_response(result, headers={"x-oauth-scopes": ",".join(self.state.scopes)})

    async def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        s = self.state
        return {
            "ok": True,
            "url": "https://sandbox.slack.com/",
            "team": "sandbox",
            "user": "sdrs-bot",
            "team_id": s.team_id,
            "user_id": s.bot_user_id,
            "bot_id": s.bot_id,
            "is_enterprise_install": False,
        }

    def _channel_error(self, channel: str) -> dict[str, Any] | None:
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.state.not_in_channels:
            return {"ok": False, "error": "not_in_channel"}
        return None

    async def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        error = self._channel_error(channel)
        if error:
            return error
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": self.state.bot_user_id,
            "bot_id": self.state.bot_id,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "ts": ts,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
            if args.get("reply_broadcast") in (True, "true", "1"):
                message["reply_broadcast"] = True
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.state.messages[(channel, ts)] = {**message, "_received_at": time.time()}
        self.state.posted_at.append((channel, time.monotonic()))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    async def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel", "")), str(args.get("ts", "")))
        if key not in self.state.messages:
            return {"ok": False, "error": "message_not_found"}
        message = self.state.messages[key]
        message.update({k: args[k] for k in ("text", "blocks") if k in args})
        return {"ok": True, "channel": key[0], "ts": key[1], "text": message["text"]}

    async def _m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.getPermalink (GET or POST, ``channel`` + ``message_ts``): the message's link,
        with ``thread_ts`` and ``cid`` when it is a reply in a thread, as Slack answers it."""
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        message = self.state.messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://sandbox.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        parent = message.get("thread_ts")
        if parent and parent != ts:
            link += f"?thread_ts={parent}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    async def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._channel_error(str(args.get("channel", "")))
        if error:
            return error
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _view_arg(self, args: dict[str, Any]) -> dict[str, Any] | None:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        return view if isinstance(view, dict) and view.get("type") == "modal" else None

    def _stored_view(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        stored = {
            **view,
            "id": view_id,
            "team_id": self.state.team_id,
            "app_id": "A0APP00001",
            "bot_id": self.state.bot_id,
            "root_view_id": view_id,
            "previous_view_id": None,
            "hash": f"{time.time():.6f}.{next(self._ts_counter)}",
            "state": {"values": {}},
        }
        self.state.views[view_id] = stored
        return stored

    async def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open: a trigger id works once (Slack: it expires after 3 seconds)."""
        trigger = str(args.get("trigger_id") or "")
        if not trigger or trigger in self.state.used_triggers:
            return {
                "ok": False,
                "error": "invalid_trigger_id" if not trigger else "expired_trigger_id",
            }
        view = self._view_arg(args)
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        self.state.used_triggers.add(trigger)
        view_id = f"V{next(self._ts_counter):09d}"
        stored = self._stored_view(view, view_id)
        stored["_user"] = self.state.trigger_users.get(trigger, "")
        return {"ok": True, "view": {k: v for k, v in stored.items() if not k.startswith("_")}}

    async def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.update as Slack documents it: the view by ``view_id`` or ``external_id``; a
        ``hash`` that is not the view's current one is a ``hash_conflict``; what was entered in
        input blocks whose ``block_id`` and ``action_id`` stay the same is kept; the answer is
        the updated view (with its new hash)."""
        view_id = str(args.get("view_id") or "")
        external = str(args.get("external_id") or "")
        if not view_id and external:
            view_id = next(
                (i for i, v in self.state.views.items() if v.get("external_id") == external), ""
            )
        current = self.state.views.get(view_id)
        if current is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        view = self._view_arg(args)
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        kept = _kept_values(current, view)
        stored = self._stored_view(view, view_id)
        stored["_user"] = current.get("_user", "")
        stored["state"] = {"values": kept}
        return {"ok": True, "view": {k: v for k, v in stored.items() if not k.startswith("_")}}

    def _visible(self, message: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if k != "metadata" and not k.startswith("_")}
        if (
            str(args.get("include_all_metadata", "")).lower() in ("true", "1")
            and "metadata" in message
        ):
            shown["metadata"] = message["metadata"]
        return shown

    @staticmethod
    def _page(items: list[dict[str, Any]], args: dict[str, Any], default: int) -> dict[str, Any]:
        """Cursor paging as Slack does it: at most ``limit`` items, ``has_more`` and an opaque
        ``response_metadata.next_cursor`` for the rest."""
        limit = max(1, min(int(args.get("limit") or default), 1000))
        cursor = str(args.get("cursor") or "")
        start = int(base64.b64decode(cursor).decode().removeprefix("next:")) if cursor else 0
        page, more = items[start : start + limit], start + limit < len(items)
        answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
        if more:
            token = base64.b64encode(f"next:{start + limit}".encode()).decode()
            answer["response_metadata"] = {"next_cursor": token}
        return answer

    async def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        parent = self.state.messages.get((channel, ts))
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        replies = self.state.thread(channel, ts)
        messages = [self._visible(m, args) for m in [parent, *replies]]
        return self._page(messages, args, default=1000)

    async def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        oldest = float(args.get("oldest") or 0)
        top = [
            m
            for (ch, ts), m in list(self.state.messages.items())
            if ch == channel and "thread_ts" not in m and float(ts) >= oldest
        ]
        top.sort(key=lambda m: float(m["ts"]), reverse=True)  # newest first
        return self._page([self._visible(m, args) for m in top], args, default=100)

    async def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://api.slack.com/methods/users.info: the user object; its ``locale`` only when
        asked for with ``include_locale`` (true or 1)."""
        user = str(args.get("user", ""))
        if not _USER_ID.fullmatch(user):
            return {"ok": False, "error": "user_not_found"}
        found: dict[str, Any] = {"id": user, "team_id": self.state.team_id, "name": user.lower()}
        if str(args.get("include_locale", "")).lower() in ("true", "1"):
            found["locale"] = self.state.locales.get(user, "en-US")
        return {"ok": True, "user": found}

    async def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.state.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.state.usergroups[group])}


def _kept_values(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The state values of ``old`` that survive an update to ``new``: those of input blocks
    that keep their ``block_id`` and element ``action_id``."""
    values = (old.get("state") or {}).get("values") or {}
    kept: dict[str, Any] = {}
    for block in new.get("blocks") or []:
        if block.get("type") != "input":
            continue
        block_id = str(block.get("block_id") or "")
        action_id = str((block.get("element") or {}).get("action_id") or "")
        if action_id in (values.get(block_id) or {}):
            kept[block_id] = {action_id: values[block_id][action_id]}
    return kept


class SlackApiThread(AppThread):
    """Runs the stand-in in a daemon thread; ``api_url`` (ends with ``/api/``) is the base URL
    to give ``AsyncWebClient``."""

    def __init__(self, state: SlackApiState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = SlackApiServer(state)
        super().__init__(self.server.app(), host, port)
        self.state = state

    def start(self) -> str:
        url = super().start()
        self.server.ws_url = url.replace("http://", "ws://") + "/link"
        return url

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def deliver(self, kind: str, payload: dict[str, Any], timeout: float = 5.0) -> Any:
        """Thread-safe :meth:`SlackApiServer.deliver` from any thread."""
        return self.submit(self.server.deliver(kind, payload, timeout)).result(timeout + 1)
