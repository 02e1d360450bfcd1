"""The Slack stand-in is as strict as Slack: every documented Block Kit, modal and message limit
(bot/sandbox/block_limits.py, each beside its page) is refused over HTTP as Slack refuses it -
``invalid_blocks`` with the violations in ``response_metadata.messages``, ``invalid_arguments``
for a view, ``msg_too_long``, and ``missing_scope`` with ``needed`` / ``provided`` - while a
payload just inside every limit is taken."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import block_limits as lim
from bot.sandbox.slack_api import SlackApiThread
from tests.support.slack_helpers import BOT_TOKEN

CHANNEL = "C0DROPS001"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "s") -> dict[str, Any]:
    return {"type": "section", "text": md(text)}


def option(text: str = "o", value: str = "v", description: str | None = None) -> dict[str, Any]:
    opt: dict[str, Any] = {"text": plain(text), "value": value}
    if description is not None:
        opt["description"] = plain(description)
    return opt


def button(**fields: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain("Go"), "action_id": "a", "value": "v", **fields}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def dialog(**fields: Any) -> dict[str, Any]:
    return {
        "title": plain("T"),
        "text": plain("x"),
        "confirm": plain("Yes"),
        "deny": plain("No"),
        **fields,
    }


def select(options: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "s", "options": options, **fields}


def input_block(element: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": "i", "label": plain("L"), "element": element, **fields}


def modal(**fields: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "c",
        "title": plain("Title"),
        "submit": plain("Go"),
        "close": plain("Cancel"),
        "blocks": [section()],
        **fields,
    }


# (what, the blocks of a message that breaks it, the pointer Slack names)
MESSAGE_VIOLATIONS = [
    ("blocks per message", [section()] * (lim.MESSAGE_BLOCKS + 1), "/blocks"),
    ("section text", [section("x" * (lim.SECTION_TEXT + 1))], "/blocks/0/text/text"),
    (
        "section fields",
        [{"type": "section", "fields": [md("f")] * (lim.SECTION_FIELDS + 1)}],
        "/blocks/0/fields",
    ),
    (
        "section field text",
        [{"type": "section", "fields": [md("f" * 2001)]}],
        "/blocks/0/fields/0/text",
    ),
    (
        "header text",
        [{"type": "header", "text": plain("h" * (lim.HEADER_TEXT + 1))}],
        "/blocks/0/text/text",
    ),
    ("header is plain text", [{"type": "header", "text": md("h")}], "/blocks/0/text/type"),
    ("context elements", [{"type": "context", "elements": [md("c")] * 11}], "/blocks/0/elements"),
    (
        "context text",
        [{"type": "context", "elements": [md("c" * 3001)]}],
        "/blocks/0/elements/0/text",
    ),
    ("button text", [actions(button(text=plain("b" * 76)))], "/blocks/0/elements/0/text/text"),
    ("button value", [actions(button(value="v" * 2001))], "/blocks/0/elements/0/value"),
    ("action_id", [actions(button(action_id="a" * 256))], "/blocks/0/elements/0/action_id"),
    ("block_id", [{**section(), "block_id": "b" * 256}], "/blocks/0/block_id"),
    (
        "option text",
        [actions(select([option(text="o" * 76)]))],
        "/blocks/0/elements/0/options/0/text/text",
    ),
    (
        "option description",
        [actions(select([option(description="d" * 76)]))],
        "/blocks/0/elements/0/options/0/description/text",
    ),
    (
        "option value",
        [actions(select([option(value="v" * 151)]))],
        "/blocks/0/elements/0/options/0/value",
    ),
    (
        "options per select",
        [actions(select([option(value=str(i)) for i in range(101)]))],
        "/blocks/0/elements/0/options",
    ),
    (
        "options per checkbox group",
        [
            actions(
                {
                    "type": "checkboxes",
                    "action_id": "c",
                    "options": [option(value=str(i)) for i in range(11)],
                }
            )
        ],
        "/blocks/0/elements/0/options",
    ),
    (
        "confirm dialog title",
        [actions(button(confirm=dialog(title=plain("t" * 101))))],
        "/blocks/0/elements/0/confirm/title/text",
    ),
    (
        "confirm dialog text",
        [actions(button(confirm=dialog(text=plain("t" * 301))))],
        "/blocks/0/elements/0/confirm/text/text",
    ),
    (
        "confirm dialog text is plain text",
        [actions(button(confirm=dialog(text=md("t"))))],
        "/blocks/0/elements/0/confirm/text/type",
    ),
    (
        "confirm dialog button",
        [actions(button(confirm=dialog(confirm=plain("y" * 31))))],
        "/blocks/0/elements/0/confirm/confirm/text",
    ),
    (
        "placeholder",
        [actions(select([option()], placeholder=plain("p" * 151)))],
        "/blocks/0/elements/0/placeholder/text",
    ),
]

VIEW_VIOLATIONS = [
    ("blocks per modal", modal(blocks=[section()] * (lim.MODAL_BLOCKS + 1)), "/view/blocks"),
    ("modal title", modal(title=plain("t" * 25)), "/view/title/text"),
    ("modal submit", modal(submit=plain("s" * 25)), "/view/submit/text"),
    ("modal close", modal(close=plain("c" * 25)), "/view/close/text"),
    ("private_metadata", modal(private_metadata="m" * 3001), "/view/private_metadata"),
    (
        "input label",
        modal(
            blocks=[
                input_block({"type": "plain_text_input", "action_id": "x"}, label=plain("l" * 2001))
            ]
        ),
        "/view/blocks/0/label/text",
    ),
    (
        "input placeholder",
        modal(
            blocks=[
                input_block(
                    {"type": "plain_text_input", "action_id": "x", "placeholder": plain("p" * 151)}
                )
            ]
        ),
        "/view/blocks/0/element/placeholder/text",
    ),
    (
        "checkbox description in a form",
        modal(
            blocks=[
                input_block(
                    {
                        "type": "checkboxes",
                        "action_id": "x",
                        "options": [option(description="d" * 76)],
                    }
                )
            ]
        ),
        "/view/blocks/0/element/options/0/description/text",
    ),
]


def call(slack: SlackApiThread, method: str, **args: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{slack.api_url}{method}", json=args, headers={"Authorization": f"Bearer {BOT_TOKEN}"}
    )
    result: dict[str, Any] = answer.json()
    return result


def view_id(slack: SlackApiThread) -> str:
    opened = call(slack, "views.open", trigger_id="trigger-1", view=modal())
    assert opened["ok"], opened
    return str(opened["view"]["id"])


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.postEphemeral", "chat.update"])
@pytest.mark.parametrize(
    ("what", "bad", "pointer"), MESSAGE_VIOLATIONS, ids=[v[0] for v in MESSAGE_VIOLATIONS]
)
def test_each_block_kit_limit_is_refused_as_slack_does(
    slack: SlackApiThread, method: str, what: str, bad: list[dict[str, Any]], pointer: str
) -> None:
    posted = call(slack, "chat.postMessage", channel=CHANNEL, text="t", blocks=[section()])
    target = {"ts": posted["ts"]} if method == "chat.update" else {"user": "U0ALICE001"}
    answer = call(slack, method, channel=CHANNEL, text="t", blocks=bad, **target)
    assert answer["ok"] is False and answer["error"] == "invalid_blocks", answer
    messages = answer["response_metadata"]["messages"]
    assert [f"[ERROR] {e}" for e in answer["errors"]] == messages
    assert any(
        m.startswith("[ERROR] ") and m.endswith(f"[json-pointer:{pointer}]") for m in messages
    ), messages
    if method == "chat.update":  # nothing of a refused update is taken
        assert slack.state.messages[(CHANNEL, posted["ts"])]["blocks"] == [section()]


@pytest.mark.parametrize("method", ["views.open", "views.update"])
@pytest.mark.parametrize(
    ("what", "bad", "pointer"), VIEW_VIOLATIONS, ids=[v[0] for v in VIEW_VIOLATIONS]
)
def test_each_modal_limit_is_refused_as_slack_does(
    slack: SlackApiThread, method: str, what: str, bad: dict[str, Any], pointer: str
) -> None:
    target = (
        {"view_id": view_id(slack)} if method == "views.update" else {"trigger_id": "trigger-2"}
    )
    answer = call(slack, method, view=bad, **target)
    assert answer["ok"] is False and answer["error"] == "invalid_arguments", answer
    assert "errors" not in answer  # views.* give them only in response_metadata
    messages = answer["response_metadata"]["messages"]
    assert f"[json-pointer:{pointer}]" in " ".join(messages), messages


def test_a_payload_at_every_limit_is_taken(slack: SlackApiThread) -> None:
    at_limit = [
        section("x" * lim.SECTION_TEXT),
        {"type": "header", "text": plain("h" * lim.HEADER_TEXT)},
        {"type": "context", "elements": [md("c" * lim.TEXT_OBJECT)] * lim.CONTEXT_ELEMENTS},
        actions(
            button(
                text=plain("b" * lim.BUTTON_TEXT),
                value="v" * lim.BUTTON_VALUE,
                action_id="a" * lim.ACTION_ID,
                confirm=dialog(
                    title=plain("t" * lim.CONFIRM_TITLE), text=plain("t" * lim.CONFIRM_TEXT)
                ),
            ),
            select(
                [
                    option(text="o" * 75, value=f"{i:0150d}", description="d" * 75)
                    for i in range(lim.SELECT_OPTIONS)
                ]
            ),
        ),
        *[section()] * (lim.MESSAGE_BLOCKS - 4),
    ]
    answer = call(
        slack, "chat.postMessage", channel=CHANNEL, text="t" * lim.MESSAGE_TEXT, blocks=at_limit
    )
    assert answer["ok"] is True, answer
    opened = call(
        slack,
        "views.open",
        trigger_id="trigger-3",
        view=modal(title=plain("t" * 24), private_metadata="m" * 3000, blocks=[section()] * 100),
    )
    assert opened["ok"] is True, opened


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.postEphemeral", "chat.update"])
def test_text_past_40000_characters_is_msg_too_long(slack: SlackApiThread, method: str) -> None:
    posted = call(slack, "chat.postMessage", channel=CHANNEL, text="t")
    target = {"ts": posted["ts"]} if method == "chat.update" else {"user": "U0ALICE001"}
    answer = call(slack, method, channel=CHANNEL, text="x" * (lim.MESSAGE_TEXT + 1), **target)
    assert answer == {"ok": False, "error": "msg_too_long"}


def test_a_response_url_post_breaking_a_limit_is_refused(slack: SlackApiThread) -> None:
    answer = httpx.post(
        f"{slack.url}/response/r1",
        json={"text": "t", "blocks": [section("x" * (lim.SECTION_TEXT + 1))]},
    )
    assert answer.status_code == 400 and answer.text == "invalid_blocks"
    assert httpx.post(f"{slack.url}/response/r2", json={"text": "ok"}).text == "ok"


@pytest.mark.parametrize(
    ("method", "args", "needed"),
    [
        ("chat.postMessage", {"channel": CHANNEL, "text": "t"}, "chat:write"),
        ("usergroups.users.list", {"usergroup": "S0LEADS001"}, "usergroups:read"),
        ("conversations.history", {"channel": "C0DROPS001"}, "channels:history"),
        ("conversations.replies", {"channel": "G0PRIV0001", "ts": "1.1"}, "groups:history"),
        ("conversations.history", {"channel": "D0ALICE001"}, "im:history"),
    ],
)
def test_a_method_outside_the_tokens_scopes_is_missing_scope(
    slack: SlackApiThread, method: str, args: dict[str, Any], needed: str
) -> None:
    slack.state.scopes = [s for s in slack.state.scopes if s != needed]
    answer = call(slack, method, **args)
    assert answer == {
        "ok": False,
        "error": "missing_scope",
        "needed": needed,
        "provided": ",".join(slack.state.scopes),
    }
