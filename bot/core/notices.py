"""What the bot tells one person privately (an ephemeral reply), as data. Operations decide
which notice applies; the chat adapter renders it. Never stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.core.facts import FailureFacts
from bot.core.policy import Denial
from bot.core.preflight import Preflight
from bot.core.records import HistoryEntry, PendingOperation, ScheduledOperation, TrackedJob
from bot.core.wording import Wording


@dataclass(frozen=True)
class Denied:
    """The policy refused the request or the click."""

    denial: Denial


@dataclass(frozen=True)
class SameName:
    name: str


@dataclass(frozen=True)
class PreflightRefused:
    """The cloud's state refuses the resize: nothing was posted (``at_confirm``: at the
    Confirm click; the confirmation stays open)."""

    check: Preflight
    at_confirm: bool = False


@dataclass(frozen=True)
class CloudFailed:
    """A cloud call failed while a change was asked for (``at`` request: nothing was posted)
    or confirmed (``at`` confirm: the confirmation stays open); ``command``: the ``/sdrs``
    command of that change (bot.core.intents.command_text)."""

    failure: FailureFacts
    command: str = ""
    at: Literal["request", "confirm"] = "request"


@dataclass(frozen=True)
class NotPosted:
    """Slack did not take the confirmation (``error``: Slack's error code)."""

    error: str


@dataclass(frozen=True)
class UnknownOperation:
    pass


@dataclass(frozen=True)
class ForeignOperation:
    pass


@dataclass(frozen=True)
class AlreadyDecided:
    state: str  # an OpState value
    by: str | None


@dataclass(frozen=True)
class History:
    entries: list[HistoryEntry]
    links: dict[str, str] = field(default_factory=dict)  # message ts -> link to its thread
    page: int = 1  # which page of the listing to show (the renderer cuts it into pages)


@dataclass(frozen=True)
class JobStatus:
    job: TrackedJob
    now: datetime
    link: str | None = None  # to the job's thread


@dataclass(frozen=True)
class RunbookJob:
    """The SDRS resize job of a stop-resize-start runbook (not a tracked job of its own): the
    runbook's step, how its resize stands (bot.core.runbook.ResizeOutcome), since when."""

    job_id: str
    op: PendingOperation
    step: str
    resize: str
    started_at: datetime
    now: datetime
    link: str | None = None  # to the operation's thread


@dataclass(frozen=True)
class Jobs:
    jobs: list[TrackedJob]
    now: datetime
    links: dict[str, str] = field(default_factory=dict)  # thread ts -> link
    # operations waiting for their maintenance window, with the operation each belongs to
    scheduled: list[tuple[ScheduledOperation, PendingOperation]] = field(default_factory=list)
    # stop-resize-start runbooks under way: (their step, the operation)
    runbooks: list[tuple[str, PendingOperation]] = field(default_factory=list)
    # the resize jobs of runbooks that ended in the last day
    runbook_jobs: list[RunbookJob] = field(default_factory=list)
    page: int = 1  # which page of the listing to show (the renderer cuts it into pages)


@dataclass(frozen=True)
class UnknownWindow:
    """``window=NAME`` names no window configured for this account (``available``: those
    that are)."""

    name: str
    available: tuple[str, ...]


@dataclass(frozen=True)
class CannotSchedule:
    """The window or time cannot be used (``problem``: what is wrong, from bot.core.windows,
    translated where it is shown)."""

    problem: Wording


@dataclass(frozen=True)
class NotCancellable:
    """A scheduled operation that can no longer be cancelled: ``state`` started, not-started
    or cancelled (``by``: who cancelled it)."""

    state: str
    by: str | None = None


@dataclass(frozen=True)
class UnknownJob:
    job_id: str


@dataclass(frozen=True)
class NameUnresolved:
    """A typed name matched no ``what`` (or ``several``); ``candidates``: (name, id) pairs."""

    what: str
    name: str
    candidates: list[tuple[str, str]]
    several: bool = False


@dataclass(frozen=True)
class NoAccount:
    """No cloud account for this request here: the channel is bound to none (``unbound``),
    the one asked for is not bound here (``not-here``), or several are and none was asked
    for (``ambiguous``); ``available``: what may be asked for in this channel."""

    reason: str
    available: tuple[str, ...]
    asked: str = ""


@dataclass(frozen=True)
class NotHandled:
    """An acked command or click kept failing and was set aside (``attempts`` tries)."""

    attempts: int


Notice = (
    Denied
    | SameName
    | PreflightRefused
    | CloudFailed
    | NotPosted
    | UnknownOperation
    | ForeignOperation
    | AlreadyDecided
    | History
    | JobStatus
    | RunbookJob
    | Jobs
    | UnknownJob
    | NotHandled
    | NameUnresolved
    | NoAccount
    | UnknownWindow
    | CannotSchedule
    | NotCancellable
)
