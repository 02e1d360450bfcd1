"""Scheduled resizes: planned at the request, approved at Confirm, started in their window.

* :func:`plan` - the window occurrence an operation would run in (named windows: this
  account's, else MAINTENANCE_WINDOWS; ``when=``: a one-off window), or why it cannot.
* :func:`schedule_tick` - driven by the scheduler of every replica: claims due scheduled
  operations (leased, so one replica looks at each), re-runs the preflight and applies
  :func:`bot.core.windows.decide_start`. Run: the row is marked started together with the
  operation's execution lease (one conditional UPDATE: exactly one replica starts it), then
  :func:`bot.operations.execute.execute` sends it; a crash in between is an interrupted
  execution (:func:`bot.operations.execute.recover_interrupted`: never sent twice). Not
  started: the row and the thread report (and, if it moves, the confirmation's new time) are
  written in one transaction, each message under a key of its window, so never twice.
* :func:`cancel` - the requester or an approver, until it starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from bot.core import notices
from bot.core.errors import CloudError
from bot.core.facts import Announcement, NotStarted, ResizeFacts, ScheduleFacts, WordingFacts
from bot.core.intents import ResizeIntent, Schedule
from bot.core.policy import Denial, may_cancel
from bot.core.preflight import changed_since, check_resize, refusal_wording
from bot.core.records import OutboxMessage, PendingOperation, ScheduledOperation
from bot.core.states import EventKind, ScheduleState
from bot.core.windows import (
    Action,
    Window,
    WindowError,
    decide_start,
    one_off,
    one_off_too_short,
)
from bot.huaweicloud.reads import read_resize_state
from bot.operations.chat import Chat
from bot.operations.deps import Deps
from bot.operations.execute import execute
from bot.operations.messages import decided_update, end_state, thread_reply

log = logging.getLogger(__name__)


def plan(
    deps: Deps, account: str, schedule: Schedule, now: datetime, *, stops: bool
) -> tuple[Window, ScheduleFacts] | notices.Notice:
    """The occurrence it would run in: the current one if enough of it is left for the
    estimate, else the next that is long enough."""
    estimate = deps.estimated_seconds(stops)
    moves = schedule.if_missed == "next"
    try:
        if schedule.window:
            windows = deps.windows(account)
            spec = windows.get(schedule.window)
            if spec is None:
                return notices.UnknownWindow(schedule.window, tuple(sorted(windows)))
            window = spec.first_fitting(now, estimate)
            facts = ScheduleFacts(
                window=schedule.window,
                spec=spec.describe(),
                starts_at=window.start,
                ends_at=window.end,
                moves_on_miss=moves,
            )
            return window, facts
        assert schedule.when is not None
        window = one_off(schedule.when, now, deps.settings.one_off_window_seconds)
    except WindowError as exc:
        return notices.CannotSchedule(exc.wording)
    if window.seconds < estimate:
        return notices.CannotSchedule(one_off_too_short(window, estimate))
    return window, ScheduleFacts(starts_at=window.start, ends_at=window.end)


def entry(op: PendingOperation, window: Window, facts: ScheduleFacts) -> ScheduledOperation:
    return ScheduledOperation(
        op_id=op.id,
        account=op.account,
        channel=op.channel,
        window=facts.window,
        starts_at=window.start,
        ends_at=window.end,
        moves_on_miss=facts.moves_on_miss,
        state=ScheduleState.SCHEDULED,
        created_at=window.start,
    )


def _facts(op: PendingOperation, row: ScheduledOperation, **more: object) -> ScheduleFacts:
    planned = op.facts.schedule if isinstance(op.facts, ResizeFacts) else None
    return ScheduleFacts.model_validate(
        {
            "op_id": op.id,
            "window": row.window,
            "spec": planned.spec if planned else "",
            "starts_at": row.starts_at,
            "ends_at": row.ends_at,
            "moves_on_miss": row.moves_on_miss,
            **more,
        }
    )


async def schedule_tick(deps: Deps) -> int:
    """Look at every scheduled operation whose window has begun; how many were looked at."""
    rows = await asyncio.to_thread(
        deps.store.claim_scheduled,
        deps.owner,
        deps.now(),
        lease_seconds=deps.settings.lease_seconds,
    )
    for row in rows:
        try:
            await _one(deps, row)
        except CloudError as exc:  # the cloud could not be read: try again at the next tick
            log.warning("scheduled operation %s: cloud not readable: %s", row.op_id, exc)
            await asyncio.to_thread(deps.store.release_scheduled, row.op_id, deps.owner)
    return len(rows)


async def _one(deps: Deps, row: ScheduledOperation) -> None:
    op = await asyncio.to_thread(deps.store.get_pending, row.op_id)
    if op is None or not isinstance(op.intent, ResizeIntent):  # pragma: no cover - never stored
        return
    intent = op.intent
    stops = intent.stop_start
    estimate = deps.estimated_seconds(stops)
    window = Window(row.starts_at, row.ends_at)
    now = deps.now()
    decision = decide_start(now, window, estimate)
    detail = ""
    detail_wording: WordingFacts | None = None
    if decision.action is Action.CHECK:
        cloud = deps.cloud(op.account)
        state = await read_resize_state(cloud.sdrs, cloud.ecs, intent, deh=cloud.deh)
        check = check_resize(intent, state, will_stop=stops)
        shown: dict[str, str] = json.loads(op.checked_json) if op.checked_json else {}
        changed = bool(check.allowed and op.checked_json and changed_since(shown, check))
        if not check.allowed:
            said = refusal_wording(check)
            detail, detail_wording = said.english(), WordingFacts.of(said)
        now = deps.now()
        decision = decide_start(now, window, estimate, preflight_ok=check.allowed, changed=changed)
    if decision.action is Action.WAIT:
        await asyncio.to_thread(deps.store.release_scheduled, row.op_id, deps.owner)
        return
    if decision.action is Action.RUN:
        started = await asyncio.to_thread(
            deps.store.start_scheduled,
            row.op_id,
            deps.owner,
            now,
            exec_lease=deps.execution_lease(),
        )
        if started:
            log.info(
                "scheduled operation %s started in its window",
                op.id,
                extra={"op_id": op.id, "outcome": "scheduled-start"},
            )
            await execute(deps, op)
        return
    assert decision.reason is not None
    moved: Window | None = None
    if row.moves_on_miss:
        moved = _next_window(deps, op, row, now, estimate)
    report = NotStarted(
        requester=op.requester,
        window=row.window,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=decision.reason.value,
        detail=detail,
        detail_wording=detail_wording,
        estimate_seconds=estimate,
        next_starts_at=moved.start if moved else None,
        next_ends_at=moved.end if moved else None,
    )
    key = f"op:{op.id}:not-started:{int(row.starts_at.timestamp())}"
    messages: list[OutboxMessage] = [thread_reply(op, key, report)]
    if moved is not None:
        again = ScheduledOperation(
            **{**row.__dict__, "starts_at": moved.start, "ends_at": moved.end}
        )
        edit = decided_update(op, schedule=_facts(op, again))
        messages.append(
            OutboxMessage(
                dedupe_key=f"op:{op.id}:scheduled:{int(moved.start.timestamp())}",
                channel=edit.channel,
                ts=edit.ts,
                content=edit.content,
            )
        )
    else:
        messages.append(
            end_state(
                op, schedule=_facts(op, row, state="not-started", reason=decision.reason.value)
            )
        )
        messages += deps.announce(
            op.id,
            Announcement(
                event=EventKind.FAILED, op=op.facts, channel=op.channel, thread_ts=op.message_ts
            ),
            skip=op.channel,
        )
    done = await asyncio.to_thread(
        deps.store.not_started,
        row.op_id,
        deps.owner,
        now,
        reason=decision.reason.value,
        moved_to=(moved.start, moved.end) if moved else None,
        messages=messages,
        detail={"preflight": detail} if detail else None,
    )
    if done:
        log.info(
            "scheduled operation %s not started: %s%s",
            op.id,
            decision.reason,
            f" (moved to {moved.start.isoformat()})" if moved else "",
            extra={"op_id": op.id, "outcome": "not-started"},
        )
        deps.kick()


def _next_window(
    deps: Deps, op: PendingOperation, row: ScheduledOperation, now: datetime, estimate: float
) -> Window | None:
    """The next occurrence of its named window that starts after now and fits the estimate
    (None: a one-off time, or the window is no longer configured or never long enough)."""
    spec = deps.windows(op.account).get(row.window) if row.window else None
    if spec is None:
        return None
    try:
        return spec.first_fitting(now, estimate, started=False)
    except WindowError:
        return None


async def cancel(deps: Deps, chat: Chat, op: PendingOperation, user: str) -> bool:
    """Cancel a scheduled operation (requester or approver), until it starts. False: there is
    no scheduled row (the caller answers as for any decided operation)."""
    row = await asyncio.to_thread(deps.store.get_scheduled, op.id)
    if row is None:
        return False
    if row.state is not ScheduleState.SCHEDULED:
        await chat.tell(op.channel, user, notices.NotCancellable(row.state.value, row.cancelled_by))
        return True
    policy = deps.bindings.policy_for(op.channel, deps.fleet.resolve(op.account))
    if policy is None:
        await chat.tell(op.channel, user, notices.Denied(Denial.CHANNEL))
        return True
    groups = (
        await chat.member_groups(user, policy.approver_groups) if policy.approver_groups else set()
    )
    decision = may_cancel(policy, op.requester, user, groups)
    if not decision.allowed and decision.denial is not None:
        await chat.tell(op.channel, user, notices.Denied(decision.denial))
        return True
    now = deps.now()
    edit = decided_update(op, schedule=_facts(op, row, state="cancelled", by=user))
    messages = [
        OutboxMessage(
            dedupe_key=f"op:{op.id}:schedule-cancelled",
            channel=edit.channel,
            ts=edit.ts,
            content=edit.content,
        ),
        *deps.announce(
            op.id,
            Announcement(
                event=EventKind.CANCELLED,
                op=op.facts,
                channel=op.channel,
                actor=user,
                thread_ts=op.message_ts,
            ),
            skip=op.channel,
        ),
    ]
    won, after = await asyncio.to_thread(
        deps.store.cancel_scheduled, op.id, user, now, messages=messages
    )
    if won:
        log.info(
            "scheduled operation %s cancelled by %s",
            op.id,
            user,
            extra={"op_id": op.id, "user": user, "outcome": "schedule-cancelled"},
        )
        deps.kick()
    else:
        state = after.state.value if after else ScheduleState.STARTED.value
        by = after.cancelled_by if after else None
        await chat.tell(op.channel, user, notices.NotCancellable(state, by))
    return True
