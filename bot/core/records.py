"""The records the store keeps and returns: plain, immutable data (the store maps rows to
them; operations and pure decisions read them without knowing the store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.facts import OPERATION_FACTS, LegacyFacts, Message, OperationFacts, ResizeFacts
from bot.core.intents import INTENT, Intent
from bot.core.language import Language
from bot.core.states import AuditAction, JobKind, JobState, OpKind, OpState, ScheduleState


@dataclass(frozen=True)
class OutboxMessage:
    """A Slack message to deliver: ``content`` says what (facts, rendered when sent);
    ``ts`` set means a ``chat.update`` of that message, else a ``chat.postMessage``."""

    dedupe_key: str
    channel: str
    content: Message
    thread_ts: str | None = None
    ts: str | None = None
    reply_broadcast: bool = False
    # its audience's language, decided when it is queued (the channel binding's); None: not
    # decided (a row queued before there were languages): English
    language: Language | None = None

    @property
    def method(self) -> str:
        return "chat.update" if self.ts else "chat.postMessage"


@dataclass(frozen=True)
class PendingOperation:
    id: str
    kind: OpKind
    intent_json: str
    facts_json: str | None
    request_key: str | None
    requester: str
    channel: str
    message_ts: str | None
    created_at: datetime
    expires_at: datetime
    state: OpState
    decided_by: str | None = None
    decided_at: datetime | None = None
    checked_json: str | None = None  # what the preflight showed (resize), for Confirm
    summary: str = ""  # rendered text of operations stored before facts existed
    account: str = ""  # the cloud account it acts on ("": stored before accounts existed)

    @property
    def intent(self) -> Intent:
        return INTENT.validate_json(self.intent_json)

    @property
    def facts(self) -> OperationFacts:
        if self.facts_json:
            return OPERATION_FACTS.validate_json(self.facts_json)
        return LegacyFacts(summary=self.summary)


@dataclass(frozen=True)
class Transition:
    """The outcome of trying to move a pending operation: ``won`` is True for exactly one caller.
    ``op`` is the operation as it is after the attempt (None: no such operation)."""

    won: bool
    op: PendingOperation | None


@dataclass(frozen=True)
class TrackedJob:
    job_id: str
    op_id: str | None
    kind: JobKind
    subject: str
    channel: str
    thread_ts: str | None
    requester: str
    confirmer: str | None
    detail: dict[str, Any]
    submitted_at: datetime
    next_check_at: datetime
    checks: int
    errors: int
    last_status: str | None
    state: JobState
    stuck_reported: bool
    finished_at: datetime | None
    account: str = ""  # the cloud account it runs in ("": stored before accounts existed)

    @property
    def facts(self) -> OperationFacts:
        """What the job's operation changes (stored with the job when it was submitted)."""
        if "op" in self.detail:
            return OPERATION_FACTS.validate_python(self.detail["op"])
        return LegacyFacts(summary=str(self.detail.get("summary") or f"resize of {self.subject}"))

    @property
    def new_flavors(self) -> dict[str, str]:
        """Site -> new flavor of a resize job (from its facts, or as older versions kept it)."""
        facts = self.facts
        if isinstance(facts, ResizeFacts):
            return facts.new_flavors()
        return {str(k): str(v) for k, v in dict(self.detail.get("sites") or {}).items()}

    @property
    def confirmed_at(self) -> datetime | None:
        at = self.detail.get("confirmed_at")
        return datetime.fromisoformat(at) if isinstance(at, str) else None


@dataclass(frozen=True)
class JobUpdate:
    next_check_at: datetime | None
    state: JobState
    checks: int
    errors: int
    last_status: str | None
    stuck_reported: bool
    finished_at: datetime | None = None


@dataclass(frozen=True)
class CheckResult:
    job_id: str
    change: JobUpdate
    messages: Sequence[OutboxMessage] = ()
    audit: tuple[AuditAction, dict[str, Any]] | None = None


@dataclass(frozen=True)
class HistoryEntry:
    op_id: str
    kind: str
    facts: OperationFacts
    requester: str
    requested_at: datetime
    state: str  # pending | confirmed | cancelled | expired | stale
    decided_by: str | None
    outcome: str | None  # e.g. "SUCCESS", "FAIL", "submitted", "renamed", "rename-failed"
    job_id: str | None
    error_code: str | None = None  # SDRS's code for a refusal or a failed job, where known
    message_ts: str | None = None  # the confirmation message: the operation's thread
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduledOperation:
    """A confirmed operation waiting for its window (``window`` "": a one-off ``when=``)."""

    op_id: str
    account: str
    channel: str
    window: str
    starts_at: datetime
    ends_at: datetime
    moves_on_miss: bool
    state: ScheduleState
    created_at: datetime
    moves: int = 0  # times it moved to a next window
    reason: str | None = None  # not started: bot.core.windows.NotStartedReason
    cancelled_by: str | None = None
