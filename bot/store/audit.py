"""Reading the audit trail: a channel's latest operations with their outcome (``/sdrs history``)
and the whole trail as JSON-ready records (``sdrs-bot audit export``).

Every event is written where it happens (pending, jobs, tracker); this module only reads.
What an operation's outcome is, from its events, is decided by :func:`outcome_of` (pure).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core.facts import OPERATION_FACTS, LegacyFacts
from bot.core.records import HistoryEntry
from bot.core.states import AuditAction
from bot.store.schema import audit_events, pending_operations, tracked_jobs
from bot.store.times import epoch, from_epoch

# The event that ends an operation's story, latest first wins; "submitted" only until the job
# ends. Events not listed (requested, confirmed, confirm-refused) say nothing about the outcome.
OUTCOME_ACTIONS = frozenset(
    {
        AuditAction.CANCELLED,
        AuditAction.EXPIRED,
        AuditAction.STALE,
        AuditAction.WITHDRAWN,
        AuditAction.SUBMITTED,
        AuditAction.SUBMIT_FAILED,
        AuditAction.RENAMED,
        AuditAction.RENAME_FAILED,
        AuditAction.INTERRUPTED,
        AuditAction.ANSWER_UNREADABLE,
        AuditAction.JOB_FINISHED,
        AuditAction.JOB_STUCK,
        AuditAction.RUNBOOK_STARTED,
        AuditAction.RUNBOOK_DONE,
        AuditAction.SCHEDULED,
        AuditAction.NOT_STARTED,
        AuditAction.SCHEDULE_CANCELLED,
    }
)


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    action: str
    op_id: str | None
    job_id: str | None
    actor: str | None
    channel: str | None
    detail: dict[str, Any]

    def record(self) -> dict[str, Any]:
        """One JSON line of the export."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "action": self.action,
            "op_id": self.op_id,
            "job_id": self.job_id,
            "actor": self.actor,
            "channel": self.channel,
            "detail": self.detail,
        }


STOP_START_RUNNING = "stop-start running"
STOP_START_OUTCOMES = {  # bot.core.runbook.ResizeOutcome -> the history's outcome
    "success": "stop-start: resized",
    "fail": "stop-start: resize failed",
    "refused": "stop-start: not resized",
    "pending": "stop-start: not resized",
}
STOP_START_LEFT_STOPPED = "stop-start: servers left stopped"


def runbook_outcome(detail: dict[str, Any]) -> str:
    """A finished stop-resize-start, as /sdrs history names it (servers left stopped first:
    someone has to act on those)."""
    if detail.get("left_stopped"):
        return STOP_START_LEFT_STOPPED
    return STOP_START_OUTCOMES.get(str(detail.get("resize")), "stop-start: outcome unknown")


def outcome_of(events: Sequence[AuditEvent]) -> tuple[str | None, str | None, str | None]:
    """(outcome, job id, SDRS error code of that outcome) from an operation's events, oldest
    first. The code is the one SDRS gave when it refused the request (kept as ``code``) or
    with a job that ended (``error_code``)."""
    outcome: str | None = None
    job_id: str | None = None
    code: str | None = None
    for event in events:
        job_id = event.job_id or job_id
        if event.action not in OUTCOME_ACTIONS:
            continue
        if event.action == AuditAction.JOB_STUCK:
            if outcome not in ("SUCCESS", "FAIL"):
                outcome, code = "still running", None
            continue
        if event.action == AuditAction.JOB_FINISHED:
            outcome = str(event.detail.get("status") or "finished")
        elif event.action == AuditAction.RUNBOOK_STARTED:
            outcome = STOP_START_RUNNING
        elif event.action == AuditAction.RUNBOOK_DONE:
            outcome = runbook_outcome(event.detail)
        elif event.action == AuditAction.NOT_STARTED:  # moved on: waiting again
            outcome = AuditAction.SCHEDULED if event.detail.get("moved") else event.action
        else:
            outcome = event.action
        found = event.detail.get("error_code") or event.detail.get("code")
        code = str(found) if found else None
    return outcome, job_id, code


def _event(m: Any) -> AuditEvent:
    at = from_epoch(m["at"])
    return AuditEvent(
        id=int(m["id"]),
        at=at,
        action=m["action"],
        op_id=m["op_id"],
        job_id=m["job_id"],
        actor=m["actor"],
        channel=m["channel"],
        detail=json.loads(m["detail_json"] or "{}"),
    )


class AuditStore:
    engine: Engine

    def history(self, channel: str, limit: int) -> list[HistoryEntry]:
        """The channel's latest ``limit`` operations, newest first, with their outcomes."""
        p = pending_operations.c
        with self.engine.connect() as conn:
            ops = [
                r._mapping
                for r in conn.execute(
                    select(pending_operations)
                    .where(p.channel == channel)
                    .order_by(p.created_at.desc(), p.id)
                    .limit(limit)
                )
            ]
            ids = [m["id"] for m in ops]
            jobs = {
                r.job_id: r.op_id
                for r in conn.execute(
                    select(tracked_jobs.c.job_id, tracked_jobs.c.op_id).where(
                        tracked_jobs.c.op_id.in_(ids)
                    )
                )
            }
            a = audit_events.c
            rows = conn.execute(
                select(audit_events)
                .where(a.op_id.in_(ids) | a.job_id.in_(list(jobs)))
                .order_by(a.at, a.id)
            )
            by_op: dict[str, list[AuditEvent]] = {i: [] for i in ids}
            for row in rows:
                event = _event(row._mapping)
                op_id = event.op_id or jobs.get(event.job_id or "")
                if op_id in by_op:
                    by_op[op_id].append(event)
        entries = []
        for m in ops:
            outcome, job_id, code = outcome_of(by_op[m["id"]])
            entries.append(
                HistoryEntry(
                    op_id=m["id"],
                    kind=m["kind"],
                    facts=OPERATION_FACTS.validate_json(m["facts_json"])
                    if m["facts_json"]
                    else LegacyFacts(summary=m["summary"] or ""),
                    requester=m["requester"],
                    requested_at=from_epoch(m["created_at"]),
                    state=m["state"],
                    decided_by=m["decided_by"],
                    outcome=outcome,
                    job_id=job_id,
                    error_code=code,
                    message_ts=m["message_ts"],
                )
            )
        return entries

    def audit_events(
        self, *, since: datetime | None = None, channel: str | None = None, batch: int = 1000
    ) -> Iterator[AuditEvent]:
        """Every audit event in order (by id), read in batches so a long trail streams."""
        a = audit_events.c
        last = 0
        while True:
            query = select(audit_events).where(a.id > last).order_by(a.id).limit(batch)
            if since is not None:
                query = query.where(a.at >= epoch(since))
            if channel is not None:  # events that name the channel, or its operations/jobs
                ops = select(pending_operations.c.id).where(pending_operations.c.channel == channel)
                jobs = select(tracked_jobs.c.job_id).where(tracked_jobs.c.channel == channel)
                query = query.where((a.channel == channel) | a.op_id.in_(ops) | a.job_id.in_(jobs))
            with self.engine.connect() as conn:
                rows = [_event(r._mapping) for r in conn.execute(query)]
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1].id
