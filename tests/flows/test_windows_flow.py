"""Maintenance window scenarios: signed payloads through the real app, the Slack
stand-in recording, the SDRS/ECS emulator; time moves through ``deps.now`` (the harness
clock), never by sleeping; the schedule tick is run as the scheduler would run it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.states import ScheduleState
from bot.huaweicloud.wiring import build_fleet
from bot.operations.deps import Deps
from bot.operations.schedule import schedule_tick
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from bot.store import Store
from handlers.messages.confirmation import CANCEL_ACTION, CONFIRM_ACTION
from tests.flows.test_languages_flow import _chinese_channel
from tests.flows.test_runbook_flow import APP, PROD, calls, finished
from tests.support.slack_harness import ALICE, CAROL, CHANNEL, Harness, running
from tests.support.slack_helpers import until

DB = sid("pi-erp-db")


def _window(offset: timedelta, hours: int = 2) -> tuple[str, datetime]:
    """A daily UTC window starting ``offset`` from now (whole minutes), and its start."""
    start = (datetime.now(UTC) + offset).replace(second=0, microsecond=0)
    end = start + timedelta(hours=hours)
    return f"soon=daily {start:%H:%M}-{end:%H:%M} UTC", start


async def _scheduled(h: Harness, text: str) -> tuple[str, str]:
    index = len([c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")])
    await h.command(text)
    op_id, ts = await h.confirmation(index)
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    await until(lambda: h.deps.store.get_scheduled(op_id))
    await h.quiesce()
    return op_id, ts


async def test_runs_once_at_window_start_and_jobs_lists_it_before(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, start = _window(timedelta(hours=3))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        op_id, ts = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        confirmation = json.dumps(h.state.calls_to("chat.postMessage")[0].args["blocks"])
        assert "in window `soon`" in confirmation
        assert f"<!date^{int(start.timestamp())}^{{date_short_pretty}} {{time}}|" in confirmation
        decided = h.updates(ts)[-1]
        assert ":calendar: scheduled in window `soon`" in decided and h.sdrs_posts() == 0
        last = [c for c in h.state.calls_to("chat.update") if c.args.get("ts") == ts][-1]
        assert CANCEL_ACTION in json.dumps(last.args["blocks"])  # Cancel stays
        await h.command("jobs")
        listing = (await until(h.responses))[-1]["text"]
        assert "Waiting for their maintenance window" in listing and "window `soon`" in listing
        assert await schedule_tick(h.deps) == 0  # not due yet
        h.clock.t = start + timedelta(minutes=1)
        assert await schedule_tick(h.deps) == 1
        assert await schedule_tick(h.deps) == 0
        replies = await until(lambda: h.thread_replies(ts))
        assert "Submitted to SDRS, job" in replies[0]
        assert h.sdrs_posts() == 1
        row = h.deps.store.get_scheduled(op_id)
        assert row is not None and row.state is ScheduleState.STARTED
        # too late to cancel now
        await h.click(CANCEL_ACTION, op_id, ALICE, ts)
        await until(lambda: any("Too late to cancel" in t for t in h.ephemerals(ALICE)))


async def test_preflight_refused_at_start_is_not_started_and_reported(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, start = _window(timedelta(hours=1))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        op_id, ts = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        h.world.set_power(sid("pi-erp-db-src"), "ACTIVE")  # someone started it meanwhile
        h.clock.t = start
        await schedule_tick(h.deps)
        replies = await until(lambda: h.thread_replies(ts))
        assert "*not started* in window `soon`" in replies[0]
        assert "the preflight refused it" in replies[0] and "server-running" in replies[0]
        await h.quiesce()
        assert h.sdrs_posts() == 0
        assert any(":warning: not started" in u for u in h.updates(ts))
        h.clock.t = start + timedelta(days=1)  # not moved: never again
        assert await schedule_tick(h.deps) == 0


async def test_window_missed_while_the_bot_was_down(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, start = _window(timedelta(hours=1))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        stays, ts1 = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        moves, ts2 = await _scheduled(
            h, f"resize {sid('pi-erp-db')} dr=s6.xlarge.2 window=soon if-missed=next"
        )
        confirmation = json.dumps(h.state.calls_to("chat.postMessage")[1].args["blocks"])
        assert "moved to the next window" in confirmation
    # the bot is down through the window; it starts again after the window ended
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        h.clock.t = start + timedelta(hours=2, minutes=5)
        assert await schedule_tick(h.deps) == 2
        await h.quiesce()
        first = h.thread_replies(ts1)[-1]
        assert "*not started*" in first and "too little of the window was left" in first
        assert "Ask again" in first
        second = h.thread_replies(ts2)[-1]
        assert "It moved to the next window" in second
        row = h.deps.store.get_scheduled(moves)
        assert row is not None and row.state is ScheduleState.SCHEDULED and row.moves == 1
        assert row.starts_at == start + timedelta(days=1)
        gone = h.deps.store.get_scheduled(stays)
        assert gone is not None and gone.state is ScheduleState.NOT_STARTED
        assert h.sdrs_posts() == 0
        outcomes = {e.op_id: e.outcome for e in h.deps.store.history(CHANNEL, 5)}
        assert outcomes == {stays: "not-started", moves: "scheduled"}  # /sdrs history tells


async def test_cancel_before_start_sends_nothing_and_only_the_requester_or_approver(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, start = _window(timedelta(hours=1))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        op_id, ts = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        await h.click(CANCEL_ACTION, op_id, CAROL, ts)
        await until(lambda: h.ephemerals(CAROL))
        row = h.deps.store.get_scheduled(op_id)
        assert row is not None and row.state is ScheduleState.SCHEDULED  # Carol may not
        await h.click(CANCEL_ACTION, op_id, ALICE, ts)
        await until(
            lambda: any("scheduled run cancelled by <@U0ALICE001>" in u for u in h.updates(ts))
        )
        h.clock.t = start
        assert await schedule_tick(h.deps) == 0
        await h.quiesce()
        assert h.sdrs_posts() == 0
        (entry,) = h.deps.store.history(CHANNEL, 5)
        assert entry.outcome == "schedule-cancelled"  # history says so, not "confirmed"


async def test_unknown_window_and_past_time_are_refused_before_any_confirmation(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, _ = _window(timedelta(hours=1))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        await h.command(f"resize {DB} s6.xlarge.2 window=nightly")
        text = (await until(h.responses))[0]["text"]
        assert "no maintenance window `nightly`" in text and "`soon`" in text
        await h.command(f"resize {DB} s6.xlarge.2 when=2020-01-01T02:00+08:00")
        texts = await until(lambda: len(h.responses()) == 2 and h.responses())
        assert "has passed" in texts[1]["text"]
        await h.quiesce()
        assert not [c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]


async def test_window_too_short_for_the_estimate_is_not_started(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, start = _window(timedelta(hours=1))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        op_id, ts = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        # the estimate was raised since (ESTIMATED_RESIZE_SECONDS): the window is too short
        h.deps.settings = h.deps.settings.model_copy(update={"estimated_resize_seconds": 3 * 3600})
        h.clock.t = start
        await schedule_tick(h.deps)
        replies = await until(lambda: h.thread_replies(ts))
        assert "shorter than its estimated duration" in replies[0]
        await h.quiesce()
        assert h.sdrs_posts() == 0


async def test_two_replicas_at_window_start_on_postgresql_one_runs_it(
    pg_url: str, tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    spec, start = _window(timedelta(hours=1))
    async with running(
        tmp_path,
        slack,
        emulator,
        world,
        maintenance_windows=spec,
        database_url=pg_url,
        replica_id="replica-a",
    ) as h:
        op_id, ts = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        other_settings = h.deps.settings.model_copy(update={"replica_id": "replica-b"})
        fleet, bindings = build_fleet(other_settings)
        other_store = Store.from_url(pg_url)
        other = Deps(
            settings=other_settings, store=other_store, fleet=fleet, bindings=bindings, now=h.clock
        )
        try:
            h.clock.t = start
            looked = await asyncio.gather(schedule_tick(h.deps), schedule_tick(other))
            assert sorted(looked) == [0, 1]  # one replica claimed it, the other skipped it
            await h.quiesce()
            assert h.sdrs_posts() == 1
            assert len([r for r in h.thread_replies(ts) if "Submitted to SDRS" in r]) == 1
        finally:
            await fleet.aclose()
            other_store.close()


async def test_a_scheduled_stop_resize_start_runs_its_runbook_at_window_start(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """Approve now, the bot does the night shift: a running server is not refused at Confirm
    (it will be stopped), nothing is stopped before the window, and at its start the whole
    runbook runs - stop, resize, start - once."""
    spec, start = _window(timedelta(hours=2))
    async with running(tmp_path, slack, emulator, world, maintenance_windows=spec) as h:
        _, ts = await _scheduled(h, f"resize {APP} s6.xlarge.2 power=stop-start window=soon")
        assert calls(h) == [] and h.world.servers[PROD].status == "ACTIVE"
        h.clock.t = start + timedelta(minutes=1)
        assert await schedule_tick(h.deps) == 1
        await finished(h, ts)
        assert [k for k, _ in calls(h)] == ["stop", "resize", "start"]
        assert h.world.servers[PROD].status == "ACTIVE"
        assert h.world.servers[PROD].flavor == "s6.xlarge.2"


async def test_a_refusal_at_the_window_start_is_reported_in_a_chinese_channels_language(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """The preflight's refusal is stored with the not-started report as a wording and shown
    in the channel's language when the outbox sends it (not the English it is logged in)."""
    spec, start = _window(timedelta(hours=1))
    accounts = _chinese_channel(tmp_path, emulator)
    async with running(
        tmp_path, slack, emulator, world, maintenance_windows=spec, accounts_file=accounts
    ) as h:
        _, ts = await _scheduled(h, f"resize {DB} s6.xlarge.2 window=soon")
        h.world.set_power(sid("pi-erp-db-src"), "ACTIVE")
        h.clock.t = start
        await schedule_tick(h.deps)
        replies = await until(lambda: h.thread_replies(ts))
        assert "服务器未关机：生产站点：" in replies[0] and " ACTIVE)" in replies[0]
        assert "server-running" not in replies[0] and "production" not in replies[0]
        assert h.sdrs_posts() == 0
