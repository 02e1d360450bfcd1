"""Facts the bot stores and the chat adapter renders when it sends a message.

The store never keeps rendered text: an operation keeps :data:`OperationFacts` (what it
changes, with the names and flavors the preflight read), an outbox row keeps a
:data:`Message` (what to say, as data), and the adapter (``handlers.render``) turns them into
text and blocks at the moment they are sent. Rewording a sentence therefore changes how every
past operation displays, consistently, and a new chat surface renders the same facts its way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bot.core.errors import ApiError, CloudError, OutcomeUnknownError, TransportError
from bot.core.intents import RenameDrillIntent, ResizeIntent
from bot.core.preflight import Preflight
from bot.core.states import EventKind, OpState
from bot.core.wire.ecs import Flavor
from bot.core.wording import Wording, verbatim

Site = Literal["production", "dr"]


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# ---- what an operation changes -----------------------------------------------------------


class FlavorFacts(_Fact):
    id: str
    vcpus: int = 0
    ram: int = 0  # MiB

    @classmethod
    def of(cls, flavor: Flavor | None, name: str) -> FlavorFacts:
        return (
            cls(id=name)
            if flavor is None
            else cls(id=flavor.id, vcpus=flavor.vcpus, ram=flavor.ram)
        )


class SiteChange(_Fact):
    site: Site
    server_id: str
    server_name: str | None = None
    current: FlavorFacts
    new: FlavorFacts
    host: str | None = None  # the dedicated host id sent for this site
    host_name: str | None = None  # its name, as the DeH API gave it
    host_from: str | None = None  # the host it is on now, when it moves to another
    power: str | None = None  # the server's ECS status when the confirmation was made


class WarningFacts(_Fact):
    kind: str  # bot.core.preflight.Warning
    what: str


class _OnAccount(_Fact):
    account: str = ""  # the cloud account it acts on ("": from before accounts)
    region: str = ""


class ScheduleFacts(_Fact):
    """When a scheduled operation runs (or why it did not): its window occurrence, whether it
    moves to the next window when it cannot start, and its state."""

    op_id: str = ""  # for the Cancel button kept while it is scheduled
    window: str = ""  # the window's name; "": a one-off when= time
    spec: str = ""  # the window as configured, e.g. "Sun 02:00-04:00 Asia/Shanghai"
    starts_at: datetime
    ends_at: datetime
    moves_on_miss: bool = False
    state: Literal["scheduled", "cancelled", "not-started"] = "scheduled"
    by: str | None = None  # who cancelled it
    reason: str | None = None  # not started: bot.core.windows.NotStartedReason


class ResizeFacts(_OnAccount):
    kind: Literal["resize"] = "resize"
    instance_id: str
    instance_name: str | None = None
    group_name: str | None = None
    changes: list[SiteChange] = Field(default_factory=list)
    one_flavor: bool = False  # flavorRef: one flavor for both sites
    stop_start: bool = False  # power=stop-start: running servers stopped first, started after
    hard_stop: bool = False
    warnings: list[WarningFacts] = Field(default_factory=list)
    schedule: ScheduleFacts | None = None  # window=/when=: when it runs (as first planned)

    def new_flavors(self) -> dict[str, str]:
        return {c.site: c.new.id for c in self.changes}


class RenameFacts(_OnAccount):
    kind: Literal["rename_drill"] = "rename_drill"
    drill_id: str
    current_name: str | None = None
    new_name: str
    group_name: str | None = None


class LegacyFacts(_Fact):
    """An operation stored before facts existed: only its rendered summary is known."""

    kind: Literal["legacy"] = "legacy"
    summary: str


OperationFacts = Annotated[ResizeFacts | RenameFacts | LegacyFacts, Field(discriminator="kind")]
OPERATION_FACTS: TypeAdapter[OperationFacts] = TypeAdapter(OperationFacts)


def resize_facts(
    intent: ResizeIntent, check: Preflight, catalogue: dict[str, Flavor], *, region: str = ""
) -> ResizeFacts:
    """What a resize confirmation shows: each resized site's physical server, current and new
    flavor (with sizes where known), dedicated host, and the preflight's warnings."""
    hosts = {"production": intent.production_host, "dr": intent.dr_host}
    chosen = {h.site: h for h in check.hosts}
    return ResizeFacts(
        account=intent.account,
        region=region,
        instance_id=intent.instance_id,
        instance_name=check.instance_name,
        group_name=check.group_name,
        changes=[
            SiteChange(
                site="production" if c.site == "production" else "dr",
                server_id=c.server_id,
                server_name=c.server_name or None,
                current=FlavorFacts.of(c.current, c.current.id),
                new=FlavorFacts.of(catalogue.get(c.new_flavor), c.new_flavor),
                host=chosen[c.site].host_id if c.site in chosen else hosts.get(c.site),
                host_name=chosen[c.site].host_name or None if c.site in chosen else None,
                host_from=(
                    chosen[c.site].current_host_id or None
                    if c.site in chosen and not chosen[c.site].stays
                    else None
                ),
                power=c.status or None,
            )
            for c in check.changes
        ],
        one_flavor=intent.flavor is not None,
        stop_start=intent.stop_start,
        hard_stop=intent.stop == "hard",
        warnings=[WarningFacts(kind=str(kind), what=what) for kind, what in check.warnings],
    )


def rename_facts(
    intent: RenameDrillIntent,
    current_name: str | None,
    group_name: str | None,
    *,
    region: str = "",
) -> RenameFacts:
    return RenameFacts(
        drill_id=intent.drill_id,
        current_name=current_name,
        new_name=intent.name,
        group_name=group_name,
        account=intent.account,
        region=region,
    )


class WordingFacts(_Fact):
    """A :class:`~bot.core.wording.Wording` as stored data (msgid and values), so a stored
    sentence the bot wrote is translated when it is shown, in its reader's language."""

    msgid: str
    values: dict[str, str | int | WordingFacts] = Field(default_factory=dict)

    @classmethod
    def of(cls, w: Wording) -> WordingFacts:
        return cls(
            msgid=w.msgid,
            values={k: cls.of(v) if isinstance(v, Wording) else v for k, v in w.values.items()},
        )

    def wording(self) -> Wording:
        return Wording(
            self.msgid,
            {k: v.wording() if isinstance(v, WordingFacts) else v for k, v in self.values.items()},
        )


# ---- what went wrong at the cloud ---------------------------------------------------------


UNAVAILABLE_STATUSES = frozenset({429, 500, 502, 503, 504})  # the cloud is busy or failing
GATEWAY_TIMEOUTS = frozenset({502, 504})  # a change behind them may have been carried out


class FailureFacts(_Fact):
    """A cloud failure as data: ``kind`` api (the service refused: code, message, request
    id), unknown (no reliable answer to a non-idempotent call: ``said_hint`` says what to
    check; ``hint``, its English, is all a row stored before it has), or transport (no
    answer). ``method``, ``status`` (api), ``retry_after`` (seconds, when the cloud said) and
    ``unreachable``/``maybe_sent`` (transport: no connection / the request may have reached
    it) tell whether the cloud was unavailable and what was sent."""

    kind: Literal["api", "unknown", "transport"]
    code: str | None = None
    message: str = ""
    request_id: str | None = None
    hint: str = ""  # the hint in English (rows stored before ``hint_wording`` have only this)
    hint_wording: WordingFacts | None = None
    method: str = ""
    status: int | None = None
    retry_after: float | None = None
    unreachable: bool = False
    maybe_sent: bool = False

    @classmethod
    def unknown(cls, message: str, hint: Wording) -> FailureFacts:
        """No reliable answer: ``hint`` says what to check before asking again."""
        return cls(
            kind="unknown", message=message, hint=hint.english(), hint_wording=WordingFacts.of(hint)
        )

    @property
    def said_hint(self) -> Wording:
        """The hint to show: its wording, else (a row stored before wordings) the English
        it was stored with, as it is."""
        if self.hint_wording is not None:
            return self.hint_wording.wording()
        return verbatim(self.hint)

    @classmethod
    def of(cls, error: CloudError) -> FailureFacts:
        if isinstance(error, OutcomeUnknownError):
            hint = error.hint_wording
            return cls(
                kind="unknown",
                message=str(error),
                hint=error.hint,
                hint_wording=WordingFacts.of(hint) if hint is not None else None,
                method=error.method,
                maybe_sent=True,
            )
        if isinstance(error, ApiError):
            return cls(
                kind="api",
                code=error.code,
                message=error.message,
                request_id=error.request_id,
                method=error.method,
                status=error.status,
                retry_after=error.retry_after,
            )
        if isinstance(error, TransportError):
            return cls(
                kind="transport",
                message=str(error),
                method=error.method,
                unreachable=True,
                maybe_sent=error.maybe_sent,
            )
        return cls(kind="transport", message=str(error), method=error.method)

    @property
    def unavailable(self) -> bool:
        """The cloud was busy, failing or unreachable (429, 5xx, no connection): a matter of
        trying again later, not of the request."""
        if self.kind == "api":
            return self.status in UNAVAILABLE_STATUSES
        return self.kind == "transport" and self.unreachable

    @property
    def sent(self) -> Literal["no", "not-done", "maybe"]:
        """What became of the request: never sent, answered without being carried out, or
        possibly carried out (a change that may have reached the cloud before it failed)."""
        if self.kind == "transport" and not self.maybe_sent:
            return "no"
        if self.method.upper() in ("", "GET", "HEAD"):
            return "not-done"  # a read changes nothing
        if self.kind == "unknown" or self.maybe_sent:
            return "maybe"
        return "maybe" if self.status in GATEWAY_TIMEOUTS else "not-done"


# ---- messages the outbox delivers ---------------------------------------------------------


class Decided(_Fact):
    """The confirmation message after its decision (a ``chat.update`` of it): the buttons are
    replaced by how it ended, and later by the end state of what it started."""

    kind: Literal["decided"] = "decided"
    op: OperationFacts
    requester: str
    state: OpState
    by: str | None = None
    at: datetime | None = None
    changed_sites: list[str] = Field(default_factory=list)  # stale: what changed
    renamed_since: str | None = None  # stale rename: the drill's name now
    job_id: str | None = None
    job_status: str | None = None  # SUCCESS | FAIL once the job ended
    failure: FailureFacts | None = None  # refused or unknown at submission
    renamed_to: str | None = None
    # a stop-resize-start: under way, or how it ended (done: resized and every stopped server
    # runs again; attention: anything else)
    runbook: Literal["running", "done", "attention"] | None = None
    runbook_resize: str | None = None  # bot.core.runbook.ResizeOutcome
    runbook_left_stopped: list[str] = Field(default_factory=list)  # server names
    runbook_stopped: int = 0  # how many servers it stopped
    runbook_problem: str | None = None  # why it did not go as planned (Runbook.problem)
    schedule: ScheduleFacts | None = None  # approved to run in a window: when (or why not)


class NotStarted(_Fact):
    """A scheduled operation that did not start in its window, and why; ``next_*``: it moved
    to that window (only when asked for with if-missed=next)."""

    kind: Literal["not-started"] = "not-started"
    requester: str
    window: str = ""
    starts_at: datetime
    ends_at: datetime
    reason: str  # bot.core.windows.NotStartedReason
    detail: str = ""  # the preflight's refusal, in English (all a row stored before has)
    detail_wording: WordingFacts | None = None  # the same, translated where shown
    estimate_seconds: float = 0
    next_starts_at: datetime | None = None
    next_ends_at: datetime | None = None

    @property
    def said_detail(self) -> Wording:
        """The refusal to show: its wording, else (a row stored before wordings) the English
        it was stored with, as it is."""
        if self.detail_wording is not None:
            return self.detail_wording.wording()
        return verbatim(self.detail)


class Submitted(_Fact):
    kind: Literal["submitted"] = "submitted"
    job_id: str


class SubmitFailed(_Fact):
    kind: Literal["submit-failed"] = "submit-failed"
    failure: FailureFacts
    command: str = ""  # the /sdrs command that asks for it again


class Renamed(_Fact):
    kind: Literal["renamed"] = "renamed"
    name: str
    unreadable: bool = False  # SDRS's answer could not be read; the drill shows the name


class SubJobFailure(_Fact):
    job_id: str
    job_type: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None


class FinalReport(_Fact):
    kind: Literal["final"] = "final"
    op: OperationFacts
    requester: str
    confirmer: str | None = None
    job_id: str
    job_type: str | None = None
    status: str
    seconds: float
    new_flavors: dict[str, str] = Field(default_factory=dict)  # site -> flavor
    error_code: str | None = None
    fail_reason: str | None = None
    failed_sub_jobs: list[SubJobFailure] = Field(default_factory=list)


class StuckReport(_Fact):
    kind: Literal["stuck"] = "stuck"
    requester: str
    job_id: str
    seconds: float
    status: str | None = None
    stopped: bool = False


class Interrupted(_Fact):
    """A resize whose outcome is not known - a restart hid it (``cause`` restart), or SDRS
    answered 2xx with a body that cannot be read (``unreadable``): ``received`` when the
    instance shows SDRS got it (then it is followed through the instance)."""

    kind: Literal["interrupted"] = "interrupted"
    instance_id: str
    received: bool
    cause: Literal["restart", "unreadable"] = "restart"


class Announcement(_Fact):
    """One line for an audit/on-call channel (NOTIFY_ROUTES)."""

    kind: Literal["announce"] = "announce"
    event: EventKind
    op: OperationFacts
    channel: str
    actor: str | None = None
    job_id: str | None = None
    error_code: str | None = None
    no_answer: bool = False  # failed without an answer from SDRS
    out_of_date: bool = False
    interrupted: bool = False
    unreadable: bool = False  # outcome unknown: the cloud's 2xx answer could not be read
    renamed_to: str | None = None
    still: str | None = None  # stuck: the job's last status
    thread_ts: str | None = None  # the operation's thread in ``channel``, linked to when known


class RunbookEvent(_Fact):
    """One step of a stop-resize-start runbook, for its thread (``loud``: broadcast too)."""

    kind: Literal["runbook"] = "runbook"
    event: str  # bot.core.runbook.Report.event
    requester: str
    servers: list[str] = Field(default_factory=list)  # names
    detail: str = ""  # runbook-done: how the resize ended (bot.core.runbook.ResizeOutcome)
    code: str | None = None
    stopped: int = 0  # runbook-done: how many servers the bot stopped
    why: str = ""  # runbook-done: why it did not go as planned
    unavailable: bool = False  # a refused call: the cloud was unavailable (try again later)
    retry_after: float | None = None
    loud: bool = False


class Rendered(_Fact):
    """A message queued before facts existed (rows written by an older version)."""

    kind: Literal["rendered"] = "rendered"
    text: str
    blocks: list[dict[str, object]] | None = None


Message = Annotated[
    Decided
    | Submitted
    | SubmitFailed
    | Renamed
    | FinalReport
    | StuckReport
    | Interrupted
    | Announcement
    | RunbookEvent
    | NotStarted
    | Rendered,
    Field(discriminator="kind"),
]
MESSAGE: TypeAdapter[Message] = TypeAdapter(Message)
