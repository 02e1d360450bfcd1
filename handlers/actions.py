"""Confirm / Cancel buttons: ack at once, read the click once, then let the operation decide
(:func:`bot.operations.decide.on_click`) - here, or through the inbox in a worker process."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.states import InboxKind, OpState
from bot.operations.decide import Click
from bot.operations.deps import Deps
from bot.store import StoreUnavailable
from handlers.inbox import accept, click_item, run_here
from handlers.messages.confirmation import CANCEL_ACTION, CONFIRM_ACTION
from handlers.messages.errors import store_unavailable_text
from handlers.slack_io import tell_user

log = logging.getLogger(__name__)


def click_of(
    action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, to: OpState
) -> Click:
    """The click as the operation needs it, from Bolt's listener arguments."""
    container = body.get("container") or {}
    return Click(
        user=str(context.user_id or ""),
        channel=str(context.channel_id or ""),
        op_id=str(action.get("value") or ""),
        message_ts=str(container.get("message_ts") or ""),
        to=to,
    )


def register(app: AsyncApp, deps: Deps) -> None:
    async def clicked(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        to: OpState,
    ) -> None:
        click = click_of(action, body, context, to)
        # durable before the ack: an acked click is decided even after a crash
        try:
            item = await accept(
                deps, InboxKind.CLICK, click_item(click, str(action.get("action_ts") or ""))
            )
        except StoreUnavailable as exc:  # told at once: nothing was decided
            log.warning("click not taken, the database is unavailable: %s", exc.reason)
            await ack()
            await tell_user(client, click.channel, click.user, store_unavailable_text())
            return
        await ack()
        if item is not None and not deps.settings.worker_processes:
            run_here(deps, client, item, None)

    @app.action(CONFIRM_ACTION)
    async def confirm(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await clicked(ack, action, body, context, client, OpState.CONFIRMED)

    @app.action(CANCEL_ACTION)
    async def cancel(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await clicked(ack, action, body, context, client, OpState.CANCELLED)
