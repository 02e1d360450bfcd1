"""The stop-resize-start runbook's decisions (pure), driven against a small simulated cloud:
the happy path, a failure at each step, and a crash at each changing call (before or after it
went out) - never a second stop, resize or start, and never a server the bot stopped left off
without a loud report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.runbook import (
    SETTLE_SECONDS,
    Finish,
    Next,
    Preflight,
    Refused,
    Report,
    Resize,
    Runbook,
    Seen,
    Sent,
    Server,
    Start,
    Step,
    Stop,
    Wait,
    after_send,
    before_send,
    decide,
    timed_out,
)
from bot.core.wire.sdrs import JobStatus

PROD, DR = "srv-prod", "srv-dr"
SERVERS = [
    Server(id=PROD, name="ecs-prod", site="production"),
    Server(id=DR, name="ecs-dr", site="dr"),
]


def runbook(to_stop: list[str] | None = None) -> Runbook:
    return Runbook(servers=SERVERS, to_stop=[PROD, DR] if to_stop is None else to_stop)


@dataclass
class Cloud:
    """Servers and jobs that finish at the next look; faults by name."""

    power: dict[str, str] = field(default_factory=lambda: {PROD: "ACTIVE", DR: "ACTIVE"})
    fail: set[str] = field(default_factory=set)  # stop | resize | start | start-error | refuse-*
    sends: list[str] = field(default_factory=list)
    jobs: dict[str, JobStatus] = field(default_factory=dict)
    resizing: bool = False

    def send(self, action: Stop | Resize | Start) -> Sent | Refused:
        self.sends.append(action.kind)
        if f"refuse-{action.kind}" in self.fail:
            return Refused(code="X.0001", message="refused")
        job = f"job-{len(self.sends)}"
        ok = action.kind not in self.fail
        self.jobs[job] = JobStatus.SUCCESS if ok else JobStatus.FAIL
        if isinstance(action, Stop):
            for i in action.ids:
                self.power[i] = "SHUTOFF" if ok else self.power[i]
        elif isinstance(action, Start):
            for i in action.ids:
                self.power[i] = (
                    ("ERROR" if "start-error" in self.fail else "ACTIVE") if ok else "SHUTOFF"
                )
        else:
            self.resizing = False
        return Sent(job_id=job)

    def seen(self, rb: Runbook, action: Preflight | Wait | Finish | None) -> Seen:
        return Seen(
            power=dict(self.power),
            ecs_job=self.jobs.get(rb.ecs_job or ""),
            sdrs_job=self.jobs.get(rb.sdrs_job or ""),
            sdrs_error="SDRS.1399" if self.jobs.get(rb.sdrs_job or "") is JobStatus.FAIL else None,
            instance_resizing=self.resizing,
            preflight_ran=isinstance(action, Preflight),
            preflight_refusal="server ACTIVE"
            if "preflight" in self.fail and isinstance(action, Preflight)
            else None,
        )


def drive(
    rb: Runbook, cloud: Cloud, *, crash: tuple[int, str] | None = None
) -> tuple[Runbook, list[Report]]:
    """Decide and act until the runbook is done. ``crash`` = (n, "before" | "after"): the
    process dies while sending the n-th changing call, before or after it went out; the next
    process finds the runbook still marked sending."""
    reports: list[Report] = []
    action: Preflight | Wait | Finish | None = None
    calls = 0
    for _ in range(50):
        step: Next = decide(rb, cloud.seen(rb, action))
        rb, reports = step.runbook, reports + step.reports
        if isinstance(step.action, Finish):
            return rb, reports
        if isinstance(step.action, Stop | Resize | Start):
            rb = before_send(rb, step.action)
            calls += 1
            if crash is not None and crash[0] == calls:
                if crash[1] == "after":
                    outcome = cloud.send(step.action)
                    if isinstance(step.action, Resize) and isinstance(outcome, Sent):
                        cloud.resizing = False
                action = None  # a new process: it knows only what the store says
                continue
            done = after_send(rb, step.action, cloud.send(step.action))
            rb, reports = done.runbook, reports + done.reports
            action = None
        else:
            action = step.action
    raise AssertionError(f"runbook did not finish: {rb}")


def events(reports: list[Report]) -> list[str]:
    return [r.event for r in reports]


def test_happy_path_stops_resizes_and_starts_exactly_what_it_stopped() -> None:
    cloud = Cloud()
    rb, reports = drive(runbook(), cloud)
    assert cloud.sends == ["stop", "resize", "start"]
    assert events(reports) == [
        "stopping",
        "stopped",
        "resize-submitted",
        "resized",
        "starting",
        "started",
        "runbook-done",
    ]
    assert rb.step is Step.DONE and rb.resize == "success" and not rb.left_stopped
    assert cloud.power == {PROD: "ACTIVE", DR: "ACTIVE"}
    assert not any(r.loud for r in reports)


def test_a_server_already_stopped_is_neither_stopped_nor_started() -> None:
    cloud = Cloud(power={PROD: "ACTIVE", DR: "SHUTOFF"})
    rb, _ = drive(runbook(), cloud)
    assert cloud.sends == ["stop", "resize", "start"]
    assert rb.stopped == [PROD] and cloud.power == {PROD: "ACTIVE", DR: "SHUTOFF"}
    cloud = Cloud(power={PROD: "SHUTOFF", DR: "SHUTOFF"})
    rb, reports = drive(runbook(), cloud)
    assert cloud.sends == ["resize"] and "nothing-to-stop" in events(reports)


def test_a_failed_resize_still_starts_the_servers_and_says_so_loudly() -> None:
    cloud = Cloud(fail={"resize"})
    rb, reports = drive(runbook(), cloud)
    assert cloud.sends == ["stop", "resize", "start"] and rb.resize == "fail"
    assert rb.error_code == "SDRS.1399" and cloud.power == {PROD: "ACTIVE", DR: "ACTIVE"}
    assert [r.event for r in reports if r.loud] == ["resize-failed", "runbook-done"]


def test_a_refused_resize_or_preflight_starts_the_servers_again() -> None:
    for fault in ("refuse-resize", "preflight"):
        cloud = Cloud(fail={fault})
        rb, reports = drive(runbook(), cloud)
        assert cloud.sends[-1] == "start" and cloud.power == {PROD: "ACTIVE", DR: "ACTIVE"}
        assert rb.resize in ("fail", "refused") and reports[-1].loud


def test_a_failed_stop_changes_nothing_else() -> None:
    cloud = Cloud(fail={"stop"})
    rb, reports = drive(runbook(), cloud)
    assert cloud.sends == ["stop"] and rb.resize == "pending" and rb.stopped == []
    assert "stop-failed" in events(reports)
    # broadcast once: the closing line says nothing the failure did not (nothing to start)
    assert [r.event for r in reports if r.loud] == ["stop-failed"]
    assert reports[-1].event == "runbook-done" and reports[-1].why == "the stop failed"
    cloud = Cloud(fail={"refuse-stop"})
    rb, reports = drive(runbook(), cloud)
    assert cloud.sends == ["stop"] and "stop-refused" in events(reports)


@pytest.mark.parametrize("fault", ["start", "refuse-start", "start-error"])
def test_servers_that_do_not_come_back_are_reported_loudly(fault: str) -> None:
    cloud = Cloud(fail={fault})
    rb, reports = drive(runbook(), cloud)
    assert rb.left_stopped == [PROD, DR] and rb.step is Step.DONE
    loud = [r for r in reports if r.event == "left-stopped"]
    assert loud and loud[0].loud and loud[0].servers == ["ecs-prod", "ecs-dr"]
    assert [r.event for r in reports if r.loud] == ["left-stopped"]  # the alarm, once


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["before", "after"]),
    st.sets(st.sampled_from(["resize", "start"])),
)
def test_a_crash_at_any_changing_call_never_repeats_it_and_never_hides_a_stopped_server(
    n: int, when: str, faults: set[str]
) -> None:
    cloud = Cloud(fail=set(faults))
    rb, reports = drive(runbook(), cloud, crash=(n, when))
    # each changing call at most once
    assert all(cloud.sends.count(kind) <= 1 for kind in ("stop", "resize", "start")), cloud.sends
    # a server the bot stopped is running again, or reported loudly as left stopped
    off = [i for i, p in cloud.power.items() if p != "ACTIVE"]
    assert set(off) <= set(rb.left_stopped), (off, rb)
    if rb.left_stopped:
        assert any(r.loud and r.event == "left-stopped" for r in reports)
    assert rb.step is Step.DONE


def test_a_crash_before_the_stop_went_out_ends_with_nothing_changed() -> None:
    cloud = Cloud()
    rb, reports = drive(runbook(), cloud, crash=(1, "before"))
    assert cloud.sends == [] and events(reports)[-1] == "ended-before-stop"
    assert cloud.power == {PROD: "ACTIVE", DR: "ACTIVE"} and rb.resize == "pending"


def test_a_crash_after_the_start_went_out_finds_the_servers_running() -> None:
    cloud = Cloud()
    rb, reports = drive(runbook(), cloud, crash=(3, "after"))
    assert cloud.sends == ["stop", "resize", "start"] and not rb.left_stopped
    assert events(reports)[-2:] == ["started", "runbook-done"]


def test_timing_out_reports_the_stopped_servers() -> None:
    rb = runbook().model_copy(
        update={"step": Step.RESIZING, "stopped": [PROD], "resize": "submitted"}
    )
    after = timed_out(rb)
    assert after.runbook.left_stopped == [PROD] and after.reports[0].loud
    assert "did not end in time" in after.reports[0].detail


T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("call", ["stop", "start"])
def test_a_call_found_sending_is_sent_when_ecs_is_at_work_on_it(call: str) -> None:
    """ECS keeps the status until its job ends; task_state shows the accepted action."""
    before, task = ("ACTIVE", "powering-off") if call == "stop" else ("SHUTOFF", "powering-on")
    step = Step.STOPPING if call == "stop" else Step.STARTING
    rb = runbook().model_copy(
        update={"step": step, "stopped": [PROD], "sending": True, "sending_at": T0}
    )
    working = Seen(power={PROD: before, DR: "SHUTOFF"}, tasks={PROD: task}, now=T0)
    after = decide(rb, working)
    assert after.runbook.sent and not after.runbook.sending and isinstance(after.action, Wait)


@pytest.mark.parametrize("call", ["stop", "start"])
def test_a_call_found_sending_with_nothing_showing_waits_then_is_taken_as_not_sent(
    call: str,
) -> None:
    before = "ACTIVE" if call == "stop" else "SHUTOFF"
    step = Step.STOPPING if call == "stop" else Step.STARTING
    rb = runbook().model_copy(
        update={"step": step, "stopped": [PROD], "sending": True, "sending_at": T0}
    )
    soon = decide(rb, Seen(power={PROD: before}, now=T0 + timedelta(seconds=SETTLE_SECONDS - 1)))
    assert soon.runbook == rb and isinstance(soon.action, Wait) and not soon.reports
    late = decide(rb, Seen(power={PROD: before}, now=T0 + timedelta(seconds=SETTLE_SECONDS)))
    assert late.runbook.step is Step.DONE and isinstance(late.action, Finish)
    event = "ended-before-stop" if call == "stop" else "left-stopped"
    assert event in events(late.reports)


def test_before_send_marks_when() -> None:
    rb = before_send(runbook(), Stop(ids=[PROD]), T0)
    assert rb.sending and rb.sending_at == T0 and rb.stopped == [PROD]
    assert after_send(rb, Stop(ids=[PROD]), Sent(job_id="j")).runbook.sending_at is None


def test_a_resize_found_sending_is_decided_from_the_instance_and_the_servers() -> None:
    rb = runbook().model_copy(update={"step": Step.RESIZING, "stopped": [PROD], "sending": True})
    assert isinstance(decide(rb, Seen(instance_resizing=True)).action, Wait)
    done = decide(rb, Seen(instance_resizing=False, resized_as_asked=True))
    assert done.runbook.resize == "success" and events(done.reports) == ["resized-seen"]
    failed = decide(rb, Seen(instance_resizing=False, resized_as_asked=False, instance_failed=True))
    assert failed.runbook.resize == "fail" and failed.reports[0].loud
    unknown = decide(rb, Seen(instance_resizing=False, resized_as_asked=False))
    assert unknown.runbook.resize == "unknown"
    assert events(unknown.reports) == ["resize-unknown-ended"]
    for after in (done, failed, unknown):  # the servers it stopped are started in every case
        assert after.runbook.step is Step.STARTING and after.runbook.stopped == [PROD]
