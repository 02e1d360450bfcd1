"""Starting the playground: two emulated cloud accounts, the Slack stand-in with the page, and
the real bot (``serve``, HTTP mode, SQLite in a temporary folder) in this one process; stopped by
Ctrl-C / SIGTERM.

The accounts, as a team with two regions has them: ``prod-cn`` (cn-north-4) and ``dr-ap``
(ap-southeast-1; its names start with ``hk-``), each its own emulator with its own project id
and AK/SK. The bot reads them from an accounts file (``ACCOUNTS_FILE``) written into the
temporary folder, whose bindings are the playground's policy: ``#dr-ops`` acts on ``prod-cn``;
``#dr-apac`` on both, so a command there names its account (``account=dr-ap``) or is asked
which."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.config.settings import Settings
from bot.playground.faults import FaultControls
from bot.playground.ui import CHANNELS, PEOPLE, CloudAccount, Playground
from bot.sandbox.runner import free_port
from bot.sandbox.seed import (
    SANDBOX_AK,
    SANDBOX_PROJECT_ID,
    SANDBOX_SK,
    add_long_named_instance,
    near_core_quota,
    seeded_world,
)
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread
from bot.sandbox.world import World
from bot.serve import serve

# Playground-only credentials between the local stand-ins (not Slack's, not the cloud's).
BOT_TOKEN = "xoxb-playground-bot-token"
SIGNING_SECRET = "playground-signing-secret"
# The second account: its own project and keys (emulated, not a real account's).
DR_PROJECT_ID = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
DR_AK, DR_SK = "PLAYGROUNDDRAK000002", "playground-dr-secret-not-a-real-one"
DR_PREFIX = "hk-"  # the second world's names (and ids): sid("hk-pi-erp-db") is hk-erp-db


@dataclass(frozen=True)
class AccountSetup:
    name: str
    region: str
    project_id: str
    ak: str
    sk: str
    world: World


@dataclass
class Running:
    url: str
    playground: Playground
    slack: SlackApiThread
    emulator: EmulatorThread  # the first account's (prod-cn)
    emulators: dict[str, EmulatorThread]  # every account's, by name

    def world(self, account: str) -> World:
        return self.emulators[account].emulator.world


def _accounts(job_seconds: float) -> list[AccountSetup]:
    prod = seeded_world(job_seconds=job_seconds)
    add_long_named_instance(prod)  # a name at SDRS's limit, to see Slack's limits kept
    dr = seeded_world(
        job_seconds=job_seconds, prefix=DR_PREFIX, azs=("ap-southeast-1a", "ap-southeast-1b")
    )
    near_core_quota(dr)  # a project near its ECS cores quota: bigger resizes are refused
    dr.credentials.clear()
    dr.credentials[DR_AK] = DR_SK  # only its own key signs for it
    return [
        AccountSetup("prod-cn", "cn-north-4", SANDBOX_PROJECT_ID, SANDBOX_AK, SANDBOX_SK, prod),
        AccountSetup("dr-ap", "ap-southeast-1", DR_PROJECT_ID, DR_AK, DR_SK, dr),
    ]


PLAYGROUND_WINDOWS = "nightly=daily 02:00-04:00 Asia/Shanghai"


def accounts_toml(accounts: list[AccountSetup], urls: dict[str, str], *, two_person: bool) -> str:
    """The playground's ACCOUNTS_FILE: each account on its emulator, and the channel bindings
    (the channels of :data:`~bot.playground.ui.CHANNELS`, with their accounts)."""
    lines = []
    for a in accounts:
        lines += [
            f"[accounts.{a.name}]",
            f'region = "{a.region}"',
            f'project_id = "{a.project_id}"',
            f'sdrs_endpoint = "{urls[a.name]}"',
            f'ecs_endpoint = "{urls[a.name]}"',
            f'deh_endpoint = "{urls[a.name]}"',
            f'credentials = {{ kind = "static", ak = "{a.ak}", sk = "{a.sk}" }}',
            "",
        ]
    approvers = ", ".join(f'"{p.id}"' for p in PEOPLE if p.role == "approver")
    for channel in CHANNELS:
        lines += [
            "[[bindings]]",
            f'channels = ["{channel.id}"]  # #{channel.name}',
            "accounts = [" + ", ".join(f'"{n}"' for n in channel.accounts) + "]",
            f'approval_mode = "{"two-person" if two_person else "requester"}"',
        ]
        if two_person:
            lines.append(f"approvers = [{approvers}]")
        # who may ask: everyone in this channel, said on purpose (nothing unset is open)
        here = f'{{ channels = ["{channel.id}"] }}'
        lines += [f"resize = {here}", f"rename_drill = {here}", ""]
    return "\n".join(lines)


async def run_playground(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    job_seconds: float = 8.0,
    two_person: bool = False,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Running], Awaitable[None]] | None = None,
) -> None:
    accounts = _accounts(job_seconds)
    emulators = {a.name: EmulatorThread(Emulator(a.world, a.project_id)) for a in accounts}
    for thread in emulators.values():
        thread.start()
    first = accounts[0]
    emulator, service = emulators[first.name], emulators[first.name].emulator
    slack = SlackApiThread(SlackApiState(token=BOT_TOKEN), host=host, port=port)
    playground = Playground(
        slack.server,
        [CloudAccount(a.name, a.region, a.world) for a in accounts],
        signing_secret=SIGNING_SECRET,
    )
    playground.add_routes(slack.app)  # the page, on the stand-in's own server
    slack.start()
    playground.base_url = slack.url
    bot_port = free_port()
    playground.bot_url = f"http://127.0.0.1:{bot_port}/slack/events"
    playground.approval_mode = "two-person" if two_person else "requester"
    with tempfile.TemporaryDirectory(prefix="sdrs-playground-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'playground.sqlite3'}"
        # the fault switches act on the first account's emulator (prod-cn) and on Slack
        playground.controls = FaultControls(first.world, service.faults, slack.state, database_url)
        accounts_file = Path(folder) / "accounts.toml"
        accounts_file.write_text(
            accounts_toml(
                accounts, {n: e.url for n, e in emulators.items()}, two_person=two_person
            ),
            encoding="utf-8",
        )
        settings = Settings(
            _env_file=None,
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.api_url,
            accounts_file=accounts_file,  # the accounts and the channel bindings (the policy)
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
            # window=nightly; the page's "Maintenance windows start now" brings the night
            maintenance_windows=PLAYGROUND_WINDOWS,
            schedule_tick_seconds=1.0,
            shutdown_seconds=3.0,
        )
        stop = stop or asyncio.Event()
        bot = asyncio.create_task(serve(settings, stop))
        try:
            await _until_listening(bot_port, bot)
            if on_ready is not None:
                await on_ready(Running(slack.url, playground, slack, emulator, emulators))
            await bot
        finally:
            if not bot.done():
                stop.set()
                await bot
            slack.stop()
            for thread in emulators.values():
                thread.stop()


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
