"""The stop-resize-start runbook, decided step by step. Pure: (the runbook as stored, what was
read this time) -> (the runbook to store, the one action to take, what to report).

SDRS resizes only stopped servers. A runbook stops the resized sites' servers that are
running, resizes once, and starts again exactly the servers it stopped - whatever the resize
did. Every call that changes something (ECS stop, SDRS resize, ECS start) is marked
``sending`` in the store *before* it is sent; a runbook found ``sending`` after a crash does not
know whether the call went out, so it decides from what the cloud shows and never sends it
again:

* a stop that may have been sent: servers no longer ACTIVE, or ECS powering them off (its
  ``task_state``) -> it was (wait until SHUTOFF); all still ACTIVE with no task for
  :data:`SETTLE_SECONDS` after it was marked -> end here, nothing else done (the servers run,
  nothing changed);
* a resize that may have been sent: followed through the protected instance's status, then the
  servers are started again;
* a start that may have been sent: servers no longer SHUTOFF, or powering on -> it was; all
  still SHUTOFF with no task for :data:`SETTLE_SECONDS` -> end here and say loudly (broadcast)
  which servers the bot left stopped.

ECS keeps a server's ``status`` until its stop or start job ends (``task_state`` says what it
is doing meanwhile), and an accepted batch action shows within seconds; SETTLE_SECONDS is the
margin before "nothing shows" is taken to mean "never sent".

Servers the bot stopped and could not start again are always reported loudly.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.wire.sdrs import JobStatus
from bot.core.wording import N_

SETTLE_SECONDS = 120.0
UNAVAILABLE = N_(
    "Huawei Cloud was unavailable"
)  # why a call was refused: busy, failing, unreachable
POWERING = {"stop": "powering-off", "start": "powering-on"}  # ECS task_state during the job


class Step(StrEnum):
    STOPPING = "stopping"
    RESIZING = "resizing"
    STARTING = "starting"
    DONE = "done"


ResizeOutcome = Literal["pending", "submitted", "success", "fail", "refused", "unknown"]


class Server(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    site: str  # production | dr


class Runbook(BaseModel):
    """What the store keeps of one stop-resize-start operation."""

    model_config = ConfigDict(frozen=True)
    servers: list[Server]  # the resized sites' servers
    to_stop: list[str]  # ids that were ACTIVE when it was confirmed
    hard_stop: bool = False
    step: Step = Step.STOPPING
    sending: bool = False  # a changing call was about to be sent; not known whether it was
    sending_at: datetime | None = None  # when it was marked sending
    sent: bool = False  # this step's changing call was sent (or found to have been)
    ecs_job: str | None = None
    sdrs_job: str | None = None
    stopped: list[str] = Field(default_factory=list)  # ids the bot stopped (to start again)
    resize: ResizeOutcome = "pending"
    error_code: str | None = None  # SDRS's, when the resize failed or was refused
    problem: str | None = None  # why a step did not go as planned (for the report)
    left_stopped: list[str] = Field(default_factory=list)  # stopped by us, not started again
    # a loud report already told the channel how it ends: the closing line is not broadcast
    # again (a failed stop that stopped nothing, servers left stopped)
    end_told: bool = False

    def name_of(self, server_id: str) -> str:
        return next((s.name for s in self.servers if s.id == server_id), server_id)

    def name_list(self, ids: list[str]) -> list[str]:
        return [self.name_of(i) for i in ids]


class Seen(BaseModel):
    """What the driver read for this decision (only what the step needs)."""

    model_config = ConfigDict(frozen=True)
    power: dict[str, str] = Field(default_factory=dict)  # server id -> ECS status
    tasks: dict[str, str] = Field(default_factory=dict)  # server id -> ECS task_state, if any
    now: datetime | None = None  # when it was read (for a call marked sending)
    ecs_job: JobStatus | None = None
    ecs_error: str | None = None
    sdrs_job: JobStatus | None = None
    sdrs_error: str | None = None
    instance_resizing: bool | None = None  # a resize in flight (followed through the instance)
    instance_failed: bool = False  # the instance is error-resizing
    resized_as_asked: bool | None = None  # the servers now have the flavors the intent asked for
    preflight_refusal: str | None = None  # set when the re-run preflight refuses
    preflight_ran: bool = False


class Wait(BaseModel):
    kind: Literal["wait"] = "wait"


class Stop(BaseModel):
    kind: Literal["stop"] = "stop"
    ids: list[str]
    hard: bool = False


class Preflight(BaseModel):
    kind: Literal["preflight"] = "preflight"


class Resize(BaseModel):
    kind: Literal["resize"] = "resize"


class Start(BaseModel):
    kind: Literal["start"] = "start"
    ids: list[str]


class Finish(BaseModel):
    kind: Literal["finish"] = "finish"


Action = Wait | Stop | Preflight | Resize | Start | Finish


class Report(BaseModel):
    """One thread reply: ``event`` names it; ``loud``: broadcast to the channel too."""

    model_config = ConfigDict(frozen=True)
    event: str
    servers: list[str] = Field(default_factory=list)  # names
    detail: str = ""
    code: str | None = None  # SDRS's error code (runbook-done of a failed resize)
    unavailable: bool = False  # a refused call: the cloud was unavailable (try again later)
    retry_after: float | None = None  # ... and said when
    stopped: int = 0  # runbook-done: how many servers the bot stopped
    why: str = ""  # runbook-done: why it did not go as planned (Runbook.problem)
    loud: bool = False


class Next(BaseModel):
    model_config = ConfigDict(frozen=True)
    runbook: Runbook
    action: Action
    reports: list[Report] = Field(default_factory=list)


def _to(rb: Runbook, step: Step, **changes: object) -> Runbook:
    return rb.model_copy(
        update={"step": step, "sending": False, "sending_at": None, "sent": False, **changes}
    )


def _found_sent(rb: Runbook) -> Runbook:
    return rb.model_copy(update={"sending": False, "sending_at": None, "sent": True})


def _moved(rb: Runbook, seen: Seen, call: Literal["stop", "start"]) -> list[str]:
    """The servers of a call that may have been sent that show it was: their status is no
    longer what it was before, or ECS is at work on them."""
    before = "ACTIVE" if call == "stop" else "SHUTOFF"
    return [
        i
        for i in rb.stopped
        if seen.power.get(i, before) != before or seen.tasks.get(i) == POWERING[call]
    ]


def _may_still_show(rb: Runbook, seen: Seen) -> bool:
    """A call marked sending a short while ago may have been accepted and not yet show."""
    if rb.sending_at is None or seen.now is None:
        return False
    return (seen.now - rb.sending_at).total_seconds() < SETTLE_SECONDS


def decide(rb: Runbook, seen: Seen) -> Next:
    if rb.step is Step.STOPPING:
        return _stopping(rb, seen)
    if rb.step is Step.RESIZING:
        return _resizing(rb, seen)
    if rb.step is Step.STARTING:
        return _starting(rb, seen)
    return Next(runbook=rb, action=Finish())


def _stopping(rb: Runbook, seen: Seen) -> Next:
    if rb.sending:  # a crash while asking ECS to stop: decide from the servers
        if not _moved(rb, seen, "stop"):
            if _may_still_show(rb, seen):
                return Next(runbook=rb, action=Wait())
            why = N_("interrupted while asking ECS to stop")
            done = _to(rb, Step.DONE, stopped=[], problem=why)
            report = Report(event="ended-before-stop", servers=rb.name_list(rb.stopped))
            return Next(runbook=done, action=Finish(), reports=[report])
        rb = _found_sent(rb)
    if not rb.sent:
        running = [i for i in rb.to_stop if seen.power.get(i) == "ACTIVE"]
        if not running:
            off = Report(event="nothing-to-stop", servers=rb.name_list([s.id for s in rb.servers]))
            return Next(runbook=_to(rb, Step.RESIZING), action=Preflight(), reports=[off])
        return Next(
            runbook=rb,
            action=Stop(ids=running, hard=rb.hard_stop),
            reports=[Report(event="stopping", servers=rb.name_list(running))],
        )
    if seen.ecs_job is JobStatus.FAIL:
        really = [i for i in rb.stopped if seen.power.get(i) == "SHUTOFF"]
        # nothing stopped: this broadcast is the last word (nothing to start again)
        after = _to(
            rb, Step.STARTING, stopped=really, problem=N_("the stop failed"), end_told=not really
        )
        report = Report(
            event="stop-failed",
            servers=rb.name_list(rb.stopped),
            detail=seen.ecs_error or "",
            loud=True,
        )
        return Next(runbook=after, action=Wait(), reports=[report])
    all_off = all(seen.power.get(i) == "SHUTOFF" for i in rb.stopped)
    if all_off and seen.ecs_job in (None, JobStatus.SUCCESS):
        stopped = Report(event="stopped", servers=rb.name_list(rb.stopped))
        return Next(runbook=_to(rb, Step.RESIZING), action=Preflight(), reports=[stopped])
    return Next(runbook=rb, action=Wait())


def _resizing(rb: Runbook, seen: Seen) -> Next:
    if rb.resize == "pending" and not rb.sending:
        if not seen.preflight_ran:
            return Next(runbook=rb, action=Preflight())
        if seen.preflight_refusal is not None:
            after = _to(rb, Step.STARTING, resize="refused", problem=seen.preflight_refusal)
            report = Report(
                event="resize-refused",
                detail=seen.preflight_refusal,
                servers=rb.name_list(rb.stopped),
            )
            return Next(runbook=after, action=Wait(), reports=[report])
        return Next(runbook=rb, action=Resize())
    if rb.sending or rb.resize == "unknown":  # may have been sent: follow the instance
        rb = rb.model_copy(update={"sending": False, "sending_at": None, "resize": "unknown"})
        if seen.instance_resizing is None or seen.instance_resizing:
            return Next(runbook=rb, action=Wait())
        if seen.resized_as_asked:  # the servers have the flavors asked for: it was done
            report = Report(event="resized-seen", servers=rb.name_list([s.id for s in rb.servers]))
            return Next(
                runbook=_to(rb, Step.STARTING, resize="success"), action=Wait(), reports=[report]
            )
        if seen.instance_failed:
            report = Report(
                event="resize-failed",
                detail=N_("the instance is error-resizing"),
                servers=rb.name_list(rb.stopped),
                loud=True,
            )
            return Next(
                runbook=_to(rb, Step.STARTING, resize="fail"), action=Wait(), reports=[report]
            )
        report = Report(
            event="resize-unknown-ended",
            detail=N_(
                "the resize's outcome was not known; the instance is no longer "
                "resizing and its servers do not have the flavors asked for: "
                "check them"
            ),
        )
        return Next(runbook=_to(rb, Step.STARTING), action=Wait(), reports=[report])
    if rb.resize == "submitted":
        if seen.sdrs_job is JobStatus.SUCCESS:
            report = Report(event="resized")
            return Next(
                runbook=_to(rb, Step.STARTING, resize="success"), action=Wait(), reports=[report]
            )
        if seen.sdrs_job is JobStatus.FAIL:
            report = Report(
                event="resize-failed",
                detail=seen.sdrs_error or "",
                servers=rb.name_list(rb.stopped),
                loud=True,
            )
            after = _to(rb, Step.STARTING, resize="fail", error_code=seen.sdrs_error)
            return Next(runbook=after, action=Wait(), reports=[report])
        return Next(runbook=rb, action=Wait())
    # refused at submission (fail) or already past: go on to start the servers again
    return Next(runbook=_to(rb, Step.STARTING), action=Wait())


def _starting(rb: Runbook, seen: Seen) -> Next:
    if not rb.stopped:
        return Next(runbook=_to(rb, Step.DONE), action=Finish(), reports=[_done(rb)])
    if rb.sending:  # a crash while asking ECS to start: decide from the servers
        if not _moved(rb, seen, "start"):
            if _may_still_show(rb, seen):
                return Next(runbook=rb, action=Wait())
            return _left_stopped(rb, rb.stopped, N_("interrupted while asking ECS to start"))
        rb = _found_sent(rb)
    if not rb.sent:
        starting = Report(event="starting", servers=rb.name_list(rb.stopped))
        return Next(runbook=rb, action=Start(ids=list(rb.stopped)), reports=[starting])
    if seen.ecs_job is JobStatus.FAIL:
        off = [i for i in rb.stopped if seen.power.get(i) != "ACTIVE"]
        return _left_stopped(
            rb, off, "the start failed" + (f": {seen.ecs_error}" if seen.ecs_error else "")
        )
    if all(seen.power.get(i) == "ACTIVE" for i in rb.stopped):
        done = _to(rb, Step.DONE)
        started = Report(event="started", servers=rb.name_list(rb.stopped))
        return Next(runbook=done, action=Finish(), reports=[started, _done(done)])
    broken = [i for i in rb.stopped if seen.power.get(i) == "ERROR"]
    if broken:
        return _left_stopped(rb, broken, N_("ERROR instead of ACTIVE after the start"))
    return Next(runbook=rb, action=Wait())


def _left_stopped(rb: Runbook, ids: list[str], why: str) -> Next:
    done = _to(rb, Step.DONE, left_stopped=ids, problem=why, end_told=True)
    report = Report(event="left-stopped", servers=rb.name_list(ids), detail=why, loud=True)
    return Next(runbook=done, action=Finish(), reports=[report, _done(done)])


def _done(rb: Runbook) -> Report:
    """The closing line: how the resize ended (and why, when it did not go as planned), and
    whether every stopped server runs again; broadcast when it did not go as planned, unless a
    loud report already said how it ends (nothing is broadcast twice)."""
    loud = (rb.resize != "success" or bool(rb.left_stopped)) and not rb.end_told
    return Report(
        event="runbook-done",
        servers=rb.name_list(rb.left_stopped),
        detail=rb.resize,
        code=rb.error_code,
        stopped=len(rb.stopped),
        why=rb.problem or "",
        loud=loud,
    )


# ---- around a changing call -----------------------------------------------------------------


class Sent(BaseModel):
    kind: Literal["sent"] = "sent"
    job_id: str


class Refused(BaseModel):
    """The service answered with an error, or the call never left: it did not happen
    (``unavailable``: the cloud was busy, failing or unreachable - try again later,
    ``retry_after`` seconds when it said)."""

    kind: Literal["refused"] = "refused"
    code: str | None = None
    message: str = ""
    unavailable: bool = False
    retry_after: float | None = None


class Unknown(BaseModel):
    """No reliable answer: the call may or may not have happened (``unreadable``: the service
    answered 2xx, so it took the call, with a body that cannot be read - no job id)."""

    kind: Literal["unknown"] = "unknown"
    unreadable: bool = False


Outcome = Sent | Refused | Unknown


def before_send(rb: Runbook, action: Stop | Resize | Start, now: datetime | None = None) -> Runbook:
    """What the store records before the call goes out (committed first)."""
    marked: dict[str, object] = {"sending": True, "sending_at": now}
    if isinstance(action, Stop):
        return rb.model_copy(update={**marked, "stopped": list(action.ids)})
    return rb.model_copy(update=marked)


def after_send(rb: Runbook, action: Stop | Resize | Start, outcome: Outcome) -> Next:
    """What the answer to the call means for the runbook."""
    if isinstance(outcome, Unknown):  # stays "sending": decided from the cloud's state next
        if not outcome.unreadable:
            return Next(runbook=rb, action=Wait())
        ids = list(action.ids) if isinstance(action, Stop | Start) else []
        report = Report(event=f"{action.kind}-unreadable", servers=rb.name_list(ids))
        return Next(runbook=rb, action=Wait(), reports=[report])
    if isinstance(action, Stop):
        if isinstance(outcome, Refused):
            why = UNAVAILABLE if outcome.unavailable else f"ECS refused the stop: {outcome.code}"
            done = _to(rb, Step.DONE, stopped=[], problem=why)
            report = Report(
                event="stop-refused",
                servers=rb.name_list(action.ids),
                detail=f"{outcome.code or ''} {outcome.message}".strip(),
                unavailable=outcome.unavailable,
                retry_after=outcome.retry_after,
            )
            return Next(runbook=done, action=Finish(), reports=[report])
        after = _found_sent(rb).model_copy(update={"ecs_job": outcome.job_id})
        return Next(runbook=after, action=Wait())
    if isinstance(action, Resize):
        if isinstance(outcome, Refused):
            after = _to(
                rb,
                Step.STARTING,
                resize="fail",
                error_code=outcome.code,
                problem=UNAVAILABLE if outcome.unavailable else None,
            )
            report = Report(
                event="resize-failed",
                detail=f"{outcome.code or ''} {outcome.message}".strip(),
                servers=rb.name_list(rb.stopped),
                unavailable=outcome.unavailable,
                retry_after=outcome.retry_after,
                loud=True,
            )
            return Next(runbook=after, action=Wait(), reports=[report])
        submitted = {"resize": "submitted", "sdrs_job": outcome.job_id}
        after = rb.model_copy(update={"sending": False, "sending_at": None, **submitted})
        return Next(
            runbook=after,
            action=Wait(),
            reports=[Report(event="resize-submitted", detail=outcome.job_id)],
        )
    if isinstance(outcome, Refused):
        return _left_stopped(rb, list(rb.stopped), f"ECS refused the start: {outcome.code}")
    after = _found_sent(rb).model_copy(update={"ecs_job": outcome.job_id})
    return Next(runbook=after, action=Wait())


def timed_out(rb: Runbook) -> Next:
    """The runbook waited too long for its current step: end it, and say loudly which servers
    it stopped and did not start again (a person takes over)."""
    if rb.step is Step.DONE:
        return Next(runbook=rb, action=Finish())
    if rb.step is Step.RESIZING and rb.resize in ("submitted", "unknown"):
        why = N_("the resize did not end in time")
    else:
        why = f"step {rb.step.value} did not end in time"
    return _left_stopped(rb, list(rb.stopped), why)
