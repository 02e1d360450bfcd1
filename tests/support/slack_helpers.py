"""Signed Slack requests, built the way Slack sends them (bolt-python's scenario-test style)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-4f2a"
BOT_TOKEN = "xoxb-test-token-8d1c"
TEAM = "T0TEAM0001"
verifier = SignatureVerifier(SIGNING_SECRET)


def slack_signed_headers(body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = verifier.generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only without a signing secret
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature}


def slash_command_body(
    text: str, *, user: str, channel: str, trigger: str, response_url: str
) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": "dr-ops",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/sdrs",
            "text": text,
            "api_app_id": "A0APP00001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger,
        }
    )


def action_body(
    *, action_id: str, op_id: str, user: str, channel: str, message_ts: str, response_url: str
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP00001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"trig-{time.monotonic_ns()}",
        "team": {"id": TEAM, "domain": "sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "dr-ops"},
        "message": {"type": "message", "ts": message_ts, "text": "", "blocks": []},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"sdrs_op_{op_id}",
                "text": {"type": "plain_text", "text": "Confirm"},
                "value": op_id,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return "payload=" + quote(json.dumps(payload))


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}


def _interaction(kind: str, user: str, **fields: Any) -> str:
    """An interaction payload as Slack posts it: form-encoded, ``payload=<JSON>``."""
    payload: dict[str, Any] = {
        "type": kind,
        "team": {"id": TEAM, "domain": "sandbox"},
        "user": _user(user),
        "api_app_id": "A0APP00001",
        "token": "legacy-verification-token",
        "is_enterprise_install": False,
        "enterprise": None,
        **fields,
    }
    return "payload=" + quote(json.dumps(payload))


def view_with_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A view as Slack sends it back: the opened view plus what the user entered."""
    return {**view, "state": {"values": values}}


def view_submission_body(user: str, view: dict[str, Any]) -> str:
    return _interaction(
        "view_submission",
        user,
        trigger_id=f"trig-{time.monotonic_ns()}",
        view=view,
        response_urls=[],
    )


def view_action_body(
    user: str, view: dict[str, Any], *, action_id: str, block_id: str, value: str, text: str
) -> str:
    """block_actions from a select inside a modal (an input block with dispatch_action)."""
    action = {
        "type": "external_select",
        "action_id": action_id,
        "block_id": block_id,
        "selected_option": {"text": {"type": "plain_text", "text": text}, "value": value},
        "action_ts": f"{time.time():.6f}",
    }
    return _interaction(
        "block_actions",
        user,
        container={"type": "view", "view_id": view["id"]},
        trigger_id=f"trig-{time.monotonic_ns()}",
        view=view,
        actions=[action],
    )


def view_checkboxes_body(
    user: str, view: dict[str, Any], *, action_id: str, block_id: str, values: list[str]
) -> str:
    """block_actions from a checkbox group inside a modal (an input block with dispatch_action):
    the action carries every option ticked now; ``view`` its state as Slack holds it."""
    action = {
        "type": "checkboxes",
        "action_id": action_id,
        "block_id": block_id,
        "selected_options": [
            {"text": {"type": "plain_text", "text": v}, "value": v} for v in values
        ],
        "action_ts": f"{time.time():.6f}",
    }
    return _interaction(
        "block_actions",
        user,
        container={"type": "view", "view_id": view["id"]},
        trigger_id=f"trig-{time.monotonic_ns()}",
        view=view,
        actions=[action],
    )


def suggestion_body(
    user: str, view: dict[str, Any], *, action_id: str, block_id: str, value: str
) -> str:
    """block_suggestion: Slack asks for an external select's options as the user types."""
    return _interaction(
        "block_suggestion",
        user,
        container={"type": "view", "view_id": view["id"]},
        action_id=action_id,
        block_id=block_id,
        value=value,
        view=view,
    )


async def dispatch(
    app: AsyncApp, body: str, extra_headers: dict[str, str] | None = None
) -> BoltResponse:
    headers: dict[str, str | Sequence[str]] = {
        "content-type": "application/x-www-form-urlencoded",
        **slack_signed_headers(body),
        **(extra_headers or {}),
    }
    return await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))


async def until(condition: Callable[[], Any], within: float = 5.0) -> Any:
    """Wait for work the listeners do after ack (it runs on after the response)."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
