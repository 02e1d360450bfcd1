"""Confirm / Cancel buttons: ack at once, then decide exactly once, then act.

A click is refused (ephemeral explanation, nothing changed) when the operation is unknown, from
another channel, already decided, expired, or the clicker may not confirm it. Otherwise the
store's atomic ``pending -> confirmed`` move picks one winner among double clicks, concurrent
clicks, retries and replicas; only the winner updates the message and calls SDRS.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Deps, replica_name
from bot.cloud_state import read_resize_state
from bot.core.errors import CloudError
from bot.core.intents import RenameDrillIntent, ResizeIntent
from bot.core.policy import may_cancel, may_confirm
from bot.core.preflight import changed_since, check_resize
from bot.store import OpState, OutboxMessage, PendingOperation
from bot.tracker import INSTANCE_JOB_PREFIX, RESIZE_BY_INSTANCE
from handlers import blocks, preflight_blocks
from handlers.slack_io import groups_of, slack_error, tell_user

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(blocks.CONFIRM_ACTION)
    async def confirm(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await clicked(deps, ack, client, body, OpState.CONFIRMED)

    @app.action(blocks.CANCEL_ACTION)
    async def cancel(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await clicked(deps, ack, client, body, OpState.CANCELLED)


async def clicked(
    deps: Deps, ack: AsyncAck, client: AsyncWebClient, body: dict[str, Any], to: OpState
) -> None:
    """Ack, then decide here - or, with worker processes, queue the click for them."""
    await ack()
    if deps.settings.worker_processes:
        action = (body.get("actions") or [{}])[0]
        user = (body.get("user") or {}).get("id", "")
        key = f"click:{action.get('action_ts')}:{user}:{action.get('value')}"
        payload = {"body": body, "to": to.value}
        deps.background.spawn(
            asyncio.to_thread(deps.store.put_inbox, "click", key, payload, deps.now()),
            name="inbox click",
        )
        return
    deps.background.spawn(on_click(deps, client, body, to), name=to.value)


async def on_click(deps: Deps, client: AsyncWebClient, body: dict[str, Any], to: OpState) -> None:
    user = str(body.get("user", {}).get("id", ""))
    channel = str(body.get("channel", {}).get("id", ""))
    actions = body.get("actions") or [{}]
    op_id = str(actions[0].get("value", ""))
    clicked_ts = str((body.get("container") or {}).get("message_ts") or "")
    op = await asyncio.to_thread(deps.store.get_pending, op_id)

    def count(outcome: str) -> None:
        deps.metrics.confirmations.labels(outcome).inc()

    if op is None:
        count("unknown")
        await tell_user(client, channel, user, blocks.unknown_operation_text())
        return
    if op.channel != channel:
        count("foreign")
        log.warning("click on %s from foreign channel %s by %s", op.id, channel, user)
        await tell_user(client, channel, user, blocks.foreign_operation_text())
        return
    if op.message_ts is None and clicked_ts:
        await asyncio.to_thread(deps.store.adopt_message_ts, op.id, clicked_ts)
        op = replace(op, message_ts=clicked_ts)
    if op.state is not OpState.PENDING:
        count("already-decided")
        await tell_user(client, channel, user, blocks.already_decided_text(op.state, op.decided_by))
        return
    now = deps.now()
    if now >= op.expires_at:
        count("too-late")
        await expire_sweep(deps, client)
        await tell_user(client, channel, user, blocks.already_decided_text("expired", None))
        return
    groups = (
        await groups_of(client, user, deps.policy.approver_groups)
        if deps.policy.approver_groups
        else set()
    )
    check = may_confirm if to is OpState.CONFIRMED else may_cancel
    decision = check(deps.policy, op.requester, user, groups)
    if not decision.allowed and decision.denial is not None:
        context = {"op_id": op.id, "user": user, "channel": channel, "outcome": "denied"}
        log.info("click on %s refused: %s", op.id, decision.denial, extra=context)
        count("denied")
        await tell_user(client, channel, user, blocks.denial_text(decision.denial))
        return
    if to is OpState.CONFIRMED and op.kind == "resize":
        if not await recheck_resize(deps, client, op, user):
            count("preflight-blocked")
            return
        now = deps.now()
    text = blocks.announce_text(to.value, summary=op.summary, channel=op.channel, actor=user)
    result = await asyncio.to_thread(
        deps.store.decide, op.id, to, user, now,
        owner=replica_name(deps.settings), exec_lease=execution_lease(deps),
        messages=deps.announce(to.value, op.id, text, skip=op.channel),
    )  # fmt: skip
    if not result.won or result.op is None:
        count("lost-race")
        after = result.op or op
        await tell_user(
            client, channel, user, blocks.already_decided_text(after.state, after.decided_by)
        )
        return
    count(to.value)
    context = {"op_id": op.id, "user": user, "channel": channel, "outcome": to.value}
    log.info("operation %s %s by %s", op.id, to.value, user, extra=context)
    outcome = (
        blocks.confirmed_text(user, now) if to is OpState.CONFIRMED else blocks.cancelled_text(user)
    )
    await update_message(client, result.op, outcome)
    if to is OpState.CONFIRMED:
        await execute(deps, result.op)


async def recheck_resize(
    deps: Deps, client: AsyncWebClient, op: PendingOperation, user: str
) -> bool:
    """Preflight again at Confirm: True when the resize may go ahead as shown. If the cloud now
    refuses it, the clicker is told and the confirmation stays open; if what it showed is out
    of date (another server or flavor), it is closed as stale. Nothing is sent either way."""
    intent = ResizeIntent.model_validate_json(op.intent_json)
    try:
        state = await read_resize_state(deps.sdrs, deps.ecs, intent)
    except CloudError as exc:
        await tell_user(client, op.channel, user, blocks.cloud_error_text(exc))
        return False
    check = check_resize(intent, state)
    if not check.allowed:
        log.info("confirm of %s refused by preflight: %s", op.id, check.detail)
        await asyncio.to_thread(
            deps.store.record_event, deps.now(), "confirm-refused", actor=user,
            channel=op.channel, op_id=op.id,
            detail={"refusal": str(check.refusal), "detail": check.detail},
        )  # fmt: skip
        await tell_user(client, op.channel, user, preflight_blocks.refused_at_confirm_text(check))
        return False
    shown: dict[str, str] = json.loads(op.checked_json) if op.checked_json else {}
    changed = changed_since(shown, check) if op.checked_json else []
    if not changed:
        return True
    text = blocks.announce_text(
        "cancelled", summary=op.summary, channel=op.channel, detail="closed: out of date"
    )
    result = await asyncio.to_thread(
        deps.store.decide, op.id, OpState.STALE, user, deps.now(),
        messages=deps.announce("cancelled", op.id, text, skip=op.channel),
    )  # fmt: skip
    if result.won and result.op is not None:
        log.info("operation %s is stale: %s changed since the request", op.id, changed)
        await update_message(client, result.op, preflight_blocks.changed_text(changed))
    else:
        after = result.op or op
        await tell_user(
            client, op.channel, user, blocks.already_decided_text(after.state, after.decided_by)
        )
    return False


async def update_message(client: AsyncWebClient, op: PendingOperation, outcome: str) -> None:
    if not op.message_ts:
        return
    try:
        await client.chat_update(
            channel=op.channel,
            ts=op.message_ts,
            text=outcome,
            blocks=blocks.outcome_blocks(op.summary, outcome),
        )
    except SlackApiError as exc:
        log.warning("could not update the message of %s: %s", op.id, slack_error(exc))


async def execute(deps: Deps, op: PendingOperation) -> None:
    """Call SDRS for a confirmed operation. What happened goes to the thread through the outbox,
    in the same transaction as the state it records (a tracked job, or an audit event)."""
    now = deps.now()
    thread = op.message_ts
    confirmed = blocks.confirmed_text(op.decided_by or op.requester, op.decided_at or now)

    def reply(key: str, text: str) -> OutboxMessage:
        return OutboxMessage(dedupe_key=key, channel=op.channel, thread_ts=thread, text=text)

    def announce(kind: str, job_id: str | None = None, detail: str = "") -> list[OutboxMessage]:
        text = blocks.announce_text(
            kind, summary=op.summary, channel=op.channel, actor=op.decided_by, job_id=job_id,
            detail=detail,
        )  # fmt: skip
        return deps.announce(kind, op.id, text, skip=op.channel)

    context = {"op_id": op.id, "user": op.decided_by, "channel": op.channel, "kind": op.kind}

    if op.kind == "resize":
        resize = ResizeIntent.model_validate_json(op.intent_json)
        params = resize.params()
        try:
            job_id = await deps.sdrs.resize_protected_instance(resize.instance_id, params)
        except CloudError as exc:
            log.warning("operation %s failed at SDRS: %s", op.id, exc,
                        extra={**context, "request_id": getattr(exc, "request_id", None),
                               "outcome": "submit-failed"})  # fmt: skip
            await asyncio.to_thread(
                deps.store.record_event, deps.now(), "submit-failed",
                messages=[reply(f"op:{op.id}:result", blocks.cloud_error_text(exc)),
                          *announce("failed", detail=_code_of(exc))],
                op_id=op.id, actor=op.decided_by, channel=op.channel,
                detail={"request": params.body(), "error": str(exc)},
            )  # fmt: skip
            return
        log.info("operation %s submitted: job %s", op.id, job_id,
                 extra={**context, "job_id": job_id, "outcome": "submitted"})  # fmt: skip
        now = deps.now()
        await asyncio.to_thread(
            deps.store.record_submission,
            job_id=job_id, op_id=op.id, kind="resize", subject=resize.instance_id,
            channel=op.channel, thread_ts=thread, requester=op.requester,
            confirmer=op.decided_by,
            detail={"sites": resize.site_flavors(), "summary": op.summary, "confirmed": confirmed},
            now=now, first_check_at=now + timedelta(seconds=deps.settings.job_poll_first_seconds),
            messages=[reply(f"job:{job_id}:submitted", blocks.submitted_text(job_id)),
                      *announce("submitted", job_id)],
            audit_detail={"request": params.body(), "job_id": job_id},
        )  # fmt: skip
        return
    rename = RenameDrillIntent.model_validate_json(op.intent_json)
    try:
        drill = await deps.sdrs.rename_drill(rename.drill_id, rename.name)
    except CloudError as exc:
        log.warning("operation %s failed at SDRS: %s", op.id, exc,
                    extra={**context, "request_id": getattr(exc, "request_id", None),
                           "outcome": "rename-failed"})  # fmt: skip
        text, action, detail = blocks.cloud_error_text(exc), "rename-failed", {"error": str(exc)}
        announced = announce("failed", detail=_code_of(exc))
    else:
        log.info("operation %s done: drill %s renamed", op.id, drill.id,
                 extra={**context, "outcome": "renamed"})  # fmt: skip
        text, action, detail = blocks.renamed_text(drill.name), "renamed", {"name": drill.name}
        announced = announce("finished", detail=f"renamed to `{blocks.escape(drill.name)}`")
    await asyncio.to_thread(
        deps.store.record_event, deps.now(), action,
        messages=[reply(f"op:{op.id}:result", text), *announced],
        op_id=op.id, actor=op.decided_by, channel=op.channel,
        detail={"drill_id": rename.drill_id, **detail},
    )  # fmt: skip


def _code_of(exc: CloudError) -> str:
    code = getattr(exc, "code", None)
    return f"*{code}*" if code else "no answer from SDRS"


def execution_lease(deps: Deps) -> float:
    """Long enough for every attempt of the SDRS call, with a margin (or as configured)."""
    settings = deps.settings
    if settings.execution_lease_seconds:
        return settings.execution_lease_seconds
    return (
        settings.http_max_attempts * (settings.http_read_timeout + settings.http_backoff_cap) + 30
    )


async def recover_interrupted(deps: Deps) -> int:
    """Finish confirmed operations whose replica died while executing them.

    A rename is simply sent again (PUT of the same name is idempotent). A resize is never sent
    again (that could resize twice). If its protected instance is ``resizing``, SDRS did get
    it: the job id is lost with the process, so the instance itself is followed to the end and
    reported like a job. Otherwise the thread is told the outcome is unknown and what to check.
    """
    ops = await asyncio.to_thread(
        deps.store.claim_interrupted, replica_name(deps.settings), deps.now(),
        execution_lease(deps),
    )  # fmt: skip
    for op in ops:
        log.warning("operation %s was interrupted while executing; recovering", op.id)
        if op.kind == "rename_drill":
            await execute(deps, op)
            continue
        resize = ResizeIntent.model_validate_json(op.intent_json)
        if await _follow_instance_if_resizing(deps, op, resize):
            continue
        text = blocks.interrupted_resize_text(resize.instance_id)
        message = OutboxMessage(
            dedupe_key=f"op:{op.id}:result", channel=op.channel, thread_ts=op.message_ts, text=text
        )
        note = blocks.announce_text(
            "failed", summary=op.summary, channel=op.channel, actor=op.decided_by,
            detail="outcome unknown (interrupted)",
        )  # fmt: skip
        announced = deps.announce("failed", op.id, note, skip=op.channel)
        await asyncio.to_thread(
            deps.store.record_event, deps.now(), "interrupted", messages=[message, *announced],
            op_id=op.id, channel=op.channel, detail={"instance": resize.instance_id},
        )  # fmt: skip
    return len(ops)


async def _follow_instance_if_resizing(
    deps: Deps, op: PendingOperation, resize: ResizeIntent
) -> bool:
    try:
        instance = await deps.sdrs.get_protected_instance(resize.instance_id)
    except CloudError as exc:
        log.warning("operation %s: cannot read instance %s: %s", op.id, resize.instance_id, exc)
        return False
    if instance.status != "resizing":
        return False
    now = deps.now()
    confirmed = blocks.confirmed_text(op.decided_by or op.requester, op.decided_at or now)
    text = blocks.interrupted_but_received_text(resize.instance_id)
    await asyncio.to_thread(
        deps.store.record_submission,
        job_id=f"{INSTANCE_JOB_PREFIX}{resize.instance_id}:{op.id}", op_id=op.id,
        kind=RESIZE_BY_INSTANCE, subject=resize.instance_id, channel=op.channel,
        thread_ts=op.message_ts, requester=op.requester, confirmer=op.decided_by,
        detail={"sites": resize.site_flavors(), "summary": op.summary, "confirmed": confirmed},
        now=now, first_check_at=now + timedelta(seconds=deps.settings.job_poll_first_seconds),
        messages=[OutboxMessage(dedupe_key=f"op:{op.id}:result", channel=op.channel,
                                thread_ts=op.message_ts, text=text)],
        audit_detail={"recovered": "instance is resizing; job id unknown"},
    )  # fmt: skip
    return True


async def expire_sweep(deps: Deps, client: AsyncWebClient) -> list[str]:
    """Expire every overdue confirmation and replace its buttons with "Expired"."""

    def announce(op: PendingOperation) -> list[OutboxMessage]:
        text = blocks.announce_text("expired", summary=op.summary, channel=op.channel)
        return deps.announce("expired", op.id, text, skip=op.channel)

    expired = await asyncio.to_thread(deps.store.expire_due, deps.now(), announce)
    if expired:
        deps.metrics.confirmations.labels("expired").inc(len(expired))
    for op_id in expired:
        op = await asyncio.to_thread(deps.store.get_pending, op_id)
        if op is not None:
            await update_message(client, op, blocks.expired_text())
    return expired
