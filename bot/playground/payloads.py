"""Slack's request formats, as Slack sends them to an app's Request URL (pure builders).

* Slash commands: ``application/x-www-form-urlencoded`` with the documented fields
  (https://api.slack.com/interactivity/slash-commands#app_command_handling).
* Interactions (block_actions, block_suggestion, view_submission): form-encoded with one field,
  ``payload=<JSON>`` (https://api.slack.com/interactivity/handling#payloads).
* Every request is signed: ``X-Slack-Signature: v0=HMAC_SHA256(secret, "v0:{ts}:{body}")`` with
  ``X-Slack-Request-Timestamp`` (https://api.slack.com/authentication/verifying-requests-from-slack).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote, urlencode

from slack_sdk.signature import SignatureVerifier

TEAM = {"id": "T0TEAM0001", "domain": "sandbox"}
APP_ID = "A0APP00001"
LEGACY_TOKEN = "legacy-verification-token"  # deprecated field Slack still sends


def command_body(
    text: str,
    *,
    user: str,
    user_name: str,
    channel: str,
    channel_name: str,
    trigger: str,
    response_url: str,
) -> str:
    return urlencode(
        {
            "token": LEGACY_TOKEN,
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user_name,
            "command": "/sdrs",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger,
        }
    )


def interaction_body(kind: str, *, user: str, user_name: str, **fields: Any) -> str:
    payload: dict[str, Any] = {
        "type": kind,
        "team": TEAM,
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": TEAM["id"]},
        "api_app_id": APP_ID,
        "token": LEGACY_TOKEN,
        "is_enterprise_install": False,
        "enterprise": None,
        **fields,
    }
    return "payload=" + quote(json.dumps(payload))


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only without a secret
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
