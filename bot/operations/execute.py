"""Calling SDRS for a confirmed operation, and finishing ones a dead replica left.

What happened goes to the thread through the outbox, in the same transaction as the state it
records (a tracked job, or an audit event); the confirmation message is edited to show the
end state.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.core.errors import CloudError
from bot.core.facts import Announcement, FailureFacts, Interrupted, Renamed, SubmitFailed, Submitted
from bot.core.intents import RenameDrillIntent, ResizeIntent, command_text
from bot.core.records import OutboxMessage, PendingOperation
from bot.core.states import AuditAction, EventKind, JobKind
from bot.core.tracking import INSTANCE_JOB_PREFIX
from bot.operations.deps import Deps
from bot.operations.messages import end_state, thread_reply
from bot.operations.runbook import start_runbook

log = logging.getLogger(__name__)


def _announce(deps: Deps, op: PendingOperation, event: EventKind, **facts: object
              ) -> list[OutboxMessage]:  # fmt: skip
    facts = {"actor": op.decided_by, "thread_ts": op.message_ts, **facts}
    content = Announcement.model_validate(
        {"event": event, "op": op.facts, "channel": op.channel, **facts}
    )
    return deps.announce(op.id, content, skip=op.channel)


def _job_detail(op: PendingOperation) -> dict[str, object]:
    """What a tracked job keeps of its operation: the facts, who confirmed it and when."""
    return {
        "op": op.facts.model_dump(mode="json"),
        "confirmed_at": op.decided_at.isoformat() if op.decided_at else None,
    }


async def execute(deps: Deps, op: PendingOperation) -> None:
    context: dict[str, object] = {
        "op_id": op.id, "user": op.decided_by, "channel": op.channel, "kind": op.kind.value,
    }  # fmt: skip
    intent = op.intent
    if isinstance(intent, ResizeIntent) and intent.stop_start:
        await start_runbook(deps, op)  # stop, resize, start: driven step by step by its tick
    elif isinstance(intent, ResizeIntent):
        await _resize(deps, op, intent, context)
    elif isinstance(intent, RenameDrillIntent):
        await _rename(deps, op, intent, context)
    else:  # pragma: no cover - only mutating intents are stored
        raise TypeError(f"operation {op.id} has no change to make: {intent.kind}")


async def _resize(
    deps: Deps, op: PendingOperation, intent: ResizeIntent, context: dict[str, object]
) -> None:
    params = intent.params()
    try:
        job_id = await deps.cloud(op.account).sdrs.resize_protected_instance(
            intent.instance_id, params
        )
    except CloudError as exc:
        failure = FailureFacts.of(exc)
        failed = SubmitFailed(failure=failure, command=command_text(intent))
        log.warning("operation %s failed at SDRS: %s", op.id, exc,
                    extra={**context, "request_id": failure.request_id,
                           "outcome": "submit-failed"})  # fmt: skip
        await asyncio.to_thread(
            deps.store.record_event, deps.now(), AuditAction.SUBMIT_FAILED,
            messages=[thread_reply(op, f"op:{op.id}:result", failed),
                      end_state(op, failure=failure),
                      *_announce(deps, op, EventKind.FAILED, error_code=failure.code,
                                 no_answer=failure.code is None)],
            op_id=op.id, actor=op.decided_by, channel=op.channel,
            detail={"request": params.body(), "error": str(exc), "code": failure.code},
        )  # fmt: skip
        deps.kick()
        return
    log.info("operation %s submitted: job %s", op.id, job_id,
             extra={**context, "job_id": job_id, "outcome": "submitted"})  # fmt: skip
    now = deps.now()
    await asyncio.to_thread(
        deps.store.record_submission,
        job_id=job_id, op_id=op.id, kind=JobKind.RESIZE, subject=intent.instance_id,
        channel=op.channel, thread_ts=op.message_ts, requester=op.requester,
        confirmer=op.decided_by, detail=_job_detail(op), account=op.account,
        now=now, first_check_at=now + timedelta(seconds=deps.settings.job_poll_first_seconds),
        messages=[thread_reply(op, f"job:{job_id}:submitted", Submitted(job_id=job_id)),
                  end_state(op, job_id=job_id),
                  *_announce(deps, op, EventKind.SUBMITTED, job_id=job_id)],
        audit_detail={"request": params.body(), "job_id": job_id},
    )  # fmt: skip
    deps.kick()


async def _rename(
    deps: Deps, op: PendingOperation, intent: RenameDrillIntent, context: dict[str, object]
) -> None:
    try:
        drill = await deps.cloud(op.account).sdrs.rename_drill(intent.drill_id, intent.name)
    except CloudError as exc:
        failure = FailureFacts.of(exc)
        log.warning("operation %s failed at SDRS: %s", op.id, exc,
                    extra={**context, "request_id": failure.request_id,
                           "outcome": "rename-failed"})  # fmt: skip
        action, detail = AuditAction.RENAME_FAILED, {"error": str(exc), "code": failure.code}
        messages = [
            thread_reply(op, f"op:{op.id}:result",
                         SubmitFailed(failure=failure, command=command_text(intent))),
            end_state(op, failure=failure),
            *_announce(deps, op, EventKind.FAILED, error_code=failure.code,
                       no_answer=failure.code is None),
        ]  # fmt: skip
    else:
        log.info("operation %s done: drill %s renamed", op.id, drill.id,
                 extra={**context, "outcome": "renamed"})  # fmt: skip
        action, detail = AuditAction.RENAMED, {"name": drill.name}
        messages = [
            thread_reply(op, f"op:{op.id}:result", Renamed(name=drill.name)),
            end_state(op, renamed_to=drill.name),
            *_announce(deps, op, EventKind.FINISHED, renamed_to=drill.name),
        ]
    await asyncio.to_thread(
        deps.store.record_event, deps.now(), action, messages=messages,
        op_id=op.id, actor=op.decided_by, channel=op.channel,
        detail={"drill_id": intent.drill_id, **detail},
    )  # fmt: skip
    deps.kick()


async def recover_interrupted(deps: Deps) -> int:
    """Finish confirmed operations whose replica died while executing them.

    A rename is simply sent again (PUT of the same name is idempotent), and so is the start of a
    stop-resize-start runbook (it sends nothing before it is stored). A resize is never sent
    again (that could resize twice). If its protected instance is ``resizing``, SDRS did get
    it: the job id is lost with the process, so the instance itself is followed to the end and
    reported like a job. Otherwise the thread is told the outcome is unknown and what to check.
    """
    ops = await asyncio.to_thread(
        deps.store.claim_interrupted, deps.owner, deps.now(), deps.execution_lease()
    )
    for op in ops:
        log.warning("operation %s was interrupted while executing; recovering", op.id)
        intent = op.intent
        if not isinstance(intent, ResizeIntent) or intent.stop_start:
            await execute(deps, op)
            continue
        if await _follow_instance_if_resizing(deps, op, intent):
            continue
        await asyncio.to_thread(
            deps.store.record_event, deps.now(), AuditAction.INTERRUPTED,
            messages=[thread_reply(op, f"op:{op.id}:result",
                                   Interrupted(instance_id=intent.instance_id, received=False)),
                      *_announce(deps, op, EventKind.FAILED, interrupted=True)],
            op_id=op.id, channel=op.channel, detail={"instance": intent.instance_id},
        )  # fmt: skip
        deps.kick()
    return len(ops)


async def _follow_instance_if_resizing(
    deps: Deps, op: PendingOperation, intent: ResizeIntent
) -> bool:
    try:
        instance = await deps.cloud(op.account).sdrs.get_protected_instance(intent.instance_id)
    except CloudError as exc:
        log.warning("operation %s: cannot read instance %s: %s", op.id, intent.instance_id, exc)
        return False
    if instance.status != "resizing":
        return False
    now = deps.now()
    await asyncio.to_thread(
        deps.store.record_submission,
        job_id=f"{INSTANCE_JOB_PREFIX}{intent.instance_id}:{op.id}", op_id=op.id,
        kind=JobKind.RESIZE_BY_INSTANCE, subject=intent.instance_id, channel=op.channel,
        thread_ts=op.message_ts, requester=op.requester, confirmer=op.decided_by,
        detail=_job_detail(op), account=op.account,
        now=now, first_check_at=now + timedelta(seconds=deps.settings.job_poll_first_seconds),
        messages=[thread_reply(op, f"op:{op.id}:result",
                               Interrupted(instance_id=intent.instance_id, received=True))],
        audit_detail={"recovered": "instance is resizing; job id unknown"},
    )  # fmt: skip
    deps.kick()
    return True
