"""The ``/sdrs`` slash command: ack at once, then answer.

Parse errors and help are answered in the ack itself (ephemeral, no extra call); forms open
right after it. Anything else is acked empty and handed to an operation
(:mod:`bot.operations`) - in this process, or through the inbox to a worker process.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import ParseError
from bot.core.intents import (
    HelpIntent,
    HistoryIntent,
    JobsIntent,
    LanguageIntent,
    RenameDrillIntent,
    RenameFormIntent,
    ResizeFormIntent,
    ResizeIntent,
    StatusIntent,
    parse,
)
from bot.core.states import InboxKind
from bot.operations.deps import Deps
from bot.store import StoreUnavailable
from handlers import forms
from handlers.i18n import speaking
from handlers.inbox import CommandWork, accept, command_item, run_here
from handlers.messages.errors import parse_error_blocks, parse_problem_text, store_unavailable_text
from handlers.messages.help import help_blocks
from handlers.messages.language import auto_text, chosen_text, current_text
from handlers.messages.text import escape
from handlers.people import choose, language_of

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command("/sdrs")
    async def sdrs_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        try:
            intent = parse(str(command.get("text", "")))
        except ParseError as exc:
            deps.metrics.commands.labels("unknown", "parse-error", "").inc()
            await ack(
                response_type="ephemeral",
                text=escape(parse_problem_text(exc)),
                blocks=parse_error_blocks(exc),
            )
            return
        if not isinstance(intent, ResizeIntent | RenameDrillIntent):
            deps.metrics.commands.labels(intent.kind, "answered", "").inc()
        match intent:
            case HelpIntent():
                await ack(
                    response_type="ephemeral",
                    text="sdrs-bot help",
                    blocks=help_blocks(intent.topic),
                )
            case LanguageIntent():
                await ack(
                    response_type="ephemeral", text=await _language(deps, client, intent, command)
                )
            case ResizeFormIntent() | RenameFormIntent():
                await ack()
                forms.open_form(deps, client, command, intent)
            case (
                ResizeIntent()
                | RenameDrillIntent()
                | StatusIntent()
                | JobsIntent()
                | HistoryIntent()
            ):
                work = CommandWork(
                    intent=intent,
                    user=str(command["user_id"]),
                    channel=str(command["channel_id"]),
                    request_key=str(command.get("trigger_id") or "") or None,
                    response_url=str(command.get("response_url") or ""),
                )
                # durable before the ack: an acked command is answered even after a crash
                try:
                    item = await accept(deps, InboxKind.COMMAND, command_item(work))
                except StoreUnavailable as exc:  # answered at once: nothing was done
                    log.warning("command not taken, the database is unavailable: %s", exc.reason)
                    deps.metrics.commands.labels(intent.kind, "store-unavailable", "").inc()
                    await ack(response_type="ephemeral", text=store_unavailable_text())
                    return
                await ack()
                if item is not None and not deps.settings.worker_processes:
                    run_here(deps, client, item, respond)


async def _language(
    deps: Deps, client: AsyncWebClient, intent: LanguageIntent, command: dict[str, Any]
) -> str:
    """``/sdrs lang ...``, answered in the ack, in the person's language after it."""
    user = str(command["user_id"])
    if intent.language is None and not intent.auto:
        return current_text(await language_of(deps.store, client, user))
    try:
        await choose(deps.store, user, intent.language, deps.now())
    except StoreUnavailable as exc:
        log.warning("language not kept, the database is unavailable: %s", exc.reason)
        return store_unavailable_text()
    if intent.language is not None:
        with speaking(intent.language):
            return chosen_text(intent.language)
    person = await language_of(deps.store, client, user)
    with speaking(person.language):
        return auto_text(person)
