"""Stop-resize-start end to end: signed Slack requests through the real app, the
SDRS/ECS emulator serving the stop, resize and start, the Slack stand-in recording each step
in the thread. Each scenario counts the changing calls the emulator received: a stop, a resize
and a start are each sent at most once, and only for the servers the confirmation named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.faults import Fault, PowerFault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import JobPlan, World
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, CHANNEL, Harness, running
from tests.support.slack_helpers import until

APP = sid("pi-erp-app")  # production server ecs-erp-app-src ACTIVE, DR server SHUTOFF
PROD, DR = sid("pi-erp-app-src"), sid("pi-erp-app-tgt")


CLOSING = ("Stop-resize-start done", "Stop-resize-start ended")  # the runbook's last line


def calls(h: Harness) -> list[tuple[str, Any]]:
    """The changing calls the emulator got: ("stop" | "start", server ids) or ("resize", body)."""
    out: list[tuple[str, Any]] = []
    for r in list(h.emulator.emulator.requests):
        if r.method != "POST":
            continue
        body = r.json() or {}
        if r.path.endswith("/cloudservers/action"):
            kind = "stop" if "os-stop" in body else "start"
            servers = body.get(f"os-{kind}", {}).get("servers", [])
            out.append((kind, sorted(s["id"] for s in servers)))
        elif r.path.endswith("/resize"):
            out.append(("resize", body))
    return out


async def confirm_stop_start(h: Harness, text: str) -> str:
    await h.command(text)
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    return ts


async def finished(h: Harness, ts: str) -> list[str]:
    def done() -> bool:
        return any(ENDED in t for t in h.thread_replies(ts) for ENDED in CLOSING)

    await until(done, within=60)
    await h.quiesce()
    return h.thread_replies(ts)


async def test_the_confirmation_names_what_it_stops_resizes_and_starts(h: Harness) -> None:
    await h.command(f"resize {APP} s6.xlarge.2 power=stop-start")
    op_id, ts = await h.confirmation()
    post = [c.args for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")][0]
    shown = str(post["blocks"])
    assert "running now: stopped, resized, started again" in shown
    assert "*Stop-resize-start:* stops `ecs-erp-app-src` (a soft shut-down)" in shown
    assert calls(h) == []  # nothing is stopped before Confirm


async def test_happy_path_stops_resizes_once_and_starts_exactly_what_it_stopped(
    h: Harness,
) -> None:
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    replies = await finished(h, ts)
    assert calls(h) == [
        ("stop", [PROD]),
        ("resize", {"resize": {"flavorRef": "s6.xlarge.2"}}),
        ("start", [PROD]),
    ]
    joined = "\n".join(replies)
    for step in (
        "Stopping `ecs-erp-app-src`",
        "Resize submitted to SDRS",
        "Resize SUCCESS",
        "Starting `ecs-erp-app-src` again",
        "`ecs-erp-app-src` running again",
        "The server it stopped runs again",
    ):  # one server: singular
        assert step in joined, step
    assert h.world.servers[PROD].status == "ACTIVE"  # started again
    assert h.world.servers[DR].status == "SHUTOFF"  # never stopped by the bot: left as it was
    assert h.world.servers[PROD].flavor == h.world.servers[DR].flavor == "s6.xlarge.2"
    assert not [c for c in h.state.calls_to("chat.postMessage") if c.args.get("reply_broadcast")]
    final = h.updates(ts)[-1]
    assert "stop-resize-start done: resized; the server it stopped runs again" in final


async def test_a_failed_resize_still_starts_the_servers_and_says_so_loudly(h: Harness) -> None:
    h.world.plan_next_job(JobPlan(fail=("SDRS.1301", "resize of server failed")))
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start stop=hard")
    replies = await finished(h, ts)
    kinds = [k for k, _ in calls(h)]
    assert kinds == ["stop", "resize", "start"]
    stop = next(r for r in h.emulator.emulator.requests if r.path.endswith("/action"))
    assert stop.json()["os-stop"]["type"] == "HARD"
    joined = "\n".join(replies)
    assert "The resize failed: SDRS.1301" in joined
    assert h.world.servers[PROD].status == "ACTIVE"
    broadcast = [
        c.args["text"]
        for c in h.state.calls_to("chat.postMessage")
        if c.args.get("reply_broadcast")
    ]
    assert any("The resize failed" in t for t in broadcast)
    assert (
        ":warning: stop-resize-start ended without resizing: the resize failed;"
        in (h.updates(ts)[-1])
    )
    assert "Stop-resize-start ended without resizing: the resize failed (`SDRS.1301`)" in joined
    assert "The server it stopped runs again." in joined  # one server: singular


async def test_a_server_already_stopped_is_not_stopped_or_started(h: Harness) -> None:
    ts = await confirm_stop_start(h, f"resize {APP} dr=s6.xlarge.2 power=stop-start")
    replies = await finished(h, ts)
    assert calls(h) == [("resize", {"resize": {"dr_flavorRef": "s6.xlarge.2"}})]
    assert h.world.servers[DR].status == "SHUTOFF"
    assert "Nothing to stop: `ecs-erp-app-tgt` is already off." in replies  # one: singular


def broadcasts(h: Harness) -> list[str]:
    return [
        str(c.args["text"])
        for c in h.state.calls_to("chat.postMessage")
        if c.args.get("reply_broadcast")
    ]


async def test_a_failed_stop_resizes_nothing_and_says_so(h: Harness) -> None:
    h.world.add_power_fault(PowerFault(kind="stop_fails", error_code="Ecs.0005"))
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    replies = await finished(h, ts)
    assert [k for k, _ in calls(h)] == ["stop"]  # no resize, and nothing to start again
    assert h.world.servers[PROD].status == "ACTIVE"
    assert h.world.servers[PROD].flavor == "s6.large.2"
    joined = "\n".join(replies)
    assert "Ecs.0005" in joined
    closing = ":warning: Stop-resize-start ended without resizing: the stop failed. It stopped no"
    assert closing in joined
    assert joined.count("Ecs.0005") == 1  # the job's error, not again for its sub-job
    assert "server ecs-erp-app-src" in joined and PROD not in joined  # named, not by id
    # the confirmation's end state, in the channel: not worded as a success
    final = h.updates(ts)[-1]
    assert "done" not in final
    assert (
        ":warning: stop-resize-start ended without resizing: the stop failed; it stopped no "
        "server" in final
    )
    # a step that did not go as planned is broadcast, once: the closing line adds nothing
    assert len(broadcasts(h)) == 1 and "ECS could not stop" in broadcasts(h)[0]


@pytest.mark.parametrize("fault", ["start_fails", "start_to_error"])
async def test_a_server_that_does_not_come_back_is_broadcast_with_the_requester_mentioned(
    h: Harness, fault: str
) -> None:
    h.world.add_power_fault(PowerFault(kind=fault))  # type: ignore[arg-type]
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    await finished(h, ts)
    assert [k for k, _ in calls(h)] == ["stop", "resize", "start"]  # no second start
    assert h.world.servers[PROD].flavor == "s6.xlarge.2"  # the resize itself worked
    loud = "\n".join(broadcasts(h))
    assert f"<@{ALICE}> `ecs-erp-app-src` was stopped by the bot and is NOT running" in loud
    final = h.updates(ts)[-1]
    assert ":warning: stop-resize-start done: resized; not running again: `ecs-erp-app-src`" in (
        final
    )
    assert len(broadcasts(h)) == 1  # the alarm, not the closing line that repeats it


async def test_a_server_started_after_the_confirmation_is_not_stopped_by_the_bot(
    h: Harness,
) -> None:
    """The confirmation showed the DR server stopped: it is not stopped by the bot when it runs
    by Confirm time; the preflight after the stop refuses, and the production server the bot
    stopped is started again."""
    await h.command(f"resize {APP} s6.xlarge.2 power=stop-start")
    op_id, ts = await h.confirmation()
    h.world.set_power(DR, "ACTIVE")  # someone started it meanwhile
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    replies = await finished(h, ts)
    assert calls(h) == [("stop", [PROD]), ("start", [PROD])]  # no resize was sent
    assert h.world.servers[DR].status == "ACTIVE" and h.world.servers[PROD].status == "ACTIVE"
    assert any("The preflight refuses the resize now" in t for t in replies)


async def test_history_and_the_audit_trail_tell_how_a_runbook_ended(h: Harness) -> None:
    h.world.add_power_fault(PowerFault(kind="start_fails"))
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    await finished(h, ts)
    await h.command("history")
    line = next(r["text"] for r in await until(h.responses) if "operations" in r["text"])
    assert ":rotating_light:" in line and "*stop-start: servers left stopped*" in line
    events = [e for e in h.deps.store.audit_events() if e.action.startswith("runbook")]
    assert [e.action for e in events] == [
        "runbook-started",
        "runbook-step",
        "runbook-step",
        "runbook-step",
        "runbook-done",
    ]
    assert all(e.channel == CHANNEL for e in events)
    assert events[-1].detail["left_stopped"] == [PROD]


@pytest.mark.slow
async def test_a_runbook_out_of_time_says_loudly_which_servers_it_left_stopped(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """The deadline is 3 x JOB_TIMEOUT_SECONDS: a resize that never ends is not waited for
    forever, and the server the bot stopped is named (it is not started during a resize)."""
    world.plan_next_job(JobPlan(hang=True))
    async with running(tmp_path, slack, emulator, world, job_timeout_seconds=1.0) as h:
        ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
        await until(lambda: any("under way" in u for u in h.updates(ts)))
        await finished(h, ts)
        assert [k for k, _ in calls(h)] == ["stop", "resize"]
        loud = "\n".join(broadcasts(h))
        assert "`ecs-erp-app-src` was stopped by the bot and is NOT running" in loud
        assert "the resize did not end in time" in loud
        assert "not running again: `ecs-erp-app-src`" in h.updates(ts)[-1]


async def test_jobs_lists_a_runbook_under_way_with_its_step(h: Harness) -> None:
    h.world.plan_next_job(JobPlan(seconds=600))  # a long resize: the runbook waits on it
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    await until(lambda: any("Resize submitted" in t for t in h.thread_replies(ts)), within=30)
    await h.command("jobs")
    listing = (await until(h.responses))[-1]["text"]
    assert "stop-resize-start: resizing" in listing and "`erp-app`" in listing


async def test_status_and_jobs_tell_the_resize_job_of_a_runbook(h: Harness) -> None:
    """The resize job a stop-resize-start sent is its runbook's: /sdrs status answers for it
    with the runbook's step, and /sdrs jobs lists it under what ended when the runbook did."""
    h.world.plan_next_job(JobPlan(seconds=600))  # a long resize: the runbook waits on it
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    await until(lambda: any("Resize submitted" in t for t in h.thread_replies(ts)), within=30)
    (job_id,) = h.world.jobs
    await h.command(f"status {job_id}")
    answer = (await until(h.responses))[-1]["text"]
    assert f"job `{job_id}`: *RUNNING (watching)* · stop-resize-start: resizing" in answer
    assert "`erp-app`" in answer and f"asked by <@{ALICE}>" in answer

    h.world.jobs[job_id].done_after = 0  # the resize ends now; the runbook starts the server
    await finished(h, ts)
    await h.command(f"status {job_id}")
    answer = (await until(lambda: h.responses()[1:] or None))[-1]["text"]
    assert f"job `{job_id}`: *SUCCESS* · stop-resize-start ended" in answer
    assert "I am not tracking" not in answer
    await h.command("jobs")
    listing = (await until(lambda: h.responses()[2:] or None))[-1]["text"]
    ended = listing.split("Ended in the last day:", 1)[1]
    assert f"job `{job_id}`: *SUCCESS*" in ended and "`erp-app`" in ended


async def test_an_unavailable_cloud_during_a_runbook_is_told_as_such(h: Harness) -> None:
    """SDRS answering 503 to the resize: not "the resize failed" for a reason of the request,
    but that the cloud was unavailable, nothing was resized, the server started again, and
    to ask again later; ECS rate-limiting the stop likewise, with the wait it asked for."""
    h.emulator.emulator.faults.add(
        Fault("status", method="POST", status=503, path_contains="/resize")
    )
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    joined = "\n".join(await finished(h, ts))
    assert [k for k, _ in calls(h)] == ["stop", "resize", "start"]
    assert (
        ":x: Huawei Cloud was unavailable for the resize (APIGW.503 injected fault): nothing "
        "was resized. Starting `ecs-erp-app-src` again. Ask again in a few minutes." in joined
    )
    assert (
        "Stop-resize-start ended without resizing: Huawei Cloud was unavailable (`APIGW.503`)"
        in joined
    )
    assert h.world.servers[PROD].status == "ACTIVE"


async def test_ecs_rate_limiting_the_stop_of_a_runbook_says_when_to_ask_again(
    h: Harness,
) -> None:
    h.emulator.emulator.faults.add(
        Fault(
            "status", method="POST", status=429, retry_after=9, path_contains="/cloudservers/action"
        )
    )
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    await until(lambda: any("stop-resize-start ended" in u for u in h.updates(ts)), within=60)
    joined = "\n".join(h.thread_replies(ts))
    assert "Huawei Cloud is unavailable right now: ECS did not stop `ecs-erp-app-src` " in joined
    assert "Nothing was changed. Ask again in 9 s." in joined
    final = h.updates(ts)[-1]
    assert "ended without resizing: Huawei Cloud was unavailable; it stopped no server" in final
    assert [k for k, _ in calls(h)] == ["stop"] and h.world.servers[PROD].status == "ACTIVE"
    # the refused stop ended the runbook: its end is edited in and audited, not lost with it
    events = [e.action for e in h.deps.store.audit_events() if e.action.startswith("runbook")]
    assert events == ["runbook-started", "runbook-step", "runbook-done"]
