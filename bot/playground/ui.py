"""The playground's Slack side: a workspace with two channels and a few people, whose web page
(``/``) shows a channel as Slack would and sends what people do to the bot as Slack would -
signed slash commands, block_actions, block_suggestion and view_submission payloads posted to
the bot's Request URL (:mod:`bot.playground.payloads`). What the bot sends back through the Web
API is what the Slack stand-in (:mod:`bot.sandbox.slack_api`) recorded.

The page polls ``GET /ui/state?user=...&channel=...``; everything else is one POST per user
action, naming the channel it was done in. The side panel shows each emulated cloud account
(``GET /ui/cloud``), labelled by name and region.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web

from bot.playground import payloads
from bot.playground.faults import FaultControls
from bot.sandbox.slack_api import SlackApiServer, SlackApiState
from bot.sandbox.world import World

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    locale: str  # their Slack language (users.info): the language of the bot's private answers


PEOPLE = (
    Person("U0ALICE001", "alice", "operator", "zh-CN"),  # reads the bot in Chinese
    Person("U0BOB00001", "bob", "approver", "en-US"),
    Person("U0CAROL001", "carol", "approver", "en-US"),
)


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str
    accounts: tuple[str, ...]  # the accounts its binding names (run.py writes the bindings)


@dataclass(frozen=True)
class CloudAccount:
    name: str
    region: str
    world: World


CHANNELS = (
    Channel("C0DROPS001", "dr-ops", "DR operations - sdrs-bot lives here", ("prod-cn",)),
    Channel(
        "C0DRAPAC01",
        "dr-apac",
        "APAC on-call: both accounts, name one with account=NAME",
        ("dr-ap", "prod-cn"),
    ),
)
CHANNEL = (CHANNELS[0].id, CHANNELS[0].name)  # the default channel


class Playground:
    def __init__(
        self,
        server: SlackApiServer,
        accounts: Sequence[CloudAccount],
        *,
        signing_secret: str,
        people: tuple[Person, ...] = PEOPLE,
        channels: tuple[Channel, ...] = CHANNELS,
    ) -> None:
        self.server = server
        self.state: SlackApiState = server.state
        self.accounts = {a.name: a for a in accounts}
        self.world = accounts[0].world  # the first account's (the fault switches act on it)
        self.channels = {c.id: c for c in channels}
        self._trigger_channels: dict[str, str] = {}
        self.secret = signing_secret
        self.people = {p.id: p for p in people}
        self.state.locales.update({p.id: p.locale for p in people})  # what users.info says
        self.bot_url = ""  # the bot's Request URL, set once it listens
        self.base_url = ""  # this server's own URL (for response_url)
        self.ephemerals: list[dict[str, Any]] = []
        self.approval_mode = "requester"  # shown in the channel header
        self.controls: FaultControls | None = None  # the page's fault switches, once running
        self._triggers = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self.state.listeners.append(self._on_api_call)

    # ---- what the bot sent ------------------------------------------------------------------
    def _on_api_call(self, method: str, args: dict[str, Any]) -> None:
        if method == "chat.postEphemeral":
            self._ephemeral(str(args.get("user", "")), args)
        elif method.startswith("response_url:"):
            trigger = method.split(":", 1)[1]
            user = self.state.trigger_users.get(trigger, "")
            channel = self._trigger_channels.get(trigger, CHANNEL[0])
            if args.get("response_type") == "in_channel":
                ts = self.server._next_ts()
                self.state.messages[(channel, ts)] = {
                    "type": "message",
                    "text": args.get("text", ""),
                    "ts": ts,
                    "blocks": args.get("blocks") or [],
                    "user": self.state.bot_user_id,
                }
            else:
                self._ephemeral(user, {"channel": channel, **args})

    def _ephemeral(self, user: str, args: dict[str, Any]) -> None:
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        self.ephemerals.append(
            {
                "user": user,
                "text": args.get("text", ""),
                "blocks": blocks,
                "ts": self.server._next_ts(),
                "ephemeral": True,
                "channel": str(args.get("channel") or CHANNEL[0]),
            }
        )

    # ---- delivering to the bot, as Slack does -----------------------------------------------
    def _trigger(self, user: str, channel: str = CHANNEL[0]) -> str:
        trigger = f"{next(self._triggers)}.{abs(hash(user)) % 10**8}.playground"
        self.state.trigger_users[trigger] = user
        self._trigger_channels[trigger] = channel
        return trigger

    def channel(self, channel_id: str) -> Channel:
        found = self.channels.get(channel_id or CHANNEL[0])
        if found is None:
            raise web.HTTPBadRequest(text="unknown channel")
        return found

    async def _deliver(self, body: str) -> tuple[int, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = payloads.signed_headers(self.secret, body)
        async with self._session.post(self.bot_url, data=body, headers=headers) as response:
            return response.status, await response.text()

    def say(self, user: str, text: str, channel: str = CHANNEL[0]) -> dict[str, Any]:
        """A plain message in the channel, as Slack posts what a person types (the bot,
        which only has a slash command, does not see it)."""
        ts = self.server._next_ts()
        where = self.channel(channel).id
        self.state.messages[(where, ts)] = {
            "type": "message",
            "text": text,
            "ts": ts,
            "user": user,
            "blocks": [],
        }
        return {"ok": True}

    async def send(self, user: str, text: str, channel: str = CHANNEL[0]) -> dict[str, Any]:
        """What the composer sends in ``channel``: ``/sdrs ...`` is the bot's command; another
        ``/word`` is refused by Slack itself; anything else is a message in the channel."""
        text = text.strip()
        if not text.startswith("/"):
            return self.say(user, text, channel)
        name = text.split(maxsplit=1)[0]
        if name != "/sdrs":
            self.ephemerals.append(
                {
                    "user": user,
                    "author": "Slackbot",
                    "ephemeral": True,
                    "blocks": [],
                    "ts": self.server._next_ts(),
                    "channel": self.channel(channel).id,
                    "text": f"`{name}` is not a valid command. In this workspace: `/sdrs`.",
                }
            )
            return {"ok": True}
        return await self.command(user, text, channel)

    async def command(self, user: str, text: str, channel: str = CHANNEL[0]) -> dict[str, Any]:
        person = self.people[user]
        where = self.channel(channel)
        trigger = self._trigger(user, where.id)
        text = text.strip()
        if text.startswith("/sdrs"):
            text = text[len("/sdrs") :].strip()
        body = payloads.command_body(
            text,
            user=user,
            user_name=person.name,
            channel=where.id,
            channel_name=where.name,
            trigger=trigger,
            response_url=f"{self.base_url}/response/{trigger}",
        )
        status, answer = await self._deliver(body)
        if status != 200:
            return {"ok": False, "error": f"the bot answered HTTP {status}"}
        if answer.strip():
            ack = json.loads(answer)
            if ack.get("response_type") == "in_channel":
                self._on_api_call(f"response_url:{trigger}", ack)
            else:
                self._ephemeral(user, {"channel": where.id, **ack})
        return {"ok": True}

    async def action(self, user: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A click on a button (message or ephemeral, in ``spec["channel"]``) or a choice in a
        modal's select."""
        person = self.people[user]
        where = self.channel(str(spec.get("channel") or ""))
        trigger = self._trigger(user, where.id)
        action: dict[str, Any] = {
            "action_id": spec["action_id"],
            "block_id": spec.get("block_id", ""),
            "type": spec.get("type", "button"),
            "action_ts": self.server._next_ts(),
        }
        if "value" in spec:
            action["value"] = spec["value"]
        for field in ("selected_option", "selected_options"):
            if field in spec:
                action[field] = spec[field]
        fields: dict[str, Any] = {"trigger_id": trigger, "actions": [action]}
        view_id = spec.get("view_id")
        if view_id:
            if isinstance(spec.get("values"), dict) and view_id in self.state.views:
                self.state.enter(str(view_id), spec["values"])  # Slack sends the view's state
            view = self._view(view_id)
            fields.update(container={"type": "view", "view_id": view_id}, view=view)
        else:
            ts = str(spec.get("message_ts", ""))
            ephemeral = bool(spec.get("ephemeral"))
            message = {} if ephemeral else self.state.messages.get((where.id, ts), {})
            fields.update(
                container={
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": where.id,
                    "is_ephemeral": ephemeral,
                },
                channel={"id": where.id, "name": where.name},
                message={k: v for k, v in message.items() if not k.startswith("_")},
                response_url=f"{self.base_url}/response/{trigger}",
                state={"values": {}},
            )
        body = payloads.interaction_body(
            "block_actions", user=user, user_name=person.name, **fields
        )
        status, _ = await self._deliver(body)
        return {"ok": status == 200}

    async def options(self, user: str, spec: dict[str, Any]) -> dict[str, Any]:
        person = self.people[user]
        view_id = str(spec["view_id"])
        body = payloads.interaction_body(
            "block_suggestion",
            user=user,
            user_name=person.name,
            container={"type": "view", "view_id": view_id},
            action_id=spec["action_id"],
            block_id=spec["block_id"],
            value=spec.get("value", ""),
            view=self._view(view_id),
        )
        status, answer = await self._deliver(body)
        options = json.loads(answer).get("options", []) if status == 200 and answer else []
        return {"ok": status == 200, "options": options}

    async def submit(self, user: str, spec: dict[str, Any]) -> dict[str, Any]:
        person = self.people[user]
        view_id = str(spec["view_id"])
        view = {**self._view(view_id), "state": {"values": spec.get("values", {})}}
        body = payloads.interaction_body(
            "view_submission",
            user=user,
            user_name=person.name,
            trigger_id=self._trigger(user),
            view=view,
            response_urls=[],
        )
        status, answer = await self._deliver(body)
        if status != 200:
            return {"ok": False, "error": f"the bot answered HTTP {status}"}
        ack = json.loads(answer) if answer.strip() else {}
        if ack.get("response_action") == "errors":
            return {"ok": True, "errors": ack.get("errors", {})}
        self.state.views.pop(view_id, None)  # an empty ack closes the modal
        return {"ok": True, "closed": True}

    def close(self, view_id: str) -> dict[str, Any]:
        self.state.views.pop(view_id, None)
        return {"ok": True}

    def reloaded(self, user: str) -> dict[str, Any]:
        """The page was loaded again: as Slack's client does, it drops the modals this person
        had open (the bot is not told; a later views.update of one finds it gone)."""
        for view_id in [v for v, view in self.state.views.items() if view.get("_user") == user]:
            self.state.views.pop(view_id, None)
        return {"ok": True}

    def _view(self, view_id: str) -> dict[str, Any]:
        view = self.state.views.get(view_id)
        if view is None:
            raise web.HTTPNotFound(text="that modal is closed")
        return {k: v for k, v in view.items() if not k.startswith("_")}

    # ---- what the page shows ----------------------------------------------------------------
    def snapshot(
        self, user: str, since: int | None = None, channel: str = CHANNEL[0]
    ) -> dict[str, Any]:
        """What ``user``'s page shows in ``channel``. Private replies are Slack's ephemeral
        messages: a page gets those sent after ``since`` (its cursor; None: a fresh load, which
        gets none), so a reload loses them as Slack's client does; each names its channel."""
        where = self.channel(channel)
        channel = where.id
        top: list[dict[str, Any]] = []
        replies: dict[str, list[dict[str, Any]]] = {}
        for (ch, ts), message in sorted(self.state.messages.items(), key=lambda i: float(i[0][1])):
            if ch != channel:
                continue
            shown = {k: v for k, v in message.items() if not k.startswith("_") and k != "metadata"}
            parent = message.get("thread_ts")
            if parent and parent != ts:
                replies.setdefault(parent, []).append(shown)
                if not message.get("reply_broadcast"):
                    continue
            top.append(shown)
        for message in top:
            if not message.get("thread_ts") or message.get("thread_ts") == message["ts"]:
                message["replies"] = replies.get(message["ts"], [])
        cursor = len(self.ephemerals)
        fresh = [] if since is None else self.ephemerals[max(0, since) : cursor]
        mine = [e for e in fresh if e["user"] == user]
        views = [
            {k: v for k, v in view.items() if not k.startswith("_")}
            for view in self.state.views.values()
            if view.get("_user") == user
        ]
        return {
            "channel": self._channel_info(where),
            "channels": [self._channel_info(c) for c in self.channels.values()],
            "cursor": cursor,
            "people": [vars(p) for p in self.people.values()],
            "bot": self.state.bot_user_id,
            "messages": top,
            "ephemerals": mine,
            "view": views[-1] if views else None,
        }

    def _channel_info(self, channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "topic": channel.topic,
            "approval": self.approval_mode,
            "accounts": [
                {"name": n, "region": self.accounts[n].region}
                for n in channel.accounts
                if n in self.accounts
            ],
        }

    def cloud(self) -> dict[str, Any]:
        """Every account's emulated cloud, labelled; the fault switches' state (they act on
        the first account)."""
        return {
            "accounts": [
                {"name": a.name, "region": a.region, **a.world.snapshot()}
                for a in self.accounts.values()
            ],
            "faults": self.controls.active() if self.controls else [],
            "faults_account": next(iter(self.accounts)),
        }

    # ---- HTTP -------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/ui/state", self._state)
        app.router.add_get("/ui/cloud", self._cloud)
        app.router.add_post("/ui/{verb}", self._post)
        app.on_cleanup.append(self._close_session)

    async def _close_session(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def _page(self, request: web.Request) -> web.Response:
        return await self._static_file("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ("app.js", "style.css", "index.html"):
            raise web.HTTPNotFound()
        return await self._static_file(name)

    async def _static_file(self, name: str) -> web.Response:
        text = resources.files("bot.playground").joinpath("static", name).read_text("utf-8")
        kind = {"js": "application/javascript", "css": "text/css"}.get(name.rsplit(".")[-1])
        return web.Response(text=text, content_type=kind or "text/html")

    async def _state(self, request: web.Request) -> web.Response:
        user = request.query.get("user", PEOPLE[0].id)
        since = request.query.get("since", "")
        channel = request.query.get("channel", "")
        channel = channel if channel in self.channels else CHANNEL[0]  # an old page's choice
        return web.json_response(
            self.snapshot(user, int(since) if since.isdigit() else None, channel)
        )

    async def _cloud(self, request: web.Request) -> web.Response:
        return web.json_response(self.cloud(), dumps=lambda o: json.dumps(o, default=str))

    async def _post(self, request: web.Request) -> web.Response:
        verb = request.match_info["verb"]
        spec = await request.json()
        user = str(spec.get("user", ""))
        if verb not in ("power", "fault") and user not in self.people:
            raise web.HTTPBadRequest(text="unknown user")
        if verb == "command":
            channel = str(spec.get("channel") or "")
            result = await self.send(user, str(spec.get("text", "")), channel)
        elif verb == "action":
            result = await self.action(user, spec)
        elif verb == "options":
            result = await self.options(user, spec)
        elif verb == "submit":
            result = await self.submit(user, spec)
        elif verb == "close":
            result = self.close(str(spec.get("view_id", "")))
        elif verb == "reload":
            result = self.reloaded(user)
        elif verb == "fault" and self.controls is not None:
            try:
                result = await self.controls.apply(spec)
            except (KeyError, ValueError) as exc:
                result = {"ok": False, "error": str(exc)}
        elif verb == "power":
            account = self.accounts.get(str(spec.get("account") or next(iter(self.accounts))))
            if account is None:
                raise web.HTTPBadRequest(text="unknown account")
            account.world.set_power(str(spec["server_id"]), str(spec["status"]))
            result = {"ok": True}
        else:
            raise web.HTTPNotFound()
        return web.json_response(result)
