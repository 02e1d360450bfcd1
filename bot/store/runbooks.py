"""Stop-resize-start runbooks in the store: created when the operation is confirmed, claimed
with a lease by one replica at a time, saved after every decision (and before every changing
call) together with the messages it causes, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine

from bot.core.records import OutboxMessage
from bot.core.states import AuditAction
from bot.store.jobs import _finish_execution, audit_in
from bot.store.lease import lease_rows
from bot.store.outbox import ChannelLanguage, enqueue_in
from bot.store.schema import runbooks
from bot.store.times import epoch, from_epoch

DONE = "done"


@dataclass(frozen=True)
class RunbookRow:
    op_id: str
    account: str
    channel: str
    thread_ts: str | None
    requester: str
    confirmer: str | None
    state_json: str
    step: str
    created_at: datetime
    deadline: datetime
    next_at: datetime
    finished_at: datetime | None


def _row(m: Any) -> RunbookRow:
    return RunbookRow(
        op_id=m["op_id"],
        account=m["account"] or "",
        channel=m["channel"],
        thread_ts=m["thread_ts"],
        requester=m["requester"],
        confirmer=m["confirmer"],
        state_json=m["state_json"],
        step=m["step"],
        created_at=from_epoch(m["created_at"]),
        deadline=from_epoch(m["deadline"]),
        next_at=from_epoch(m["next_at"]),
        finished_at=from_epoch(m["finished_at"]) if m["finished_at"] is not None else None,
    )


class RunbookStore:
    engine: Engine
    channel_language: ChannelLanguage  # see Store

    def create_runbook(
        self,
        *,
        op_id: str,
        account: str,
        channel: str,
        thread_ts: str | None,
        requester: str,
        confirmer: str | None,
        state_json: str,
        step: str,
        now: datetime,
        deadline: datetime,
        messages: Sequence[OutboxMessage] = (),
    ) -> None:
        """Start driving a confirmed operation (its execution lease ends here: the runbook's
        own lease takes over)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(runbooks).values(
                    op_id=op_id,
                    account=account,
                    channel=channel,
                    thread_ts=thread_ts,
                    requester=requester,
                    confirmer=confirmer,
                    state_json=state_json,
                    step=step,
                    created_at=epoch(now),
                    deadline=epoch(deadline),
                    next_at=epoch(now),
                )
            )
            for message in messages:
                enqueue_in(conn, message, now, self.channel_language)
            _finish_execution(conn, op_id)
            audit_in(
                conn,
                now,
                AuditAction.RUNBOOK_STARTED,
                op_id=op_id,
                actor=confirmer,
                channel=channel,
                account=account,
            )

    def claim_runbooks(
        self, owner: str, now: datetime, *, lease_seconds: float, limit: int = 50
    ) -> list[RunbookRow]:
        r = runbooks.c
        at = epoch(now)
        rows = lease_rows(
            self.engine,
            runbooks,
            r.op_id,
            due=and_(r.step != DONE, r.next_at <= at),
            owner=owner,
            at=at,
            lease_seconds=lease_seconds,
            order_by=r.next_at,
            limit=limit,
            returning=list(runbooks.c),
        )
        return [_row(x._mapping) for x in rows]

    def save_runbook(
        self,
        op_id: str,
        owner: str,
        *,
        state_json: str,
        step: str,
        now: datetime,
        next_at: datetime,
        lease_seconds: float,
        messages: Sequence[OutboxMessage] = (),
        audit: tuple[AuditAction, dict[str, Any]] | None = None,
        keep_lease: bool = True,
        also_audit: tuple[AuditAction, dict[str, Any]] | None = None,
    ) -> bool:
        """Write a decision if this owner still holds the lease (renewing it, or giving it
        back with ``keep_lease=False``: the runbook waits until ``next_at``, and any replica
        may take it then); False if another replica took the runbook meanwhile (then nothing
        is written and nothing may be sent)."""
        r = runbooks.c
        at = epoch(now)
        done = step == DONE
        held = keep_lease and not done
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(runbooks)
                .where(r.op_id == op_id, r.lease_owner == owner)
                .values(
                    state_json=state_json,
                    step=step,
                    next_at=epoch(next_at),
                    lease_owner=owner if held else None,
                    lease_until=at + lease_seconds if held else None,
                    finished_at=at if done else None,
                )
            ).rowcount
            if changed != 1:
                return False
            for message in messages:
                enqueue_in(conn, message, now, self.channel_language)
            for event in (audit, also_audit):
                if event is None:
                    continue
                action, detail = event
                row = conn.execute(select(r.channel, r.account).where(r.op_id == op_id)).one()
                audit_in(
                    conn,
                    now,
                    action,
                    op_id=op_id,
                    detail=detail,
                    channel=row.channel,
                    account=row.account,
                )
        return True

    def runbook_of_job(self, job_id: str) -> RunbookRow | None:
        """The runbook whose resize is SDRS job ``job_id`` (its state names the job; the
        caller reads the state to be sure), or None."""
        quoted = job_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        r = runbooks.c
        query = select(runbooks).where(r.state_json.like(f'%"sdrs_job":"{quoted}"%', escape="\\"))
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(r.created_at.desc()).limit(1)).first()
        return _row(row._mapping) if row is not None else None

    def list_runbooks(self, channel: str, *, active_only: bool = True) -> list[RunbookRow]:
        r = runbooks.c
        query = select(runbooks).where(r.channel == channel).order_by(r.created_at.desc())
        if active_only:
            query = query.where(r.step != DONE)
        with self.engine.connect() as conn:
            return [_row(x._mapping) for x in conn.execute(query.limit(50)).all()]

    def release_runbook_leases(self, owner: str) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(runbooks)
                    .where(runbooks.c.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None)
                ).rowcount
            )
