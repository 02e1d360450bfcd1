"""Tracked SDRS jobs and the audit trail.

Claiming is one statement per batch: ``UPDATE ... WHERE job_id IN (SELECT ... due and not
leased ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING *``. On PostgreSQL the ``SKIP LOCKED``
sub-select lets replicas claim disjoint batches without waiting on each other; on SQLite the
single writer makes the statement atomic. A lease that is not renewed (the replica died)
expires after ``lease_seconds`` and the job is claimed again.

Applying the result of a check is conditional on still holding the lease, and writes the job's
new state, the Slack messages it causes (outbox) and the audit event in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update
from sqlalchemy.engine import Engine

from bot.core.records import CheckResult, JobUpdate, OutboxMessage, TrackedJob
from bot.core.states import AuditAction, ExecState, JobKind, JobState
from bot.store.lease import lease_rows
from bot.store.outbox import ChannelLanguage, enqueue_in
from bot.store.schema import audit_events, pending_operations, tracked_jobs
from bot.store.times import epoch, from_epoch


def _row_to_job(m: Any) -> TrackedJob:
    return TrackedJob(
        job_id=m["job_id"],
        op_id=m["op_id"],
        kind=JobKind(m["kind"]),
        subject=m["subject"],
        channel=m["channel"],
        thread_ts=m["thread_ts"],
        requester=m["requester"],
        confirmer=m["confirmer"],
        detail=json.loads(m["detail_json"] or "{}"),
        submitted_at=from_epoch(m["submitted_at"]),
        next_check_at=from_epoch(m["next_check_at"]),
        checks=m["checks"],
        errors=m["errors"],
        last_status=m["last_status"],
        state=JobState(m["state"]),
        stuck_reported=bool(m["stuck_reported"]),
        finished_at=from_epoch(m["finished_at"]) if m["finished_at"] is not None else None,
        account=m["account"] or "",
    )


def audit_in(
    conn: Connection,
    now: datetime,
    action: AuditAction,
    *,
    op_id: str | None = None,
    job_id: str | None = None,
    actor: str | None = None,
    channel: str | None = None,
    detail: dict[str, Any] | None = None,
    account: str | None = None,
) -> None:
    conn.execute(
        insert(audit_events).values(
            at=epoch(now),
            action=action.value,
            op_id=op_id,
            job_id=job_id,
            actor=actor,
            channel=channel,
            detail_json=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
            account=account if account is not None else _account_of(op_id, job_id),
        )
    )


def _account_of(op_id: str | None, job_id: str | None) -> Any:
    """An audit event names the account of the operation or job it concerns (read in the
    same statement)."""
    if op_id is not None:
        return (
            select(pending_operations.c.account)
            .where(pending_operations.c.id == op_id)
            .scalar_subquery()
        )
    if job_id is not None:
        return (
            select(tracked_jobs.c.account).where(tracked_jobs.c.job_id == job_id).scalar_subquery()
        )
    return None


def _finish_execution(conn: Connection, op_id: str | None) -> None:
    if op_id is None:
        return
    p = pending_operations.c
    conn.execute(
        update(pending_operations)
        .where(p.id == op_id, p.exec_state == ExecState.RUNNING.value)
        .values(exec_state=ExecState.DONE.value, exec_until=None)
    )


class JobStore:
    engine: Engine
    channel_language: ChannelLanguage  # see Store

    def record_submission(
        self,
        *,
        job_id: str,
        op_id: str | None,
        kind: JobKind,
        subject: str,
        channel: str,
        thread_ts: str | None,
        requester: str,
        confirmer: str | None,
        detail: dict[str, Any],
        now: datetime,
        first_check_at: datetime,
        messages: Sequence[OutboxMessage],
        audit_detail: dict[str, Any],
        account: str = "",
    ) -> None:
        """The job SDRS accepted: start tracking it, queue its 'submitted' messages, audit."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(tracked_jobs).values(
                    job_id=job_id,
                    op_id=op_id,
                    kind=kind.value,
                    subject=subject,
                    channel=channel,
                    thread_ts=thread_ts,
                    requester=requester,
                    confirmer=confirmer,
                    detail_json=json.dumps(detail, ensure_ascii=False, sort_keys=True),
                    submitted_at=epoch(now),
                    next_check_at=epoch(first_check_at),
                    checks=0,
                    errors=0,
                    state=JobState.TRACKING.value,
                    stuck_reported=False,
                    account=account,
                )
            )
            for message in messages:
                enqueue_in(conn, message, now, self.channel_language)
            _finish_execution(conn, op_id)
            audit_in(
                conn,
                now,
                AuditAction.SUBMITTED,
                op_id=op_id,
                job_id=job_id,
                actor=confirmer,
                channel=channel,
                detail=audit_detail,
                account=account,
            )

    def record_event(
        self,
        now: datetime,
        action: AuditAction,
        *,
        messages: Sequence[OutboxMessage] = (),
        **fields: Any,
    ) -> None:
        """An audit event and the messages it causes, in one transaction."""
        with self.engine.begin() as conn:
            for message in messages:
                enqueue_in(conn, message, now, self.channel_language)
            if fields.get("op_id"):
                _finish_execution(conn, str(fields["op_id"]))
            audit_in(conn, now, action, **fields)

    def claim_jobs(
        self, owner: str, now: datetime, *, lease_seconds: float, limit: int
    ) -> list[TrackedJob]:
        t = tracked_jobs.c
        at = epoch(now)
        rows = lease_rows(
            self.engine,
            tracked_jobs,
            t.job_id,
            due=and_(t.state == JobState.TRACKING.value, t.next_check_at <= at),
            owner=owner,
            at=at,
            lease_seconds=lease_seconds,
            order_by=t.next_check_at,
            limit=limit,
            returning=list(tracked_jobs.c),
        )
        return [_row_to_job(r._mapping) for r in rows]

    def apply_check(
        self,
        job_id: str,
        owner: str,
        change: JobUpdate,
        now: datetime,
        *,
        messages: Sequence[OutboxMessage] = (),
        audit: tuple[AuditAction, dict[str, Any]] | None = None,
    ) -> bool:
        """Write a check's outcome if this owner still holds the lease; False if it lost it."""
        return self.apply_checks(owner, [CheckResult(job_id, change, messages, audit)], now) == 1

    def apply_checks(self, owner: str, results: Sequence[CheckResult], now: datetime) -> int:
        """Write a batch of checks in one transaction; each row only if this owner still holds
        its lease (others are skipped). Returns how many were written.

        Set-based, so a batch costs a few round trips whatever its size: lock the rows still
        leased to us, update them with one executemany, then queue their messages and audit.
        """
        if not results:
            return 0
        t = tracked_jobs.c
        at = epoch(now)
        with self.engine.begin() as conn:
            owned = set(
                conn.execute(
                    select(t.job_id)
                    .where(t.job_id.in_([r.job_id for r in results]), t.lease_owner == owner)
                    .with_for_update()
                ).scalars()
            )
            mine = [r for r in results if r.job_id in owned]
            if not mine:
                return 0
            conn.execute(
                update(tracked_jobs)
                .where(t.job_id == bindparam("b_job_id"))
                .values(
                    next_check_at=bindparam("b_next"),
                    state=bindparam("b_state"),
                    checks=bindparam("b_checks"),
                    errors=bindparam("b_errors"),
                    last_status=bindparam("b_status"),
                    stuck_reported=bindparam("b_stuck"),
                    finished_at=bindparam("b_finished"),
                    lease_owner=None,
                    lease_until=None,
                ),
                [
                    {
                        "b_job_id": r.job_id,
                        # a job that is over is never due again; keep the column filled
                        "b_next": epoch(r.change.next_check_at) if r.change.next_check_at else at,
                        "b_state": r.change.state.value,
                        "b_checks": r.change.checks,
                        "b_errors": r.change.errors,
                        "b_status": r.change.last_status,
                        "b_stuck": r.change.stuck_reported,
                        "b_finished": epoch(r.change.finished_at) if r.change.finished_at else None,
                    }
                    for r in mine
                ],
            )
            for result in mine:
                for message in result.messages:
                    enqueue_in(conn, message, now, self.channel_language)
                if result.audit is not None:
                    action, detail = result.audit
                    audit_in(conn, now, action, job_id=result.job_id, detail=detail)
        return len(mine)

    def release_leases(self, owner: str) -> int:
        """Give back every job lease this owner holds (graceful shutdown)."""
        t = tracked_jobs.c
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(tracked_jobs)
                    .where(t.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None)
                ).rowcount
            )

    def get_tracked(self, job_id: str) -> TrackedJob | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tracked_jobs).where(tracked_jobs.c.job_id == job_id)).first()
        return _row_to_job(row._mapping) if row else None

    def all_tracked(self) -> list[TrackedJob]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracked_jobs)).all()
        return [_row_to_job(r._mapping) for r in rows]

    def list_tracked(self, channel: str, *, active_only: bool = True) -> list[TrackedJob]:
        t = tracked_jobs.c
        query = select(tracked_jobs).where(t.channel == channel)
        if active_only:
            query = query.where(t.state == JobState.TRACKING.value)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.submitted_at.desc()).limit(50)).all()
        return [_row_to_job(r._mapping) for r in rows]
