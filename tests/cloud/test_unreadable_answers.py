"""A change SDRS (or ECS) carried out and answered 2xx with a body that cannot be read - not
JSON, JSON of the wrong shape, empty - is an unknown outcome, not a failure: the bot follows the
instance (or reads the drill, or the servers) to find out, and never says "not done" about a
change that happened. The emulator's ``garbled`` fault carries the call out and answers so."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.states import AuditAction
from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import JobPlan, World
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.flows.test_runbook_flow import APP, PROD, calls, confirm_stop_start, finished
from tests.support.slack_harness import ALICE, Harness, running
from tests.support.slack_helpers import until

AUDIT = "C0AUDIT001"
BODIES = [
    pytest.param("<html><body>502 Bad Gateway</body></html>", id="not-json"),
    pytest.param('{"jobid": 7}', id="wrong-shape"),
    pytest.param("[]", id="not-an-object"),
    pytest.param("", id="empty"),
]


def actions(h: Harness, op_id: str) -> list[tuple[str, dict[str, object]]]:
    """The operation's audit trail, with its job's events."""
    events = list(h.deps.store.audit_events())
    jobs = {e.job_id for e in events if e.op_id == op_id and e.job_id}
    return [(e.action, e.detail) for e in events if e.op_id == op_id or e.job_id in jobs]


async def confirm(h: Harness, text: str) -> tuple[str, str]:
    await h.command(text)
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    return op_id, ts


@pytest.mark.parametrize("body", BODIES)
async def test_a_resize_answered_unreadably_is_followed_through_the_instance(
    h: Harness, body: str
) -> None:
    fault = Fault("garbled", method="POST", path_contains="/resize", body=body)
    h.emulator.emulator.faults.add(fault)
    op_id, ts = await confirm(h, f"resize {sid('pi-erp-db')} s6.xlarge.2")
    replies = await until(lambda: len(h.thread_replies(ts)) >= 2 and h.thread_replies(ts))
    assert "answer could not be read" in replies[0] and "following protected instance" in replies[0]
    assert "SUCCESS:" in replies[1]
    await h.quiesce()
    texts = "\n".join(h.thread_replies(ts) + h.updates(ts))
    assert "not done" not in texts and "Could not reach" not in texts
    assert ":white_check_mark: SUCCESS" in h.updates(ts)[-1]
    assert h.sdrs_posts() == 1  # never sent a second time
    trail = actions(h, op_id)
    assert [a for a, _ in trail][-2:] == [AuditAction.SUBMITTED, AuditAction.JOB_FINISHED]
    submitted = trail[-2][1]
    assert "job id unreadable" in str(submitted["recovered"])
    assert trail[-1][1]["status"] == "SUCCESS"
    assert h.world.instances[sid("pi-erp-db")].status != "resizing"


async def test_a_failed_resize_answered_unreadably_is_reported_as_failed_by_the_instance(
    h: Harness,
) -> None:
    h.world.plan_next_job(JobPlan(fail=("SDRS.1301", "resize of server failed")))
    h.emulator.emulator.faults.add(Fault("garbled", method="POST", path_contains="/resize"))
    op_id, ts = await confirm(h, f"resize {sid('pi-erp-db')} s6.xlarge.2")
    replies = await until(lambda: len(h.thread_replies(ts)) >= 2 and h.thread_replies(ts))
    assert "following protected instance" in replies[0]
    assert "FAIL" in replies[1] and "error-resizing" in replies[1]
    await h.quiesce()
    assert [a for a, _ in actions(h, op_id)][-1] == AuditAction.JOB_FINISHED
    assert h.sdrs_posts() == 1


@pytest.mark.parametrize("body", BODIES)
async def test_a_rename_answered_unreadably_is_read_back_from_the_drill(
    h: Harness, body: str
) -> None:
    h.emulator.emulator.faults.add(Fault("garbled", method="PUT", body=body))
    op_id, ts = await confirm(h, f"drill rename {sid('drill-web')} renamed-anyway")
    replies = await until(lambda: h.thread_replies(ts))
    assert "Drill renamed to `renamed-anyway`" in replies[0]
    assert "answer could not be read" in replies[0]
    await h.quiesce()
    assert ":white_check_mark: renamed" in h.updates(ts)[-1]
    assert "not done" not in "\n".join(h.updates(ts))
    assert h.sdrs_puts() == 1 and h.world.drills[sid("drill-web")].name == "renamed-anyway"
    action, detail = actions(h, op_id)[-1]
    assert action == AuditAction.RENAMED and detail["answer"] == "unreadable"


@pytest.mark.parametrize("call", ["/cloudservers/action", "/resize"])
async def test_a_stop_start_step_answered_unreadably_goes_on_from_what_the_cloud_shows(
    h: Harness, call: str
) -> None:
    """The runbook's ECS stop (or its SDRS resize) answered 2xx unreadably: the step was taken,
    so the runbook follows the servers (or the instance) and goes on - nothing left stopped,
    nothing sent twice."""
    h.emulator.emulator.faults.add(Fault("garbled", method="POST", path_contains=call))
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    replies = "\n".join(await finished(h, ts))
    assert [k for k, _ in calls(h)] == ["stop", "resize", "start"]
    assert "answer could not be read" in replies
    assert "The server it stopped runs again" in replies
    assert h.world.servers[PROD].status == "ACTIVE"
    assert h.world.servers[PROD].flavor == "s6.xlarge.2"


async def _resize_answered_late_and_unreadably(h: Harness) -> tuple[str, str]:
    """The resize is carried out at once and answered 2 s later, unreadably: the job is over
    (the instance back in service) by the time the bot reads it."""
    h.emulator.emulator.faults.add(Fault("late", method="POST", path_contains="/resize", seconds=2))
    h.emulator.emulator.faults.add(Fault("garbled", method="POST", path_contains="/resize"))
    op_id, ts = await confirm(h, f"resize {sid('pi-erp-db')} s6.xlarge.2")
    await until(lambda: h.sdrs_posts() == 1)
    return op_id, ts


@pytest.mark.slow
async def test_a_resize_already_over_when_its_unreadable_answer_came_is_seen_in_the_flavors(
    h: Harness,
) -> None:
    op_id, ts = await _resize_answered_late_and_unreadably(h)
    replies = await until(lambda: len(h.thread_replies(ts)) >= 2 and h.thread_replies(ts))
    assert "following protected instance" in replies[0] and "SUCCESS:" in replies[1]
    await h.quiesce()
    assert [a for a, _ in actions(h, op_id)][-1] == AuditAction.JOB_FINISHED


@pytest.mark.slow
async def test_a_resize_the_cloud_does_not_show_after_an_unreadable_answer_is_unknown_not_failed(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """The instance is back in service and its servers cannot be read: nothing shows what
    came of the resize, so it is reported as unknown with what to check - not as not done -
    and so is it announced."""
    async with running(tmp_path, slack, emulator, world, notify_routes=f"all={AUDIT}") as h:
        op_id, ts = await _resize_answered_late_and_unreadably(h)
        servers_fail = Fault("status", method="GET", path_contains="/cloudservers/", times=None)
        h.emulator.emulator.faults.add(servers_fail)
        replies = await until(lambda: h.thread_replies(ts))
        assert "the outcome is unknown" in replies[0] and "second time" in replies[0]
        edits = await until(lambda: [u for u in h.updates(ts) if "outcome unknown" in u])
        assert "not done" not in edits[-1]
        announced = await until(
            lambda: [
                str(c.args["text"])
                for c in slack.state.calls_to("chat.postMessage")
                if c.args.get("channel") == AUDIT and "*failed*" in str(c.args.get("text"))
            ]
        )
        assert "outcome unknown (answer unreadable)" in announced[0]
        h.emulator.emulator.faults.clear()
        await h.quiesce()
        action, detail = actions(h, op_id)[-1]
        assert action == AuditAction.ANSWER_UNREADABLE and detail["answer"] == "unreadable"
        assert h.sdrs_posts() == 1


@pytest.mark.slow
async def test_a_start_answered_unreadably_is_seen_in_the_servers_and_none_is_left_stopped(
    h: Harness,
) -> None:
    h.world.plan_next_job(JobPlan(seconds=1.5))  # the start waits for the resize to end
    ts = await confirm_stop_start(h, f"resize {APP} s6.xlarge.2 power=stop-start")
    await until(lambda: [k for k, _ in calls(h)] == ["stop", "resize"])
    h.emulator.emulator.faults.add(Fault("garbled", method="POST", path_contains="/action"))
    replies = "\n".join(await finished(h, ts))
    assert [k for k, _ in calls(h)] == ["stop", "resize", "start"]
    assert "ECS took the start of `ecs-erp-app-src`" in replies
    assert "The server it stopped runs again" in replies and "NOT running" not in replies
    assert h.world.servers[PROD].status == "ACTIVE"
