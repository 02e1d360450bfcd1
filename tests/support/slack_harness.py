"""The Slack-flow harness: the real app with its store, SDRS and ECS clients, the Slack Web API
stand-in and the emulator; a pytest plugin (``h`` fixture), loaded from conftest."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.wiring import build_fleet
from bot.metrics import Metrics
from bot.operations.deps import Deps
from bot.operations.runbook import runbook_tick
from bot.operations.track import Tracker
from bot.runtime import build_workers
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread
from bot.sandbox.world import World
from bot.store import Store
from handlers.app import build_app
from handlers.client import slack_client
from handlers.lookup import forget_group_members
from handlers.outbox import OutboxSender
from tests.conftest import sandbox_settings
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    action_body,
    dispatch,
    slash_command_body,
    until,
)

CHANNEL = "C0DROPS001"
ALICE, BOB, CAROL = "U0ALICE001", "U0BOB00001", "U0CAROL001"


class Clock:
    """Real time plus an offset that a test can move forward (``clock.t += ...``)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @property
    def t(self) -> datetime:
        return self()

    @t.setter
    def t(self, value: datetime) -> None:
        self.offset += value - self()


class Harness:
    def __init__(
        self,
        app: Any,
        deps: Deps,
        slack: SlackApiThread,
        world: World,
        emulator: EmulatorThread,
        clock: Clock,
    ) -> None:
        self.app, self.deps, self.slack, self.world, self.emulator = (
            app,
            deps,
            slack,
            world,
            emulator,
        )
        self.clock = clock
        self._trigger = 0
        self.tracker: Tracker
        self.sender: OutboxSender

    @property
    def state(self) -> SlackApiState:
        return self.slack.state

    async def command(
        self,
        text: str,
        user: str = ALICE,
        channel: str = CHANNEL,
        trigger: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        self._trigger += 1
        trig = trigger or f"trigger-{self._trigger}"
        body = slash_command_body(
            text,
            user=user,
            channel=channel,
            trigger=trig,
            response_url=f"{self.slack.url}/response/{trig}",
        )
        return await dispatch(self.app, body, headers)

    async def click(
        self, action_id: str, op_id: str, user: str, message_ts: str, channel: str = CHANNEL
    ) -> Any:
        url = f"{self.slack.url}/response/act"
        body = action_body(
            action_id=action_id,
            op_id=op_id,
            user=user,
            channel=channel,
            message_ts=message_ts,
            response_url=url,
        )
        return await dispatch(self.app, body)

    def _posted_ts(self, blocks: Any) -> str | None:
        posted = (ts for (_, ts), m in self.state.message_items() if m["blocks"] == blocks)
        return next(posted, None)

    async def confirmation(self, index: int = 0, *, recorded: bool = True) -> tuple[str, str]:
        """(op id, message ts) of the index-th confirmation posted; with ``recorded``, once the
        operation has recorded its message too."""
        posts = await until(
            lambda: (
                [c for c in self.state.calls_to("chat.postMessage") if c.args.get("blocks")][index:]
                or None
            )
        )
        call = posts[0]
        actions = [b for b in call.args["blocks"] if b["type"] == "actions"][0]
        op_id = actions["elements"][0]["value"]
        # the stand-in records the call, then stores the message, on its own thread
        ts = await until(lambda: self._posted_ts(call.args["blocks"]))
        # posted is not yet recorded: wait until the operation knows its message, as it does
        # long before anyone could click or it could expire
        if recorded:
            await until(lambda: (op := self.deps.store.get_pending(op_id)) and op.message_ts)
        return op_id, ts

    async def quiesce(self, within: float = 15.0) -> None:
        """Wait until the work the listeners handed to the background after their acks has
        finished and every message it queued was delivered (instead of sleeping before
        asserting that something did NOT happen)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            left = deadline - asyncio.get_running_loop().time()
            assert await self.deps.background.drain(left), "background work still running"
            waiting, _ = await asyncio.to_thread(self.deps.store.outbox_stats, self.deps.now())
            if not waiting and not self.deps.background.busy:
                return
            assert left > 0, f"{waiting} outbox messages still waiting"
            await asyncio.sleep(0.01)

    def sdrs_posts(self) -> int:
        return sum(1 for r in self.emulator.emulator.requests if r.method == "POST")

    def sdrs_puts(self) -> int:
        return sum(1 for r in self.emulator.emulator.requests if r.method == "PUT")

    def ephemerals(self, user: str) -> list[str]:
        return [
            str(c.args.get("text"))
            for c in self.state.calls_to("chat.postEphemeral")
            if c.args.get("user") == user
        ]

    def responses(self) -> list[dict[str, Any]]:
        return [c.args for c in self.state.calls if c.method.startswith("response_url:")]

    def thread_replies(self, ts: str) -> list[str]:
        return [
            str(c.args.get("text"))
            for c in self.state.calls_to("chat.postMessage")
            if c.args.get("thread_ts") == ts
        ]

    def updates(self, ts: str) -> list[str]:
        return [
            str(c.args.get("text"))
            for c in self.state.calls_to("chat.update")
            if c.args.get("ts") == ts
        ]


async def pump(h: Harness) -> None:
    """What the scheduler does in production: run the tracker, the runbooks and the outbox,
    often."""
    while True:
        await h.tracker.tick()
        await runbook_tick(h.deps)
        await h.sender.run_once()
        await asyncio.sleep(0.02)


def make_harness(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World, **overrides: Any
) -> tuple[Harness, Store, SdrsClient]:
    settings = sandbox_settings(
        emulator.url,
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.api_url,
        **{
            "database_url": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            "outbox_pace_seconds": 0.0,
            "job_poll_first_seconds": 0.1,
            "job_poll_max_seconds": 0.3,
            **overrides,
        },
    )
    store = Store.from_url(settings.database_url)
    forget_group_members()  # a fresh process's: this stand-in may have an earlier one's port
    metrics = Metrics()  # as serve() wires it
    fleet, bindings = build_fleet(settings, metrics=metrics)
    sdrs = next(iter(fleet)).sdrs
    clock = Clock()
    deps = Deps(
        settings=settings, store=store, fleet=fleet, bindings=bindings, now=clock, metrics=metrics
    )
    app = build_app(deps, slack_client(settings))
    harness = Harness(app, deps, slack, world, emulator, clock)
    harness.tracker, harness.sender = build_workers(deps, slack_client(settings, retries=False))
    metrics.watch(store, lambda: harness.sender.rate_limited, lambda: harness.sender.missing_scope)
    return harness, store, sdrs


@pytest.fixture
async def h(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> AsyncIterator[Harness]:
    async with running(tmp_path, slack, emulator, world) as harness:
        yield harness


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World, **overrides: Any
) -> AsyncIterator[Harness]:
    """A harness with its own settings, pumped like the scheduler would, closed afterwards."""
    harness, store, sdrs = make_harness(tmp_path, slack, emulator, world, **overrides)
    pumping = asyncio.create_task(pump(harness))
    try:
        yield harness
    finally:
        await harness.quiesce()
        pumping.cancel()
        # no tick may still run once the store is closed; how the pump ended (cancelled, or a
        # tick's error a test provoked) is not this clean-up's business
        await asyncio.wait([pumping])
        await harness.deps.fleet.aclose()
        harness.deps.intake.close()
        store.close()
