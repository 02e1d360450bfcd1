"""The playground's Slack side speaks Slack's documented request formats: slash commands are
form-encoded with the documented fields, interactions carry ``payload=<JSON>``, and every request
verifies with slack_sdk's SignatureVerifier. What the bot answers lands where Slack shows it."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

import handlers
from bot.playground.faults import FaultControls
from bot.playground.run import DR_PREFIX, Running, run_playground
from bot.playground.ui import CHANNEL, CHANNELS, PEOPLE, CloudAccount, Playground
from bot.sandbox.faults import FaultPlan
from bot.sandbox.seed import seeded_world, sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiServer, SlackApiState, SlackApiThread

T = TypeVar("T")
# an emoji code in a message: ":name:" (not "12:00:30", not ":class:`x`" roles in docstrings)
EMOJI_CODE = re.compile(r"(?<![\w:]):([a-z][a-z0-9_+]*):(?![\w`])")

SECRET = "format-test-secret"
ALICE, BOB = PEOPLE[0].id, PEOPLE[1].id
COMMAND_FIELDS = {
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "api_app_id",
    "is_enterprise_install",
    "response_url",
    "trigger_id",
}


class FakeBot:
    """Records what the playground delivers; answers like a Bolt app would."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], str]] = []
        self.answer: dict[str, Any] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.received.append((dict(request.headers), body))
        if self.answer is None:
            return web.Response(text="")
        return web.json_response(self.answer)


@pytest.fixture
async def rig() -> AsyncIterator[tuple[Playground, FakeBot, SlackApiThread]]:
    bot = FakeBot()
    app = web.Application()
    app.router.add_post("/slack/events", bot.handle)
    server = TestServer(app)
    await server.start_server()
    slack = SlackApiThread(SlackApiState(token="xoxb-format"))
    playground = Playground(
        slack.server,
        [CloudAccount("prod-cn", "cn-north-4", seeded_world())],
        signing_secret=SECRET,
    )
    playground.add_routes(slack.app)
    slack.start()
    playground.base_url = slack.url
    playground.bot_url = str(server.make_url("/slack/events"))
    yield playground, bot, slack
    if playground._session is not None:
        await playground._session.close()
    slack.stop()
    await server.close()


def verified(headers: dict[str, str], body: str) -> None:
    ts = headers["X-Slack-Request-Timestamp"]
    assert abs(time.time() - int(ts)) < 300
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid(body, ts, headers["X-Slack-Signature"])
    assert not SignatureVerifier("another-secret").is_valid(body, ts, headers["X-Slack-Signature"])


async def test_slash_command_is_form_encoded_with_the_documented_fields(
    rig: tuple[Playground, FakeBot, SlackApiThread],
) -> None:
    playground, bot, _ = rig
    bot.answer = {"response_type": "ephemeral", "text": "only for alice"}
    assert await playground.command(ALICE, "/sdrs help resize") == {"ok": True}
    headers, body = bot.received[0]
    verified(headers, body)
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert set(fields) == COMMAND_FIELDS
    assert fields["command"] == "/sdrs" and fields["text"] == "help resize"
    assert fields["user_id"] == ALICE and fields["channel_id"] == CHANNEL[0]
    assert fields["response_url"].startswith(playground.base_url + "/response/")
    # the ack's ephemeral answer is shown to alice only, on a page loaded before it came
    assert [e["text"] for e in playground.snapshot(ALICE, 0)["ephemerals"]] == ["only for alice"]
    assert playground.snapshot(BOB, 0)["ephemerals"] == []
    # a fresh load (no cursor) gets none, as Slack's client forgets them on reload
    fresh = playground.snapshot(ALICE)
    assert fresh["ephemerals"] == [] and fresh["cursor"] == 1
    assert playground.snapshot(ALICE, fresh["cursor"])["ephemerals"] == []


async def test_plain_text_is_a_message_and_other_commands_are_slacks(
    rig: tuple[Playground, FakeBot, SlackApiThread],
) -> None:
    playground, bot, _ = rig
    assert await playground.send(ALICE, "hello team") == {"ok": True}
    assert await playground.send(ALICE, "/giphy cats") == {"ok": True}
    assert bot.received == []  # the bot only gets its own slash command
    state = playground.snapshot(ALICE, 0)
    assert [(m["user"], m["text"]) for m in state["messages"]] == [(ALICE, "hello team")]
    [refused] = state["ephemerals"]
    assert refused["author"] == "Slackbot" and "`/giphy` is not a valid command" in refused["text"]
    await playground.send(ALICE, "/sdrs help")
    assert parse_qs(bot.received[0][1])["text"] == ["help"]


async def test_interactions_carry_a_json_payload(
    rig: tuple[Playground, FakeBot, SlackApiThread],
) -> None:
    playground, bot, slack = rig
    ts = "1795000000.000100"
    slack.state.messages[(CHANNEL[0], ts)] = {"type": "message", "ts": ts, "text": "c"}
    await playground.action(
        BOB, {"action_id": "sdrs_confirm", "block_id": "b", "value": "op1", "message_ts": ts}
    )
    view = {
        "type": "modal",
        "callback_id": "sdrs_resize_form",
        "title": {"type": "plain_text", "text": "t"},
        "blocks": [],
        "private_metadata": "{}",
    }
    slack.state.views["V1"] = {**view, "id": "V1", "hash": "h1", "_user": BOB}
    bot.answer = {"options": [{"text": {"type": "plain_text", "text": "erp-db"}, "value": "x"}]}
    answer = await playground.options(
        BOB,
        {
            "view_id": "V1",
            "action_id": "sdrs_pick_instance",
            "block_id": "instance",
            "value": "erp",
        },
    )
    assert answer["options"][0]["value"] == "x"
    bot.answer = {"response_action": "errors", "errors": {"sites": "Choose a site"}}
    result = await playground.submit(BOB, {"view_id": "V1", "values": {"sites": {}}})
    assert result["errors"] == {"sites": "Choose a site"} and "V1" in slack.state.views
    bot.answer = None
    assert (await playground.submit(BOB, {"view_id": "V1", "values": {}}))["closed"]
    assert "V1" not in slack.state.views
    kinds = []
    for headers, body in bot.received:
        verified(headers, body)
        form = parse_qs(body)
        assert list(form) == ["payload"]
        payload = json.loads(form["payload"][0])
        assert payload["user"]["id"] == BOB and payload["team"]["id"].startswith("T")
        kinds.append(payload["type"])
    assert kinds == ["block_actions", "block_suggestion", "view_submission", "view_submission"]
    click = json.loads(parse_qs(bot.received[0][1])["payload"][0])
    assert click["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": CHANNEL[0],
        "is_ephemeral": False,
    }
    assert click["actions"][0]["value"] == "op1" and click["channel"]["id"] == CHANNEL[0]
    submission = json.loads(parse_qs(bot.received[2][1])["payload"][0])
    assert submission["view"]["id"] == "V1" and submission["view"]["state"] == {
        "values": {"sites": {}}
    }


async def test_a_command_in_the_second_channel_names_that_channel(
    rig: tuple[Playground, FakeBot, SlackApiThread],
) -> None:
    playground, bot, _ = rig
    apac = CHANNELS[1]
    bot.answer = {"response_type": "ephemeral", "text": "which account?"}
    await playground.command(ALICE, "/sdrs resize x s6.large.2", apac.id)
    fields = {k: v[0] for k, v in parse_qs(bot.received[0][1]).items()}
    assert (fields["channel_id"], fields["channel_name"]) == (apac.id, apac.name)
    assert playground.snapshot(ALICE, 0, apac.id)["ephemerals"][0]["channel"] == apac.id
    await playground.send(BOB, "hello apac", apac.id)
    assert [m["text"] for m in playground.snapshot(BOB, None, apac.id)["messages"]] == [
        "hello apac"
    ]
    assert playground.snapshot(BOB)["messages"] == []  # #dr-ops has its own list


# ---- the playground as `sdrs-bot demo` runs it: two accounts, two channels -------------------


async def _poll(
    session: aiohttp.ClientSession, url: str, check: Callable[[Any], T | None], within: float = 30
) -> T:
    """GET ``url`` (JSON) until ``check`` finds what it looks for."""
    deadline = time.monotonic() + within
    while True:
        async with session.get(url) as response:
            found = check(await response.json())
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not found in time at {url}")
        await asyncio.sleep(0.1)


def _confirmation(state: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (m for m in state["messages"] if any(b.get("type") == "actions" for b in m["blocks"])), None
    )


def _posts(emulator: EmulatorThread) -> int:
    return sum(1 for r in emulator.emulator.requests if r.method == "POST")


@pytest.mark.slow
async def test_two_accounts_bound_to_two_channels_through_the_page() -> None:
    """`sdrs-bot demo`'s set-up, driven through the page's own HTTP endpoints: #dr-apac acts on
    both accounts, so a resize there names one; its confirmation and report name the account
    and region, and only that account's emulator receives the resize. Each channel keeps its
    own messages; the cloud panel lists both accounts; start/stop reaches the right one."""
    stop = asyncio.Event()
    seen: dict[str, Any] = {}

    async def scenario(running: Running) -> None:
        apac, ops = CHANNELS[1].id, CHANNELS[0].id
        db = sid(f"{DR_PREFIX}pi-erp-db")
        base = running.url

        def state(channel: str) -> str:
            return f"{base}/ui/state?user={ALICE}&since=0&channel={channel}"

        async with aiohttp.ClientSession() as session:

            async def post(verb: str, **body: Any) -> dict[str, Any]:
                async with session.post(f"{base}/ui/{verb}", json={"user": ALICE, **body}) as r:
                    assert r.status == 200, await r.text()
                    return dict(await r.json())

            await post("command", channel=apac, text=f"/sdrs resize {db} s6.xlarge.2")
            asked = await _poll(
                session,
                state(apac),
                lambda s: [e["text"] for e in s["ephemerals"] if "`account=NAME`" in e["text"]],
            )
            assert "`dr-ap`, `prod-cn`" in asked[0] and "account=NAME" in asked[0]
            await post("command", channel=apac, text=f"/sdrs resize {db} s6.xlarge.2 account=dr-ap")
            message = await _poll(session, state(apac), _confirmation)
            text = json.dumps(message["blocks"], ensure_ascii=False)
            assert "account `dr-ap` (ap-southeast-1)" in text and "ecs-hk-erp-db-src" in text
            actions = next(b for b in message["blocks"] if b["type"] == "actions")
            await post(
                "action",
                channel=apac,
                action_id=actions["elements"][0]["action_id"],
                block_id=actions["block_id"],
                value=actions["elements"][0]["value"],
                message_ts=message["ts"],
            )
            final = await _poll(
                session,
                state(apac),
                lambda s: [
                    r["text"]
                    for m in s["messages"]
                    for r in m.get("replies", [])
                    if "SUCCESS" in r["text"]
                ],
            )
            assert "account `dr-ap` (ap-southeast-1)" in final[0]
            seen["posts"] = {n: _posts(e) for n, e in running.emulators.items()}
            ap_server = running.world("dr-ap").servers[sid(f"{DR_PREFIX}pi-erp-db-src")]
            assert ap_server.flavor == "s6.xlarge.2"
            # each channel its own messages: #dr-ops has none of #dr-apac's
            await post("command", channel=ops, text="good morning, dr-ops")
            ops_state = await _poll(session, state(ops), lambda s: s)
            assert [m["text"] for m in ops_state["messages"]] == ["good morning, dr-ops"]
            assert ops_state["channel"]["accounts"] == [{"name": "prod-cn", "region": "cn-north-4"}]
            apac_state = await _poll(session, state(apac), lambda s: s)
            assert "good morning" not in json.dumps(apac_state["messages"])
            assert [a["name"] for a in apac_state["channel"]["accounts"]] == ["dr-ap", "prod-cn"]
            # the cloud panel: both accounts, labelled; a stop reaches dr-ap's emulator only
            cloud = await _poll(session, f"{base}/ui/cloud", lambda c: c)
            assert [(a["name"], a["region"]) for a in cloud["accounts"]] == [
                ("prod-cn", "cn-north-4"),
                ("dr-ap", "ap-southeast-1"),
            ]
            app = sid(f"{DR_PREFIX}pi-erp-app-src")
            await post("power", account="dr-ap", server_id=app, status="SHUTOFF")
            assert running.world("dr-ap").servers[app].status == "SHUTOFF"
            assert running.world("prod-cn").servers[sid("pi-erp-app-src")].status == "ACTIVE"
        stop.set()

    await run_playground(job_seconds=0.5, stop=stop, on_ready=scenario)
    assert seen["posts"] == {"prod-cn": 0, "dr-ap": 1}  # the resize reached dr-ap only


# ---- the ECS power switches and the cloud panel's task_state ---------------------------------


async def test_ecs_power_switches_show_until_used_and_clear() -> None:
    """The page's ECS switches plant the emulator's power faults on the first account; each is
    listed as active until a stop/start job uses it up; "Clear all" removes them. The cloud
    panel's servers carry ECS's task_state while a stop/start job works on them."""
    clock = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    world = seeded_world(now=lambda: clock[0], job_seconds=2.0)
    controls = FaultControls(world, FaultPlan(), SlackApiState(token="x"), "sqlite://")
    playground = Playground(
        SlackApiServer(SlackApiState(token="x")),
        [CloudAccount("prod-cn", "cn-north-4", world)],
        signing_secret=SECRET,
    )
    playground.controls = controls
    app = sid("pi-erp-app-src")

    def server(id_: str) -> tuple[str, str]:
        shown = playground.cloud()["accounts"][0]["servers"][id_]
        return shown["status"], shown["task_state"]

    world.power_action({"os-stop": {"servers": [{"id": app}]}})
    assert server(app) == ("ACTIVE", "powering-off")  # ECS keeps the status until the end
    assert server(sid("pi-erp-db-src")) == ("SHUTOFF", "")
    clock[0] += timedelta(seconds=3)
    assert server(app) == ("SHUTOFF", "")
    world.power_action({"os-start": {"servers": [{"id": app}]}})
    assert server(app) == ("SHUTOFF", "powering-on")
    clock[0] += timedelta(seconds=3)
    assert server(app) == ("ACTIVE", "")

    done = await controls.apply({"kind": "stop-fails", "code": "Ecs.0001"})
    assert done == {
        "ok": True,
        "done": "the next ECS stop fails with Ecs.0001; the servers stay ACTIVE",
    }
    assert "start fails" in (await controls.apply({"kind": "start-fails", "code": "x"}))["done"]
    assert "ERROR" in (await controls.apply({"kind": "start-to-error"}))["done"]
    assert controls.active() == [
        "next ECS stop fails with Ecs.0001",
        "next ECS start fails with Ecs.0000 (stays SHUTOFF)",  # the code box is the stop's
        "next ECS start leaves the servers in ERROR",
    ]
    job = world.power_action({"os-stop": {"servers": [{"id": app}]}})
    assert playground.cloud()["faults"] == [  # the stop fault is used up
        "next ECS start fails with Ecs.0000 (stays SHUTOFF)",
        "next ECS start leaves the servers in ERROR",
    ]
    clock[0] += timedelta(seconds=3)
    assert world.ecs_job(job)["status"] == "FAIL" and server(app) == ("ACTIVE", "")
    await controls.apply({"kind": "clear"})
    assert controls.active() == [] and world.power_faults == []


async def test_a_page_reload_drops_the_modals_of_whoever_reloaded(
    rig: tuple[Playground, FakeBot, SlackApiThread],
) -> None:
    """As in Slack: a modal does not survive reloading the client. The page says it was loaded
    (POST /ui/reload, before it shows anything); another person's modal stays open."""
    playground, _, slack = rig
    slack.state.views["V_ALICE"] = {"id": "V_ALICE", "type": "modal", "_user": ALICE}
    slack.state.views["V_BOB"] = {"id": "V_BOB", "type": "modal", "_user": BOB}
    assert playground.snapshot(ALICE)["view"]["id"] == "V_ALICE"
    async with aiohttp.ClientSession() as session:
        answer = await session.post(f"{slack.url}/ui/reload", json={"user": ALICE})
        assert (await answer.json()) == {"ok": True}
    assert playground.snapshot(ALICE)["view"] is None
    assert playground.snapshot(BOB)["view"]["id"] == "V_BOB"
    page = (await playground._static_file("app.js")).text or ""
    assert 'await post("reload", {})' in page.split("refresh();\n  refreshCloud();")[0]


def test_every_emoji_the_bot_writes_is_in_the_playground_emoji_table() -> None:
    """The playground renders :name: from its own table (Slack's client knows them all): an
    emoji the bot writes and the table lacks would show as text (:calendar: did)."""
    page = resources.files("bot.playground").joinpath("static", "app.js").read_text("utf-8")
    table = re.search(r"const EMOJI = \{(.*?)\};", page, re.S)
    assert table is not None
    known = set(re.findall(r"([a-z0-9_+-]+):\s*\"", table.group(1)))
    used: set[str] = set()
    for path in sorted(Path(handlers.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) not in docstrings:
                    used |= set(EMOJI_CODE.findall(node.value))
    assert {"calendar", "warning", "white_check_mark", "rotating_light"} <= used  # found them
    assert used - known == set()
