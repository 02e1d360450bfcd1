"""Lifecycle announcements routed by NOTIFY_ROUTES, through the outbox, recorded by the
Slack Web API stand-in; failures and stuck jobs broadcast in their thread."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config.settings import load_settings
from bot.core.errors import ConfigError
from bot.core.routing import parse_routes
from bot.operations.expire import expire_sweep
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import JobPlan, World
from handlers.messages.confirmation import CANCEL_ACTION, CONFIRM_ACTION
from tests.support.slack_harness import ALICE, BOB, CHANNEL, Harness, running
from tests.support.slack_helpers import until

AUDIT, ONCALL = "C0AUDIT001", "C0ONCALL01"
ROUTES = f"all={AUDIT};failed,stuck={ONCALL}"


def test_routes_parse_and_mistakes_are_explained() -> None:
    routes = parse_routes(ROUTES)
    assert routes["requested"] == {AUDIT} and routes["failed"] == {AUDIT, ONCALL}
    assert parse_routes("") == {}
    for bad, says in (
        ("failed", "entry 1 has no '='"),
        ("all=C0AUDIT;boom=C0X1", "entry 2 names 1 unknown event kind"),
        ("failed=#oncall", "entry 1: 1 value.s. after '=' are not channel ids"),
    ):
        with pytest.raises(ValueError, match=says) as raised:
            parse_routes(bad)
        assert "boom" not in str(raised.value) and "#oncall" not in str(raised.value)
    with pytest.raises(ConfigError, match="NOTIFY_ROUTES"):
        load_settings(_env_file=None, notify_routes="failed=#oncall")


def posts_to(h: Harness, channel: str) -> list[str]:
    return [
        str(c.args["text"])
        for c in h.state.calls_to("chat.postMessage")
        if c.args.get("channel") == channel
    ]


async def confirmed_resize(h: Harness, instance: str = "pi-erp-db") -> str:
    await h.command(f"resize {sid(instance)} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    return ts


async def test_success_lifecycle_goes_to_audit_only(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, notify_routes=ROUTES) as h:
        ts = await confirmed_resize(h)
        await until(lambda: any("SUCCESS" in r for r in h.thread_replies(ts)), within=15)
        audit = await until(lambda: len(posts_to(h, AUDIT)) >= 4 and posts_to(h, AUDIT))
        kinds = [text.split("*")[1] for text in audit]
        assert kinds == ["requested", "confirmed", "submitted", "finished"]
        assert all(f"<#{CHANNEL}>" in t and "Resize protected instance" in t for t in audit)
        assert "by <@U0ALICE001>" in audit[1] and "job `" in audit[2]
        await h.quiesce()
        assert posts_to(h, ONCALL) == [] and len(posts_to(h, AUDIT)) == 4


async def test_failure_goes_to_oncall_too_and_is_broadcast(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    world.plan_next_job(JobPlan(fail=("SDRS.1399", "ECS resize of the DR server failed")))
    overrides = {"notify_routes": ROUTES, "approval_mode": "two-person", "approvers": {BOB}}
    async with running(tmp_path, slack, emulator, world, **overrides) as h:
        await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
        op_id, ts = await h.confirmation()
        await h.click(CONFIRM_ACTION, op_id, BOB, ts)
        oncall = await until(lambda: posts_to(h, ONCALL))
        assert "*failed*" in oncall[0] and "*SDRS.1399*" in oncall[0]
        # the thread and the on-call channel are delivered independently: wait for both
        final = (await until(lambda: [r for r in h.thread_replies(ts) if "FAIL" in r]))[0]
        assert "<@U0ALICE001>" in final and "confirmed by <@U0BOB00001>" in final
        post = [c for c in h.state.calls_to("chat.postMessage") if c.args.get("text") == final]
        assert post[0].args.get("reply_broadcast") is True
        await until(lambda: any("*failed*" in t for t in posts_to(h, AUDIT)))


async def test_stuck_job_is_announced_once(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    world.plan_next_job(JobPlan(hang=True))
    async with running(
        tmp_path, slack, emulator, world, notify_routes=ROUTES, job_timeout_seconds=0.5
    ) as h:
        ts = await confirmed_resize(h)
        await until(lambda: h.thread_replies(ts))
        h.clock.t += timedelta(seconds=1)
        oncall = await until(lambda: posts_to(h, ONCALL))
        assert "*stuck*" in oncall[0] and (
            "still RUNNING" in oncall[0] or "still INIT" in oncall[0]
        )
        await h.quiesce()
        assert len(posts_to(h, ONCALL)) == 1


async def test_cancel_expiry_and_refused_submission_are_announced(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, notify_routes=ROUTES) as h:
        await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
        op_id, ts = await h.confirmation()
        await h.click(CANCEL_ACTION, op_id, ALICE, ts)
        await until(lambda: len(posts_to(h, AUDIT)) == 2)  # requested, cancelled
        await h.command(f"resize {sid('pi-web-2')} s6.large.2")
        await h.confirmation(1)
        await until(lambda: len(posts_to(h, AUDIT)) == 3)  # requested, cancelled, requested
        h.clock.t += timedelta(hours=1)
        await expire_sweep(h.deps)
        # SDRS refuses an unknown dedicated host (SDRS.1368), which the preflight cannot read
        # here (IAM does not let the bot read DeH)
        h.emulator.emulator.denials.deny(["deh:dedicatedHosts:get"])
        deh = f"production=s6.xlarge.2 production-host={sid('deh-missing')}"
        await h.command(f"resize {sid('pi-deh')} {deh}")
        op3, ts3 = await h.confirmation(2)
        await h.click(CONFIRM_ACTION, op3, ALICE, ts3)
        await until(lambda: len(posts_to(h, ONCALL)) == 1)
        audit = await until(
            lambda: "*failed*" in " ".join(posts_to(h, AUDIT)) and posts_to(h, AUDIT)
        )
        kinds = [text.split("*")[1] for text in audit]
        assert kinds == [
            "requested",
            "cancelled",
            "requested",
            "expired",
            "requested",
            "confirmed",
            "failed",
        ]
        assert "*cancelled* by <@U0ALICE001>" in audit[1]
        assert "*SDRS.1368*" in posts_to(h, ONCALL)[0]


@pytest.mark.slow
async def test_announcements_survive_slack_rate_limits_without_doubles(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    slack.state.faults["chat.postMessage"] = (0.3, "ratelimited")
    async with running(tmp_path, slack, emulator, world, notify_routes=ROUTES) as h:
        ts = await confirmed_resize(h)
        await until(lambda: any("SUCCESS" in r for r in h.thread_replies(ts)), within=30)

        def delivered() -> list[str]:
            return [m["text"] for (ch, _), m in h.state.message_items() if ch == AUDIT]

        await until(lambda: len(delivered()) >= 4, within=30)
        await h.quiesce()
        assert len(delivered()) == len(set(delivered())) == 4
        assert h.sender.rate_limited > 0
