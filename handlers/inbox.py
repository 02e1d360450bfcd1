"""Commands and clicks as inbox items (``WORKER_PROCESSES``): what the serving process queues
after its ack, and how a worker runs it - the same operations the serving process would run.

An item carries the typed payload (the parsed intent or the click), never Slack's raw body.
Items queued by an older version (the raw command, or ``{"body", "to"}`` for a click) are read
too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
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
from bot.core.notices import NotHandled
from bot.core.retry import backoff_delay
from bot.core.states import InboxKind, OpState
from bot.huaweicloud.pace import turn
from bot.operations.decide import Click, on_click
from bot.operations.deps import Deps
from bot.operations.request import request_confirmation
from bot.operations.status import answer_status
from bot.store import InboxItem
from bot.store.intake import Row
from handlers.i18n import speaking
from handlers.people import language_of
from handlers.slack_chat import SlackChat, responder

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5  # tries before an inbox item is set aside (dead-lettered)
# a failed item is taken again after 2 s, then 4, 8... at most a minute
RETRY_FIRST_SECONDS, RETRY_CAP_SECONDS = 2.0, 60.0

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
    tell, chat = responder(respond), _chat(deps, client)
    match work.intent:
        case ResizeIntent() | RenameDrillIntent():
            await request_confirmation(
                deps,
                chat,
                tell,
                work.intent,
                user=work.user,
                channel=work.channel,
                request_key=work.request_key,
            )
        case StatusIntent() | JobsIntent() | HistoryIntent():
            await answer_status(
                deps,
                chat,
                tell,
                work.intent,
                user=work.user,
                channel=work.channel,
            )


def _chat(deps: Deps, client: AsyncWebClient) -> SlackChat:
    """Slack for the operations: channel messages in their binding's language."""
    return SlackChat(client, deps.bindings.language_in)


def command_item(work: CommandWork) -> tuple[str, dict[str, Any]]:
    """(dedupe key, payload) of a command's inbox row (a Slack retry of it is one row)."""
    key = f"command:{work.request_key or work.response_url}"
    return key, {
        "intent": work.intent.model_dump(mode="json"),
        "user": work.user,
        "channel": work.channel,
        "request_key": work.request_key,
        "response_url": work.response_url,
    }


def click_item(click: Click, action_ts: str) -> tuple[str, dict[str, Any]]:
    key = f"click:{action_ts}:{click.user}:{click.op_id}"
    return key, {
        "user": click.user,
        "channel": click.channel,
        "op_id": click.op_id,
        "message_ts": click.message_ts,
        "to": click.to.value,
    }


async def accept(deps: Deps, kind: InboxKind, item: tuple[str, dict[str, Any]]) -> InboxItem | None:
    """Write an item before acking it (an acked command survives a crash). With worker
    processes it waits for them; without, it is leased to this process, which handles it at
    once (:func:`run_here`). None: Slack delivered it before (its first row stands)."""
    key, payload = item
    here = not deps.settings.worker_processes
    item_id = await deps.intake.put(
        Row(
            kind,
            key,
            payload,
            deps.now(),
            owner=deps.owner if here else None,
            lease_seconds=deps.settings.inbox_lease_seconds,
        )
    )
    return None if item_id is None else InboxItem(item_id, kind, payload, 1 if here else 0)


async def set_aside(deps: Deps, client: AsyncWebClient, item: InboxItem, reason: str) -> None:
    """Dead-letter an item that keeps failing: out of the inbox, into the audit trail, counted,
    and the person who sent it told."""
    log.error(
        "inbox item %s (%s) set aside after %d tries: %s", item.id, item.kind, item.attempts, reason
    )
    await asyncio.to_thread(deps.store.dead_inbox, item, deps.now(), reason)
    deps.metrics.inbox_dead.labels(item.kind.value).inc()
    user, channel = item.sender()
    if user and channel:
        person = await language_of(deps.store, client, user)
        with speaking(person.language):
            await _chat(deps, client).tell(channel, user, NotHandled(item.attempts))


def run_here(
    deps: Deps, client: AsyncWebClient, item: InboxItem, respond: AsyncRespond | None
) -> None:
    """Handle an item this process accepted (after the ack), then delete it: at most
    INBOX_CONCURRENCY at once in this process (``deps.inbox_slots``), the rest in turn."""
    runner = InboxRunner(deps, client, deps.owner)
    deps.inbox_slots.submit(partial(runner.one, item, respond), f"inbox {item.kind} {item.id}")


async def handle(
    deps: Deps, client: AsyncWebClient, item: InboxItem, respond: AsyncRespond | None = None
) -> None:
    """Run an inbox item to its end, speaking to its sender in their language (also in a
    worker process, which did not see the payload arrive)."""
    user, _ = item.sender()
    if not user:
        await _handle(deps, client, item, respond)
        return
    person = await language_of(deps.store, client, user)
    with speaking(person.language):
        await _handle(deps, client, item, respond)


async def _handle(
    deps: Deps, client: AsyncWebClient, item: InboxItem, respond: AsyncRespond | None
) -> None:
    if item.kind is InboxKind.CLICK:
        await on_click(deps, _chat(deps, client), _click(item.payload))
        return
    work = _command(item.payload)
    if work is not None:
        respond = respond or AsyncRespond(response_url=work.response_url)
        await run_command(deps, client, work, respond)


class InboxRunner:
    """Takes inbox items and handles each on its own (a slow SDRS answer holds only its own
    item), at most INBOX_CONCURRENCY in flight in this process with those it accepted itself
    (``deps.inbox_slots``); an item is deleted once handled. Worker processes run it for every
    item; a serving process without workers, for the items a process that died left behind."""

    def __init__(self, deps: Deps, client: AsyncWebClient, owner: str) -> None:
        self.deps, self.client, self.owner = deps, client, owner

    async def tick(self) -> int:
        room = self.deps.inbox_slots.room
        if room <= 0:
            return 0
        items = await asyncio.to_thread(
            self.deps.store.take_inbox,
            self.owner,
            self.deps.now(),
            lease_seconds=self.deps.settings.inbox_lease_seconds,
            limit=room,
        )
        for item in items:
            self.deps.inbox_slots.submit(partial(self.one, item), f"inbox {item.kind} {item.id}")
        return len(items)

    async def one(self, item: InboxItem, respond: AsyncRespond | None = None) -> None:
        await turn()  # behind acks (bot.huaweicloud.pace)
        if item.attempts > MAX_ATTEMPTS:  # taken again and again: its handler dies each time
            await set_aside(self.deps, self.client, item, "its process died while handling it")
            return
        try:
            await handle(self.deps, self.client, item, respond)
        except Exception as exc:
            log.exception("inbox item %s (%s) failed (try %d)", item.id, item.kind, item.attempts)
            if item.attempts >= MAX_ATTEMPTS:
                await set_aside(self.deps, self.client, item, f"{type(exc).__name__}: {exc}")
            else:  # handling is idempotent: take it again after a pause
                wait = backoff_delay(item.attempts, RETRY_FIRST_SECONDS, RETRY_CAP_SECONDS)
                at = self.deps.now() + timedelta(seconds=wait)
                await asyncio.to_thread(self.deps.store.retry_inbox, item.id, self.owner, at)
            return
        await asyncio.to_thread(self.deps.store.done_inbox, [item.id])

    async def settle(self) -> None:
        await self.deps.inbox_slots.settle()


async def drain_inbox(deps: Deps, client: AsyncWebClient, owner: str) -> int:
    """Take what is waiting and handle it to the end; how many items were taken."""
    runner = InboxRunner(deps, client, owner)
    taken = await runner.tick()
    await runner.settle()
    return taken


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
    return Click(
        user=payload["user"],
        channel=payload["channel"],
        op_id=payload["op_id"],
        message_ts=payload["message_ts"],
        to=OpState(payload["to"]),
    )


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
    return CommandWork(intent=intent, user=user, channel=channel, request_key=key, response_url=url)
