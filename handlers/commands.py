"""The ``/sdrs`` slash command: ack at once, then answer.

Parse errors and help are answered in the ack itself (ephemeral, no extra call). A valid intent
is acked empty, then checked against the policy, and posted in the channel as a confirmation
message whose buttons carry only an opaque operation id; the intent stays in the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Deps
from bot.cloud_state import read_resize_state
from bot.core.errors import CloudError, ParseError
from bot.core.intents import (
    HelpIntent,
    HistoryIntent,
    JobsIntent,
    RenameDrillIntent,
    RenameFormIntent,
    ResizeFormIntent,
    ResizeIntent,
    StatusIntent,
    parse,
)
from bot.core.policy import may_request
from bot.core.preflight import check_resize
from bot.store import OpState
from handlers import blocks, preflight_blocks
from handlers.slack_io import groups_of, slack_error

log = logging.getLogger(__name__)


# what a worker process answers when WORKER_PROCESSES is set (help, errors, forms: in the ack)
WORKER_INTENTS = StatusIntent | JobsIntent | HistoryIntent | ResizeIntent | RenameDrillIntent


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command("/sdrs")
    async def sdrs_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        try:
            intent = parse(str(command.get("text", "")))
        except ParseError as exc:
            deps.metrics.commands.labels("unknown", "parse-error").inc()
            await ack(
                response_type="ephemeral", text=exc.problem, blocks=blocks.parse_error_blocks(exc)
            )
            return
        if not isinstance(intent, ResizeIntent | RenameDrillIntent):
            deps.metrics.commands.labels(intent.kind, "answered").inc()
        if deps.settings.worker_processes and isinstance(intent, WORKER_INTENTS):
            # a worker process does the rest (bot.worker); the inbox row is written right
            # after the ack, off the ack's path (the serving process's database writes would
            # otherwise wait on the workers' under load)
            await ack()
            key = f"command:{command.get('trigger_id') or command.get('response_url')}"
            deps.background.spawn(
                asyncio.to_thread(deps.store.put_inbox, "command", key, dict(command), deps.now()),
                name="inbox command",
            )
            return
        if isinstance(intent, StatusIntent | JobsIntent | HistoryIntent):
            await ack()
            work = answer_status(deps, respond, intent, str(command["channel_id"]))
            deps.background.spawn(work, name="status")
            return
        if isinstance(intent, ResizeFormIntent | RenameFormIntent):
            await ack()
            open_form(deps, client, command, intent)
            return
        if isinstance(intent, HelpIntent):
            await ack(
                response_type="ephemeral",
                text="sdrs-bot help",
                blocks=blocks.help_blocks(intent.topic),
            )
            return
        await ack()
        work = request_confirmation(
            deps,
            client,
            responder(respond),
            intent,
            user=str(command["user_id"]),
            channel=str(command["channel_id"]),
            request_key=str(command.get("trigger_id") or "") or None,
        )
        deps.background.spawn(work, name=f"request {intent.kind} by {command['user_id']}")


Tell = Callable[[str], Awaitable[None]]


def open_form(
    deps: Deps,
    client: AsyncWebClient,
    command: dict[str, Any],
    intent: ResizeFormIntent | RenameFormIntent,
) -> None:
    """Open the modal right after the ack (the trigger id is only valid for 3 seconds)."""
    from handlers import forms, modals

    trigger, channel = str(command.get("trigger_id", "")), str(command["channel_id"])
    if isinstance(intent, ResizeFormIntent):
        work = forms.open_view(client, trigger, modals.resize_view(channel))
    else:
        work = forms.open_rename_form(deps, client, trigger, channel, intent)
    deps.background.spawn(work, name=f"open {intent.kind}")


def responder(respond: AsyncRespond) -> Tell:
    async def tell(text: str) -> None:
        await respond(response_type="ephemeral", text=text)

    return tell


async def request_confirmation(
    deps: Deps,
    client: AsyncWebClient,
    tell: Tell,
    intent: ResizeIntent | RenameDrillIntent,
    *,
    user: str,
    channel: str,
    request_key: str | None,
) -> None:
    """Policy, then preflight (read the real state; refuse before anything is posted), then the
    confirmation message. ``tell`` answers the requester privately."""

    def count(outcome: str) -> None:
        deps.metrics.commands.labels(intent.kind, outcome).inc()

    rule = deps.policy.requests.get(intent.kind)
    groups = await groups_of(client, user, rule.usergroups) if rule and rule.usergroups else set()
    decision = may_request(deps.policy, intent.kind, user, groups, channel)
    if not decision.allowed and decision.denial is not None:
        log.info("request denied: %s (%s)", intent.kind, decision.denial,
                 extra={"user": user, "channel": channel, "kind": intent.kind,
                        "outcome": "denied"})  # fmt: skip
        count("denied")
        await tell(blocks.denial_text(decision.denial))
        return

    checked: str | None = None
    try:
        if isinstance(intent, RenameDrillIntent):
            drill = await deps.sdrs.get_drill(intent.drill_id)
            if drill.name == intent.name:
                count("same-name")
                await tell(blocks.same_name_text(drill.name))
                return
            group = await _group_name(deps, drill.server_group_id)
            summary = blocks.describe_rename(intent, drill.name, group)
        else:
            state = await read_resize_state(deps.sdrs, deps.ecs, intent)
            check = check_resize(intent, state)
            if not check.allowed:
                log.info("resize of %s refused by preflight: %s (%s)",
                         intent.instance_id, check.refusal, check.detail,
                         extra={"user": user, "channel": channel, "kind": intent.kind,
                                "outcome": "preflight-refused"})  # fmt: skip
                count("preflight-refused")
                await asyncio.to_thread(
                    deps.store.record_event, deps.now(), "preflight-refused", actor=user,
                    channel=channel,
                    detail={"intent": intent.model_dump(exclude_none=True),
                            "refusal": str(check.refusal), "detail": check.detail},
                )  # fmt: skip
                await tell(preflight_blocks.refused_request_text(check))
                return
            summary = preflight_blocks.describe_resize(intent, check, state.catalogue())
            checked = json.dumps(check.snapshot(), sort_keys=True)
    except CloudError as exc:
        count("cloud-error")
        await tell(blocks.cloud_error_text(exc))
        return

    now = deps.now()
    expires_at = now + timedelta(seconds=deps.settings.confirmation_ttl_seconds)
    op, created = await asyncio.to_thread(
        deps.store.create_pending,
        kind=intent.kind,
        intent_json=intent.model_dump_json(),
        summary=summary,
        requester=user,
        channel=channel,
        now=now,
        expires_at=expires_at,
        request_key=request_key,
        checked_json=checked,
    )
    if not created:
        log.info("command %s delivered again; operation %s already exists", request_key, op.id)
        count("duplicate")
        return
    try:
        posted = await client.chat_postMessage(
            channel=channel,
            text=blocks.fallback_text(summary),
            blocks=blocks.confirmation_blocks(
                op_id=op.id,
                summary=summary,
                requester=user,
                expires_at=expires_at,
                two_person=deps.policy.approval_mode == "two-person",
            ),
        )
    except Exception as exc:  # noqa: BLE001 - Slack refused, or the network failed
        error = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("confirmation for %s not posted in %s: %s", op.id, channel, error)
        # A confirmation that may exist without us knowing must not be confirmable.
        await asyncio.to_thread(deps.store.decide, op.id, OpState.CANCELLED, user, deps.now())
        count("not-posted")
        await tell(blocks.not_posted_text(error))
        return
    text = blocks.announce_text("requested", summary=summary, channel=channel, actor=user)
    await asyncio.to_thread(
        deps.store.set_message_ts, op.id, str(posted["ts"]),
        messages=deps.announce("requested", op.id, text, skip=channel), now=deps.now(),
    )  # fmt: skip
    count("confirmation-posted")
    context = {"op_id": op.id, "user": user, "channel": channel, "kind": intent.kind}
    log.info("operation %s requested: %s", op.id, intent.kind, extra=context)


async def _group_name(deps: Deps, group_id: str | None) -> str | None:
    """The protection group's name for a drill's confirmation (its id if it cannot be read)."""
    if not group_id:
        return None
    try:
        return (await deps.sdrs.get_protection_group(group_id)).name or group_id
    except CloudError as exc:
        log.warning("protection group %s not read: %s", group_id, exc)
        return group_id


async def answer_status(
    deps: Deps,
    respond: AsyncRespond,
    intent: StatusIntent | JobsIntent | HistoryIntent,
    channel: str,
) -> None:
    now = deps.now()
    if isinstance(intent, HistoryIntent):
        entries = await asyncio.to_thread(deps.store.history, channel, intent.limit)
        text = blocks.history_text(entries)
    elif isinstance(intent, StatusIntent):
        job = await asyncio.to_thread(deps.store.get_tracked, intent.job_id)
        if job is None:
            text = blocks.unknown_job_text(intent.job_id)
        else:
            age = (now - job.submitted_at).total_seconds()
            text = blocks.status_text(job.job_id, job.state, job.last_status, age)
    else:
        jobs = await asyncio.to_thread(deps.store.list_tracked, channel)
        text = blocks.jobs_text(
            [
                blocks.status_text(
                    j.job_id, j.state, j.last_status, (now - j.submitted_at).total_seconds()
                )  # fmt: skip
                for j in jobs
            ]
        )
    await respond(response_type="ephemeral", text=text)
