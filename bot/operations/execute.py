"""Calling SDRS for a confirmed operation, and finishing ones a dead replica left.

What happened goes to the thread through the outbox, in the same transaction as the state it
records (a tracked job, or an audit event); the confirmation message is edited to show the
end state.

A change SDRS answered 2xx with a body that cannot be read (not JSON, the wrong shape, empty:
:class:`~bot.core.errors.ResponseFormatError`) was accepted, but what came of it is not known:
it is never reported as "not done". A resize is settled as a crash recovery settles one whose
answer was lost (:func:`_settle_resize`: the instance is followed); a rename by reading the
drill.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Literal

from bot.core.errors import CloudError, ResponseFormatError
from bot.core.facts import (
    Announcement,
    FailureFacts,
    Interrupted,
    Renamed,
    ResizeFacts,
    SubmitFailed,
    Submitted,
)
from bot.core.hints import drill_name_hint, instance_check_hint
from bot.core.intents import RenameDrillIntent, ResizeIntent, command_text
from bot.core.records import OutboxMessage, PendingOperation
from bot.core.states import AuditAction, EventKind, JobKind
from bot.core.tracking import INSTANCE_JOB_PREFIX
from bot.core.wire.sdrs import ProtectedInstance
from bot.operations.deps import Deps
from bot.operations.messages import end_state, thread_reply
from bot.operations.runbook import start_runbook

log = logging.getLogger(__name__)
# why a resize's answer is not known: the replica died sending it, or SDRS's 2xx is unreadable
Cause = Literal["restart", "unreadable"]


def _announce(
    deps: Deps, op: PendingOperation, event: EventKind, **facts: object
) -> list[OutboxMessage]:
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


@asynccontextmanager
async def _leased(deps: Deps, op: PendingOperation) -> AsyncIterator[None]:
    """While the body runs, this replica renews its execution lease of ``op`` every third of
    the lease: a live execution whose SDRS call is slow (or whose process is starved of CPU)
    is never taken for an interrupted one. Taken so, the resize's job would be followed twice -
    by its job id here and by its instance there - and reported twice (seen in the crash
    test under load, with a 4 s lease and calls of up to 2 x 5 s)."""
    lease = deps.execution_lease()

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            try:
                mine = await asyncio.to_thread(
                    deps.store.renew_execution, op.id, deps.owner, deps.now(), lease
                )
            except Exception as exc:  # noqa: BLE001 - the database is down: try at the next third
                log.warning("operation %s: its execution lease not renewed (%s)", op.id, exc)
                continue
            if not mine:
                log.warning("operation %s: its execution is no longer this replica's", op.id)
                return

    renewing = asyncio.get_running_loop().create_task(renew(), name=f"lease of {op.id}")
    try:
        yield
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing


async def execute(deps: Deps, op: PendingOperation) -> None:
    async with _leased(deps, op):
        await _execute(deps, op)


async def _execute(deps: Deps, op: PendingOperation) -> None:
    context: dict[str, object] = {
        "op_id": op.id,
        "user": op.decided_by,
        "channel": op.channel,
        "kind": op.kind.value,
    }
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
    except ResponseFormatError as exc:  # answered 2xx: accepted, but its job id is unreadable
        log.warning(
            "operation %s: SDRS accepted the resize but its answer is unreadable (%s); "
            "following the instance",
            op.id,
            exc,
            extra={**context, "outcome": "answer-unreadable"},
        )
        await _settle_resize(deps, op, intent, cause="unreadable")
        return
    except CloudError as exc:
        failure = FailureFacts.of(exc)
        failed = SubmitFailed(failure=failure, command=command_text(intent))
        log.warning(
            "operation %s failed at SDRS: %s",
            op.id,
            exc,
            extra={**context, "request_id": failure.request_id, "outcome": "submit-failed"},
        )
        await asyncio.to_thread(
            deps.store.record_event,
            deps.now(),
            AuditAction.SUBMIT_FAILED,
            messages=[
                thread_reply(op, f"op:{op.id}:result", failed),
                end_state(op, failure=failure),
                *_announce(
                    deps,
                    op,
                    EventKind.FAILED,
                    error_code=failure.code,
                    no_answer=failure.code is None,
                ),
            ],
            op_id=op.id,
            actor=op.decided_by,
            channel=op.channel,
            detail={"request": params.body(), "error": str(exc), "code": failure.code},
        )
        deps.kick()
        return
    log.info(
        "operation %s submitted: job %s",
        op.id,
        job_id,
        extra={**context, "job_id": job_id, "outcome": "submitted"},
    )
    now = deps.now()
    await asyncio.to_thread(
        deps.store.record_submission,
        job_id=job_id,
        op_id=op.id,
        kind=JobKind.RESIZE,
        subject=intent.instance_id,
        channel=op.channel,
        thread_ts=op.message_ts,
        requester=op.requester,
        confirmer=op.decided_by,
        detail=_job_detail(op),
        account=op.account,
        now=now,
        first_check_at=now + timedelta(seconds=deps.settings.job_poll_first_seconds),
        messages=[
            thread_reply(op, f"job:{job_id}:submitted", Submitted(job_id=job_id)),
            end_state(op, job_id=job_id),
            *_announce(deps, op, EventKind.SUBMITTED, job_id=job_id),
        ],
        audit_detail={"request": params.body(), "job_id": job_id},
    )
    deps.kick()


async def _rename(
    deps: Deps, op: PendingOperation, intent: RenameDrillIntent, context: dict[str, object]
) -> None:
    try:
        drill = await deps.cloud(op.account).sdrs.rename_drill(intent.drill_id, intent.name)
    except ResponseFormatError as exc:  # answered 2xx: accepted, but unreadable
        log.warning(
            "operation %s: SDRS accepted the rename but its answer is unreadable (%s); "
            "reading the drill",
            op.id,
            exc,
            extra={**context, "outcome": "answer-unreadable"},
        )
        await _settle_rename(deps, op, intent)
        return
    except CloudError as exc:
        failure = FailureFacts.of(exc)
        log.warning(
            "operation %s failed at SDRS: %s",
            op.id,
            exc,
            extra={**context, "request_id": failure.request_id, "outcome": "rename-failed"},
        )
        action, detail = AuditAction.RENAME_FAILED, {"error": str(exc), "code": failure.code}
        messages = [
            thread_reply(
                op,
                f"op:{op.id}:result",
                SubmitFailed(failure=failure, command=command_text(intent)),
            ),
            end_state(op, failure=failure),
            *_announce(
                deps, op, EventKind.FAILED, error_code=failure.code, no_answer=failure.code is None
            ),
        ]
    else:
        log.info(
            "operation %s done: drill %s renamed",
            op.id,
            drill.id,
            extra={**context, "outcome": "renamed"},
        )
        action, detail = AuditAction.RENAMED, {"name": drill.name}
        messages = [
            thread_reply(op, f"op:{op.id}:result", Renamed(name=drill.name)),
            end_state(op, renamed_to=drill.name),
            *_announce(deps, op, EventKind.FINISHED, renamed_to=drill.name),
        ]
    await asyncio.to_thread(
        deps.store.record_event,
        deps.now(),
        action,
        messages=messages,
        op_id=op.id,
        actor=op.decided_by,
        channel=op.channel,
        detail={"drill_id": intent.drill_id, **detail},
    )
    deps.kick()


async def _settle_rename(deps: Deps, op: PendingOperation, intent: RenameDrillIntent) -> None:
    """SDRS answered the rename 2xx with a body that cannot be read: the drill says whether it
    has the new name (renamed), or the outcome is unknown and the thread says what to check."""
    try:
        drill = await deps.cloud(op.account).sdrs.get_drill(intent.drill_id)
        name: str | None = drill.name
    except CloudError as exc:
        log.warning("operation %s: cannot read drill %s: %s", op.id, intent.drill_id, exc)
        name = None
    detail: dict[str, object] = {"drill_id": intent.drill_id, "answer": "unreadable"}
    if name == intent.name:
        action = AuditAction.RENAMED
        detail["name"] = name
        messages = [
            thread_reply(op, f"op:{op.id}:result", Renamed(name=intent.name, unreadable=True)),
            end_state(op, renamed_to=intent.name),
            *_announce(deps, op, EventKind.FINISHED, renamed_to=intent.name),
        ]
    else:
        action = AuditAction.ANSWER_UNREADABLE
        detail["name_now"] = name
        unknown = FailureFacts.unknown(
            "SDRS answered the rename, but its answer could not be read",
            drill_name_hint(intent.drill_id),
        )
        messages = [
            thread_reply(op, f"op:{op.id}:result", SubmitFailed(failure=unknown)),
            end_state(op, failure=unknown),
            *_announce(deps, op, EventKind.FAILED, unreadable=True),
        ]
    await asyncio.to_thread(
        deps.store.record_event,
        deps.now(),
        action,
        messages=messages,
        op_id=op.id,
        actor=op.decided_by,
        channel=op.channel,
        detail=detail,
    )
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
        async with _leased(deps, op):
            await _settle_resize(deps, op, intent, cause="restart")
    return len(ops)


async def _settle_resize(
    deps: Deps, op: PendingOperation, intent: ResizeIntent, *, cause: Cause
) -> None:
    """A resize that may have reached SDRS whose answer is not known (``restart``: the replica
    died while sending it; ``unreadable``: SDRS answered 2xx with a body that cannot be read).
    Never sent again: the instance shows whether SDRS took it, and is then followed to the end
    (reported like a job); otherwise the thread is told the outcome is unknown and what to
    check."""
    if await _follow_instance(deps, op, intent, cause):
        return
    unknown = FailureFacts.unknown(
        "the resize's answer was lost or unreadable", instance_check_hint(intent.instance_id)
    )
    action = AuditAction.INTERRUPTED if cause == "restart" else AuditAction.ANSWER_UNREADABLE
    unknown_why = {"interrupted": True} if cause == "restart" else {"unreadable": True}
    messages = [
        thread_reply(
            op,
            f"op:{op.id}:result",
            Interrupted(instance_id=intent.instance_id, received=False, cause=cause),
        ),
        *_announce(deps, op, EventKind.FAILED, **unknown_why),
    ]
    if cause == "unreadable":
        messages.append(end_state(op, failure=unknown))
    detail: dict[str, object] = {"instance": intent.instance_id}
    if cause == "unreadable":
        detail = {**detail, "request": intent.params().body(), "answer": "unreadable"}
    await asyncio.to_thread(
        deps.store.record_event,
        deps.now(),
        action,
        messages=messages,
        op_id=op.id,
        channel=op.channel,
        actor=None if cause == "restart" else op.decided_by,
        detail=detail,
    )
    deps.kick()


async def _shows_resize(deps: Deps, op: PendingOperation, instance: ProtectedInstance) -> bool:
    """Whether the cloud shows that the resize was carried out: the instance is resizing or
    failed resizing, or it is back in service and its servers have the new flavors (where the
    confirmation showed a flavor change)."""
    if instance.status in ("resizing", "error-resizing"):
        return True
    facts = op.facts
    if instance.status not in ("available", "protected") or not isinstance(facts, ResizeFacts):
        return False
    changes = [c for c in facts.changes if c.current.id != c.new.id]
    if not changes:
        return False  # nothing would show it
    ecs = deps.cloud(op.account).ecs
    servers = await asyncio.gather(*(ecs.get_server(c.server_id) for c in changes))
    return all(s.flavor.id == c.new.id for s, c in zip(servers, changes, strict=True))


async def _follow_instance(
    deps: Deps, op: PendingOperation, intent: ResizeIntent, cause: Cause
) -> bool:
    try:
        instance = await deps.cloud(op.account).sdrs.get_protected_instance(intent.instance_id)
        shown = await _shows_resize(deps, op, instance)
    except CloudError as exc:
        log.warning("operation %s: cannot read instance %s: %s", op.id, intent.instance_id, exc)
        return False
    if not shown:
        return False
    now = deps.now()
    job_id = f"{INSTANCE_JOB_PREFIX}{intent.instance_id}:{op.id}"
    reply = Interrupted(instance_id=intent.instance_id, received=True, cause=cause)
    messages = [thread_reply(op, f"op:{op.id}:result", reply)]
    if cause == "unreadable":
        messages.append(end_state(op, job_id=job_id))
    lost = "unknown" if cause == "restart" else "unreadable"
    await asyncio.to_thread(
        deps.store.record_submission,
        job_id=job_id,
        op_id=op.id,
        kind=JobKind.RESIZE_BY_INSTANCE,
        subject=intent.instance_id,
        channel=op.channel,
        thread_ts=op.message_ts,
        requester=op.requester,
        confirmer=op.decided_by,
        detail=_job_detail(op),
        account=op.account,
        now=now,
        first_check_at=now + timedelta(seconds=deps.settings.job_poll_first_seconds),
        messages=messages,
        audit_detail={
            "request": intent.params().body(),
            "recovered": f"instance is {instance.status}; job id {lost}",
        },
    )
    deps.kick()
    return True
