"""The playground's Slack side speaks Slack's documented request formats: slash commands are
form-encoded with the documented fields, interactions carry ``payload=<JSON>``, and every request
verifies with slack_sdk's SignatureVerifier. What the bot answers lands where Slack shows it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

from bot.playground.ui import CHANNEL, PEOPLE, CloudAccount, Playground
from bot.sandbox.seed import seeded_world
from bot.sandbox.slack_api import SlackApiState, SlackApiThread

SECRET = "format-test-secret"
ALICE, BOB = PEOPLE[0].id, PEOPLE[1].id
COMMAND_FIELDS = {
    "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
    "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
}  # fmt: skip


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
    await playground.action(BOB, {"action_id": "sdrs_confirm", "block_id": "b", "value": "op1",
                                  "message_ts": ts})  # fmt: skip
    view = {"type": "modal", "callback_id": "sdrs_resize_form", "title": {"type": "plain_text",
            "text": "t"}, "blocks": [], "private_metadata": "{}"}  # fmt: skip
    slack.state.views["V1"] = {**view, "id": "V1", "hash": "h1", "_user": BOB}
    bot.answer = {"options": [{"text": {"type": "plain_text", "text": "erp-db"}, "value": "x"}]}
    answer = await playground.options(BOB, {"view_id": "V1", "action_id": "sdrs_pick_instance",
                                            "block_id": "instance", "value": "erp"})  # fmt: skip
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
    assert click["container"] == {"type": "message", "message_ts": ts, "channel_id": CHANNEL[0],
                                  "is_ephemeral": False}  # fmt: skip
    assert click["actions"][0]["value"] == "op1" and click["channel"]["id"] == CHANNEL[0]
    submission = json.loads(parse_qs(bot.received[2][1])["payload"][0])
    assert submission["view"]["id"] == "V1" and submission["view"]["state"] == {
        "values": {"sites": {}}
    }
