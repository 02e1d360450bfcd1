"""Confirm / Cancel: decide exactly once, then act.

A click is refused (a private explanation, nothing changed) when the operation is unknown,
from another channel, already decided, expired, or the clicker may not decide it. Otherwise
the store's atomic ``pending -> confirmed`` move picks one winner among double clicks,
concurrent clicks, retries and replicas; only the winner's message edit (queued in the outbox
with the decision) and SDRS call happen.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace

from bot.core import notices
from bot.core.errors import CloudError
from bot.core.facts import Announcement, FailureFacts, RenameFacts, ScheduleFacts
from bot.core.intents import RenameDrillIntent, ResizeIntent, command_text
from bot.core.policy import Denial, may_cancel, may_confirm
from bot.core.preflight import changed_since, check_resize
from bot.core.records import PendingOperation
from bot.core.states import AuditAction, EventKind, OpKind, OpState
from bot.core.windows import Window
from bot.huaweicloud.reads import read_resize_state
from bot.operations import schedule
from bot.operations.chat import Chat
from bot.operations.deps import Deps
from bot.operations.execute import execute
from bot.operations.expire import expire_sweep
from bot.operations.messages import decided_update

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """A Confirm or Cancel click, as read once from the chat payload."""

    user: str
    channel: str
    op_id: str
    message_ts: str  # the confirmation message the button was on
    to: OpState  # CONFIRMED or CANCELLED


async def on_click(deps: Deps, chat: Chat, click: Click) -> None:
    user, channel, to = click.user, click.channel, click.to
    op = await asyncio.to_thread(deps.store.get_pending, click.op_id)

    def count(outcome: str) -> None:
        account = deps.fleet.resolve(op.account) if op is not None else ""
        deps.metrics.confirmations.labels(outcome, account).inc()

    if op is None:
        count("unknown")
        await chat.tell(channel, user, notices.UnknownOperation())
        return
    if op.channel != channel:
        count("foreign")
        log.warning("click on %s from foreign channel %s by %s", op.id, channel, user)
        await chat.tell(channel, user, notices.ForeignOperation())
        return
    if op.message_ts is None and click.message_ts:
        await asyncio.to_thread(deps.store.adopt_message_ts, op.id, click.message_ts)
        op = replace(op, message_ts=click.message_ts)
    if op.state is OpState.CONFIRMED and to is OpState.CANCELLED:
        # a scheduled operation: its Cancel button stays until it starts
        if await schedule.cancel(deps, chat, op, user):
            count("schedule-cancel")
            return
    if op.state is OpState.WITHDRAWN:
        count("withdrawn")
        if op.message_ts is not None:  # the click found the message: its buttons go
            edit = decided_update(op)
            if await asyncio.to_thread(deps.store.enqueue, edit, deps.now()):
                deps.kick()
        await chat.tell(channel, user, notices.AlreadyDecided(op.state, None))
        return
    if op.state is not OpState.PENDING:
        count("already-decided")
        await chat.tell(channel, user, notices.AlreadyDecided(op.state, op.decided_by))
        return
    now = deps.now()
    if now >= op.expires_at:
        count("too-late")
        await expire_sweep(deps)
        await chat.tell(channel, user, notices.AlreadyDecided(OpState.EXPIRED, None))
        return
    policy = deps.bindings.policy_for(op.channel, deps.fleet.resolve(op.account))
    if policy is None:  # the channel's binding to this account was removed since
        count("denied")
        await chat.tell(channel, user, notices.Denied(Denial.CHANNEL))
        return
    groups = (
        await chat.member_groups(user, policy.approver_groups) if policy.approver_groups else set()
    )
    check = may_confirm if to is OpState.CONFIRMED else may_cancel
    decision = check(policy, op.requester, user, groups)
    if not decision.allowed and decision.denial is not None:
        context = {"op_id": op.id, "user": user, "channel": channel, "outcome": "denied"}
        log.info("click on %s refused: %s", op.id, decision.denial, extra=context)
        count("denied")
        await chat.tell(channel, user, notices.Denied(decision.denial))
        return
    planned: tuple[Window, ScheduleFacts] | None = None
    if to is OpState.CONFIRMED:
        recheck = recheck_resize if op.kind is OpKind.RESIZE else recheck_rename
        if not await recheck(deps, chat, op, user):
            count("preflight-blocked")
            return
        now = deps.now()
        intent = op.intent
        if isinstance(intent, ResizeIntent) and intent.schedule is not None:
            found = schedule.plan(deps, op.account, intent.schedule, now, stops=intent.stop_start)
            if not isinstance(found, tuple):  # e.g. the window was removed since the request
                count("not-schedulable")
                await chat.tell(channel, user, found)
                return
            window, facts = found
            planned = window, facts.model_copy(update={"op_id": op.id})
    # the edit that replaces the buttons is queued with the decision (only the winner's)
    after = replace(op, state=to, decided_by=user, decided_at=now)
    edit = decided_update(after, schedule=planned[1]) if planned else decided_update(after)
    event = EventKind(to.value)
    result = await asyncio.to_thread(
        deps.store.decide,
        op.id,
        to,
        user,
        now,
        owner=deps.owner,
        exec_lease=deps.execution_lease(),
        schedule=schedule.entry(op, *planned) if planned else None,
        messages=[
            edit,
            *deps.announce(
                op.id,
                Announcement(
                    event=event,
                    op=op.facts,
                    channel=op.channel,
                    actor=user,
                    thread_ts=op.message_ts,
                ),
                skip=op.channel,
            ),
        ],
    )
    if not result.won or result.op is None:
        count("lost-race")
        now_op = result.op or op
        await chat.tell(channel, user, notices.AlreadyDecided(now_op.state, now_op.decided_by))
        return
    deps.kick()
    count(to.value)
    context = {"op_id": op.id, "user": user, "channel": channel, "outcome": to.value}
    log.info("operation %s %s by %s", op.id, to.value, user, extra=context)
    if to is OpState.CONFIRMED and planned is None:
        await execute(deps, result.op)


async def recheck_resize(deps: Deps, chat: Chat, op: PendingOperation, user: str) -> bool:
    """Preflight again at Confirm: True when the resize may go ahead as shown. If the cloud now
    refuses it, the clicker is told and the confirmation stays open; if what it showed is out
    of date (another server or flavor), it is closed as stale. Nothing is sent either way."""
    intent = op.intent
    assert isinstance(intent, ResizeIntent)
    try:
        cloud = deps.cloud(op.account)
        state = await read_resize_state(cloud.sdrs, cloud.ecs, intent, deh=cloud.deh)
    except CloudError as exc:
        failed = notices.CloudFailed(FailureFacts.of(exc), command_text(intent), at="confirm")
        await chat.tell(op.channel, user, failed)
        return False
    # a stop-start resize stops running servers itself: ACTIVE does not block it
    check = check_resize(intent, state)  # running servers allowed for power=stop-start
    if not check.allowed:
        log.info("confirm of %s refused by preflight: %s", op.id, check.detail)
        await asyncio.to_thread(
            deps.store.record_event,
            deps.now(),
            AuditAction.CONFIRM_REFUSED,
            actor=user,
            channel=op.channel,
            op_id=op.id,
            detail={"refusal": str(check.refusal), "detail": check.detail},
        )
        await chat.tell(op.channel, user, notices.PreflightRefused(check, at_confirm=True))
        return False
    shown: dict[str, str] = json.loads(op.checked_json) if op.checked_json else {}
    changed = changed_since(shown, check) if op.checked_json else []
    if not changed:
        return True
    await close_as_stale(deps, chat, op, user, changed_sites=changed)
    return False


async def recheck_rename(deps: Deps, chat: Chat, op: PendingOperation, user: str) -> bool:
    """At Confirm: the drill still has the name the confirmation showed. If another rename
    (or the console) changed it meanwhile, "from" is wrong: closed as stale, nothing sent."""
    facts = op.facts
    if not isinstance(facts, RenameFacts) or facts.current_name is None:
        return True  # nothing shown to compare with
    try:
        drill = await deps.cloud(op.account).sdrs.get_drill(facts.drill_id)
    except CloudError as exc:
        command = command_text(op.intent) if isinstance(op.intent, RenameDrillIntent) else ""
        failed = notices.CloudFailed(FailureFacts.of(exc), command, at="confirm")
        await chat.tell(op.channel, user, failed)
        return False
    if drill.name == facts.current_name:
        return True
    log.info("operation %s is stale: the drill is named %r now", op.id, drill.name)
    await close_as_stale(deps, chat, op, user, renamed_since=drill.name)
    return False


async def close_as_stale(
    deps: Deps, chat: Chat, op: PendingOperation, user: str, **changed: object
) -> None:
    """What the confirmation shows is out of date: close it (nothing is sent to SDRS)."""
    now = deps.now()
    stale = replace(op, state=OpState.STALE, decided_by=user, decided_at=now)
    announced = Announcement(
        event=EventKind.CANCELLED,
        op=op.facts,
        channel=op.channel,
        out_of_date=True,
        thread_ts=op.message_ts,
    )
    result = await asyncio.to_thread(
        deps.store.decide,
        op.id,
        OpState.STALE,
        user,
        now,
        messages=[
            decided_update(stale, **changed),
            *deps.announce(op.id, announced, skip=op.channel),
        ],
    )
    if result.won and result.op is not None:
        log.info("operation %s closed as out of date: %s", op.id, changed)
        deps.kick()
    else:
        after = result.op or op
        await chat.tell(op.channel, user, notices.AlreadyDecided(after.state, after.decided_by))
