"""Driving stop-resize-start runbooks: each tick, the runbooks due are claimed (one replica
each), the cloud is read, :func:`bot.core.runbook.decide` says what to do, and the decision is
stored - before a changing call goes out (marked ``sending``) and again after its answer -
with the thread reports it causes, in the same transaction."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.core import runbook as rb_core
from bot.core.errors import ApiError, CloudError, OutcomeUnknownError, ResponseFormatError
from bot.core.facts import FailureFacts, ResizeFacts, RunbookEvent
from bot.core.intents import ResizeIntent
from bot.core.preflight import check_resize
from bot.core.records import OutboxMessage, PendingOperation
from bot.core.states import AuditAction
from bot.core.wire.sdrs import JobStatus
from bot.huaweicloud.fleet import Account
from bot.huaweicloud.reads import read_resize_state
from bot.operations.deps import Deps
from bot.operations.messages import end_state
from bot.store.runbooks import RunbookRow

log = logging.getLogger(__name__)
DECISIONS_PER_TICK = 8  # a runbook moves this many decisions at most before it waits


def plan(op: PendingOperation) -> rb_core.Runbook:
    """The runbook of a confirmed stop-resize-start: the resized sites' servers, and those the
    confirmation showed running - the ones it stops (and starts again afterwards). A server
    that starts running after the confirmation is not stopped: the preflight after the stop
    refuses the resize then, and what was stopped is started again."""
    facts = op.facts
    intent = op.intent
    if not isinstance(facts, ResizeFacts) or not isinstance(intent, ResizeIntent):
        raise TypeError(f"operation {op.id} is not a resize")
    servers = [
        rb_core.Server(id=c.server_id, name=c.server_name or c.server_id, site=c.site)
        for c in facts.changes
    ]
    running = [c.server_id for c in facts.changes if c.power == "ACTIVE"]
    return rb_core.Runbook(servers=servers, to_stop=running, hard_stop=intent.stop == "hard")


async def start_runbook(deps: Deps, op: PendingOperation) -> None:
    """Hand a confirmed stop-resize-start to the runbook driver: stored (with the edit that
    says it is under way) in the transaction that ends the operation's execution, so a crash
    before it executes again (nothing was sent yet) and a crash after it leaves it to the tick."""
    runbook = plan(op)
    now = deps.now()
    deadline = now + timedelta(seconds=3 * deps.settings.job_timeout_seconds)
    await asyncio.to_thread(
        deps.store.create_runbook,
        op_id=op.id,
        account=op.account,
        channel=op.channel,
        thread_ts=op.message_ts,
        requester=op.requester,
        confirmer=op.decided_by,
        state_json=runbook.model_dump_json(),
        step=runbook.step.value,
        now=now,
        deadline=deadline,
        messages=[end_state(op, runbook="running")],
    )
    log.info(
        "operation %s: stop-resize-start runbook started (stops %s)",
        op.id,
        ", ".join(runbook.to_stop) or "nothing",
    )
    deps.kick()


async def runbook_tick(deps: Deps) -> int:
    """Advance every runbook due now that this replica can claim; returns how many."""
    rows = await asyncio.to_thread(
        deps.store.claim_runbooks, deps.owner, deps.now(), lease_seconds=deps.settings.lease_seconds
    )
    await asyncio.gather(*(_advance(deps, row) for row in rows))
    return len(rows)


def _messages(row: RunbookRow, reports: list[rb_core.Report]) -> list[OutboxMessage]:
    """Each event happens once in a runbook: its key makes a re-queued report a no-op."""
    return [
        OutboxMessage(
            dedupe_key=f"rb:{row.op_id}:{r.event}",
            channel=row.channel,
            thread_ts=row.thread_ts,
            reply_broadcast=r.loud,
            content=RunbookEvent(requester=row.requester, **r.model_dump()),
        )
        for r in reports
    ]


async def _advance(deps: Deps, row: RunbookRow) -> None:
    state = rb_core.Runbook.model_validate_json(row.state_json)
    op = await asyncio.to_thread(deps.store.get_pending, row.op_id)
    intent = op.intent if op is not None else None
    if op is None or not isinstance(intent, ResizeIntent):
        log.error("runbook %s has no resize operation; left as it is", row.op_id)
        return
    try:
        cloud = deps.cloud(row.account)
    except CloudError as exc:
        log.error("runbook %s: %s", row.op_id, exc)
        await _save(deps, row, state, [], wait=True)
        return
    action: rb_core.Action | None = None
    for _ in range(DECISIONS_PER_TICK):
        if deps.now() >= row.deadline:
            step = rb_core.timed_out(state)
        else:
            try:
                seen = await _observe(cloud, state, intent, action, deps.now())
            except CloudError as exc:  # a read failed: try again at the next look
                log.info(
                    "runbook %s: reading the cloud failed (%s); next look later", row.op_id, exc
                )
                await _save(deps, row, state, [], wait=True)
                return
            step = rb_core.decide(state, seen)
        state = step.runbook
        changing = step.action
        if isinstance(changing, rb_core.Stop | rb_core.Resize | rb_core.Start):
            state = rb_core.before_send(state, changing, deps.now())
            if not await _save(deps, row, state, _messages(row, step.reports), wait=False):
                return  # another replica has it now: send nothing
            outcome = await _send(cloud, intent, changing, row.op_id)
            after = rb_core.after_send(state, changing, outcome)
            state = after.runbook
            audit: tuple[AuditAction, dict[str, object]] | None
            audit = (
                AuditAction.RUNBOOK_STEP,
                {"call": changing.kind, "outcome": outcome.model_dump()},
            )
            messages = _messages(row, after.reports)
            ended = state.step is rb_core.Step.DONE  # the answer ended it (a refused stop/start)
            if ended:  # told now: once saved DONE, the runbook is no longer this replica's
                messages.append(_final_edit(op, state))
            if not await _save(
                deps,
                row,
                state,
                messages,
                wait=False,
                audit=audit,
                also_audit=_done_audit(state) if ended else None,
            ):
                return
            if ended:
                return
            action = None
            continue
        messages = _messages(row, step.reports)
        if isinstance(changing, rb_core.Preflight):
            if messages and not await _save(deps, row, state, messages, wait=False):
                return
            action = changing
            continue
        done = isinstance(changing, rb_core.Finish)
        audit = _done_audit(state) if done else None
        if done:
            messages.append(_final_edit(op, state))
        await _save(deps, row, state, messages, wait=not done, audit=audit)
        return
    await _save(deps, row, state, [], wait=True)


def _done_audit(rb: rb_core.Runbook) -> tuple[AuditAction, dict[str, object]]:
    finished: dict[str, object] = {
        "resize": rb.resize,
        "left_stopped": rb.left_stopped,
        "error_code": rb.error_code,
    }
    return AuditAction.RUNBOOK_DONE, finished


def _final_edit(op: PendingOperation, rb: rb_core.Runbook) -> OutboxMessage:
    """The confirmation, edited once more with how the whole runbook ended."""
    ok = rb.resize == "success" and not rb.left_stopped
    return end_state(
        op,
        key="end-runbook",
        runbook="done" if ok else "attention",
        runbook_resize=rb.resize,
        runbook_left_stopped=rb.name_list(rb.left_stopped),
        runbook_stopped=len(rb.stopped),
        runbook_problem=rb.problem,
        job_id=rb.sdrs_job,
    )


async def _save(
    deps: Deps,
    row: RunbookRow,
    state: rb_core.Runbook,
    messages: list[OutboxMessage],
    *,
    wait: bool,
    audit: tuple[AuditAction, dict[str, object]] | None = None,
    also_audit: tuple[AuditAction, dict[str, object]] | None = None,
) -> bool:
    now = deps.now()
    next_at: datetime = now + timedelta(seconds=deps.settings.job_poll_first_seconds if wait else 0)
    saved = await asyncio.to_thread(
        deps.store.save_runbook,
        row.op_id,
        deps.owner,
        state_json=state.model_dump_json(),
        step=state.step.value,
        now=now,
        next_at=next_at,
        lease_seconds=deps.settings.lease_seconds,
        messages=messages,
        audit=audit,
        also_audit=also_audit,
        keep_lease=not wait,  # a runbook that waits is free for any replica at next_at
    )
    if not saved:
        log.warning("runbook %s: lease lost; another replica goes on", row.op_id)
    elif messages:
        deps.kick()
    return bool(saved)


async def _observe(
    cloud: Account,
    rb: rb_core.Runbook,
    intent: ResizeIntent,
    action: rb_core.Action | None,
    now: datetime,
) -> rb_core.Seen:
    """Read what this step needs: the servers' power, the step's ECS or SDRS job, the
    instance (a resize whose outcome is unknown), the preflight (before the resize)."""
    servers = await asyncio.gather(*(cloud.ecs.get_server(s.id) for s in rb.servers))
    power = {s.id: server.status for s, server in zip(rb.servers, servers, strict=True)}
    tasks = {s.id: server.task_state or "" for s, server in zip(rb.servers, servers, strict=True)}
    ecs_job = ecs_error = sdrs_job = sdrs_error = None
    if rb.ecs_job and rb.step in (rb_core.Step.STOPPING, rb_core.Step.STARTING):
        job = await cloud.ecs.get_job(rb.ecs_job)
        ecs_job, ecs_error = (
            JobStatus(job.status),
            job.error_summary({s.id: s.name for s in rb.servers}),
        )
    if rb.sdrs_job and rb.resize == "submitted":
        sjob = await cloud.sdrs.get_job(rb.sdrs_job)
        sdrs_job, sdrs_error = sjob.status, sjob.error_code
    resizing, failed, as_asked = None, False, None
    if rb.step is rb_core.Step.RESIZING and (rb.sending or rb.resize == "unknown"):
        instance = await cloud.sdrs.get_protected_instance(intent.instance_id)
        resizing, failed = instance.status == "resizing", instance.status == "error-resizing"
        wanted = intent.site_flavors()
        as_asked = all(
            server.flavor.id == wanted[s.site]
            for s, server in zip(rb.servers, servers, strict=True)
            if s.site in wanted
        )
    refusal = None
    if isinstance(action, rb_core.Preflight):
        state = await read_resize_state(cloud.sdrs, cloud.ecs, intent, deh=cloud.deh)
        check = check_resize(intent, state, will_stop=False)  # the servers are stopped now
        refusal = None if check.allowed else check.detail
    return rb_core.Seen(
        power=power,
        tasks=tasks,
        now=now,
        ecs_job=ecs_job,
        ecs_error=ecs_error,
        sdrs_job=sdrs_job,
        sdrs_error=sdrs_error,
        instance_resizing=resizing,
        instance_failed=failed,
        resized_as_asked=as_asked,
        preflight_refusal=refusal,
        preflight_ran=isinstance(action, rb_core.Preflight),
    )


async def _send(
    cloud: Account,
    intent: ResizeIntent,
    action: rb_core.Stop | rb_core.Resize | rb_core.Start,
    op_id: str,
) -> rb_core.Outcome:
    try:
        if isinstance(action, rb_core.Stop):
            job = await cloud.ecs.batch_stop(action.ids, hard=action.hard)
        elif isinstance(action, rb_core.Start):
            job = await cloud.ecs.batch_start(action.ids)
        else:
            job = await cloud.sdrs.resize_protected_instance(intent.instance_id, intent.params())
    except OutcomeUnknownError as exc:
        log.warning("runbook %s: %s outcome unknown: %s", op_id, action.kind, exc)
        return rb_core.Unknown()
    except ResponseFormatError as exc:  # answered 2xx: taken, but no job id can be read
        log.warning("runbook %s: %s accepted, answer unreadable: %s", op_id, action.kind, exc)
        return rb_core.Unknown(unreadable=True)
    except ApiError as exc:
        log.warning("runbook %s: %s refused: %s", op_id, action.kind, exc)
        unavailable = FailureFacts.of(exc).unavailable
        return rb_core.Refused(
            code=exc.code, message=exc.message, unavailable=unavailable, retry_after=exc.retry_after
        )
    except CloudError as exc:  # not sent (a transport failure before sending)
        log.warning("runbook %s: %s not sent: %s", op_id, action.kind, exc)
        return rb_core.Refused(
            code=None, message=str(exc), unavailable=FailureFacts.of(exc).unavailable
        )
    log.info("runbook %s: %s sent (job %s)", op_id, action.kind, job)
    return rb_core.Sent(job_id=job)
