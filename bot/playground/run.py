"""Starting the playground: emulator, Slack stand-in with the page, and the real bot (``serve``,
HTTP mode, SQLite in a temporary folder) in this one process; stopped by Ctrl-C / SIGTERM."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.app import serve
from bot.config import Settings
from bot.playground.faults import FaultControls
from bot.playground.ui import PEOPLE, Playground
from bot.sandbox.local_env import free_port
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread

# Playground-only credentials between the local stand-ins (not Slack's, not the cloud's).
BOT_TOKEN = "xoxb-playground-bot-token"
SIGNING_SECRET = "playground-signing-secret"


@dataclass
class Running:
    url: str
    playground: Playground
    slack: SlackApiThread
    emulator: EmulatorThread


async def run_playground(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    job_seconds: float = 8.0,
    two_person: bool = False,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Running], Awaitable[None]] | None = None,
) -> None:
    world = seeded_world(job_seconds=job_seconds)
    service = Emulator(world, SANDBOX_PROJECT_ID)
    emulator = EmulatorThread(service)
    emulator.start()
    slack = SlackApiThread(SlackApiState(token=BOT_TOKEN), host=host, port=port)
    playground = Playground(slack.server, world, signing_secret=SIGNING_SECRET)
    playground.add_routes(slack.app)  # the page, on the stand-in's own server
    slack.start()
    playground.base_url = slack.url
    bot_port = free_port()
    playground.bot_url = f"http://127.0.0.1:{bot_port}/slack/events"
    playground.approval_mode = "two-person" if two_person else "requester"
    with tempfile.TemporaryDirectory(prefix="sdrs-playground-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'playground.sqlite3'}"
        playground.controls = FaultControls(world, service.faults, slack.state, database_url)
        settings = Settings(
            _env_file=None,
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.api_url,
            huaweicloud_sdk_ak=SANDBOX_AK,
            huaweicloud_sdk_sk=SecretStr(SANDBOX_SK),
            huaweicloud_sdk_project_id=SANDBOX_PROJECT_ID,
            sdrs_endpoint=emulator.url,
            ecs_endpoint=emulator.url,
            database_url=database_url,
            http_host="127.0.0.1",
            http_port=bot_port,
            health_host="127.0.0.1",
            health_port=0,
            outbox_pace_seconds=0.2,
            outbox_tick_seconds=0.2,
            tracker_tick_seconds=0.5,
            job_poll_first_seconds=1.0,
            job_poll_max_seconds=2.0,
            # a job that never ends is reported as still running soon (the page can hang one)
            job_timeout_seconds=max(10.0, 5 * job_seconds),
            shutdown_seconds=3.0,
            approval_mode="two-person" if two_person else "requester",
            approvers=frozenset(p.id for p in PEOPLE if p.role == "approver"),
            open_access=True,
        )
        stop = stop or asyncio.Event()
        bot = asyncio.create_task(serve(settings, stop))
        try:
            await _until_listening(bot_port, bot)
            if on_ready is not None:
                await on_ready(Running(slack.url, playground, slack, emulator))
            await bot
        finally:
            if not bot.done():
                stop.set()
                await bot
            slack.stop()
            emulator.stop()


async def _until_listening(port: int, bot: asyncio.Task[None]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(500):
            if bot.done():
                await bot  # raises what stopped it
                return
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    raise RuntimeError("the bot did not start listening")
