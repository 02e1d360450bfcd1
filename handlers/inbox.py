"""Commands and clicks as inbox items (``WORKER_PROCESSES``): what the serving process queues
after its ack, and how a worker runs it - the same operations the serving process would run.

An item carries the typed payload (the parsed intent or the click), never Slack's raw body.
Items queued by an older version (the raw command, or ``{"body", "to"}`` for a click) are read
too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import ParseError
from bot.core.intents import (
    INTENT,
    HistoryIntent,
    JobsIntent,
    RenameDrillIntent,
    ResizeIntent,
    StatusIntent,
    parse,
)
from bot.core.states import InboxKind, OpState
from bot.operations.decide import Click, on_click
from bot.operations.deps import Deps
from bot.operations.request import request_confirmation
from bot.operations.status import answer_status
from bot.store import InboxItem
from handlers.slack_chat import SlackChat, responder

WorkIntent = ResizeIntent | RenameDrillIntent | StatusIntent | JobsIntent | HistoryIntent


@dataclass(frozen=True)
class CommandWork:
    """A command that needs more than the ack: who asked, where, and how to answer them."""

    intent: WorkIntent
    user: str
    channel: str
    request_key: str | None
    response_url: str


async def run_command(
    deps: Deps, client: AsyncWebClient, work: CommandWork, respond: AsyncRespond
) -> None:
    tell = responder(respond)
    match work.intent:
        case ResizeIntent() | RenameDrillIntent():
            await request_confirmation(
                deps, SlackChat(client), tell, work.intent, user=work.user, channel=work.channel,
                request_key=work.request_key,
            )  # fmt: skip
        case StatusIntent() | JobsIntent() | HistoryIntent():
            await answer_status(deps, tell, work.intent, work.channel)


def queue_command(deps: Deps, work: CommandWork) -> None:
    """Write the command to the inbox (a Slack retry of it is one row)."""
    key = f"command:{work.request_key or work.response_url}"
    payload = {"intent": work.intent.model_dump(mode="json"), "user": work.user,
               "channel": work.channel, "request_key": work.request_key,
               "response_url": work.response_url}  # fmt: skip
    deps.background.spawn(
        asyncio.to_thread(deps.store.put_inbox, InboxKind.COMMAND, key, payload, deps.now()),
        name="inbox command",
    )


def queue_click(deps: Deps, click: Click, action_ts: str) -> None:
    key = f"click:{action_ts}:{click.user}:{click.op_id}"
    payload = {"user": click.user, "channel": click.channel, "op_id": click.op_id,
               "message_ts": click.message_ts, "to": click.to.value}  # fmt: skip
    deps.background.spawn(
        asyncio.to_thread(deps.store.put_inbox, InboxKind.CLICK, key, payload, deps.now()),
        name="inbox click",
    )


async def handle(deps: Deps, client: AsyncWebClient, item: InboxItem) -> None:
    """Run an inbox item to its end (in a worker process)."""
    if item.kind is InboxKind.CLICK:
        await on_click(deps, SlackChat(client), _click(item.payload))
        return
    work = _command(item.payload)
    if work is not None:
        await run_command(deps, client, work, AsyncRespond(response_url=work.response_url))


def _click(payload: dict[str, Any]) -> Click:
    if "body" in payload:  # queued by an older version: Slack's body
        body = payload["body"]
        action = (body.get("actions") or [{}])[0]
        return Click(
            user=str((body.get("user") or {}).get("id", "")),
            channel=str((body.get("channel") or {}).get("id", "")),
            op_id=str(action.get("value") or ""),
            message_ts=str((body.get("container") or {}).get("message_ts") or ""),
            to=OpState(payload["to"]),
        )
    return Click(user=payload["user"], channel=payload["channel"], op_id=payload["op_id"],
                 message_ts=payload["message_ts"], to=OpState(payload["to"]))  # fmt: skip


def _command(payload: dict[str, Any]) -> CommandWork | None:
    if "intent" in payload:
        intent = INTENT.validate_python(payload["intent"])
        user, channel = payload["user"], payload["channel"]
        key, url = payload.get("request_key"), str(payload.get("response_url") or "")
    else:  # queued by an older version: Slack's command
        try:
            intent = parse(str(payload.get("text", "")))
        except ParseError:  # answered in the ack
            return None
        user, channel = str(payload["user_id"]), str(payload["channel_id"])
        key = str(payload.get("trigger_id") or "") or None
        url = str(payload.get("response_url") or "")
    if not isinstance(intent, WorkIntent):
        return None
    return CommandWork(intent=intent, user=user, channel=channel, request_key=key,
                       response_url=url)  # fmt: skip
