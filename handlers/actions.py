"""Confirm / Cancel buttons: ack at once, read the click once, then let the operation decide
(:func:`bot.operations.decide.on_click`) - here, or through the inbox in a worker process."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.states import OpState
from bot.operations.decide import Click, on_click
from bot.operations.deps import Deps
from handlers import blocks
from handlers.inbox import queue_click
from handlers.slack_chat import SlackChat


def click_of(
    action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, to: OpState
) -> Click:
    """The click as the operation needs it, from Bolt's listener arguments."""
    container = body.get("container") or {}
    return Click(
        user=str(context.user_id or ""), channel=str(context.channel_id or ""),
        op_id=str(action.get("value") or ""), message_ts=str(container.get("message_ts") or ""),
        to=to,
    )  # fmt: skip


def register(app: AsyncApp, deps: Deps) -> None:
    async def clicked(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext,
        client: AsyncWebClient, to: OpState,
    ) -> None:  # fmt: skip
        await ack()
        click = click_of(action, body, context, to)
        if deps.settings.worker_processes:
            queue_click(deps, click, action_ts=str(action.get("action_ts") or ""))
            return
        deps.background.spawn(on_click(deps, SlackChat(client), click), name=to.value)

    @app.action(blocks.CONFIRM_ACTION)
    async def confirm(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:  # fmt: skip
        await clicked(ack, action, body, context, client, OpState.CONFIRMED)

    @app.action(blocks.CANCEL_ACTION)
    async def cancel(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:  # fmt: skip
        await clicked(ack, action, body, context, client, OpState.CANCELLED)
