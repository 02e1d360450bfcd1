"""Crash test: the real ``sdrs-bot serve`` process is killed with SIGKILL at random moments while
200 resize jobs of varied length are requested, confirmed and tracked; it is restarted each
time on the same database. At the end every job SDRS accepted has exactly one final report in
its thread, none doubled, and no instance was resized twice. When a kill falls between SDRS
accepting the POST and the bot saving the job id, the job id is lost: the bot then follows the
instance (it is resizing) and reports its end the same way; only a job already over by then
would get an "outcome unknown" report instead (not here: jobs outlast the recovery delay)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.core.states import JobKind
from bot.sandbox.seed import SANDBOX_PROJECT_ID, seeded_world
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread
from bot.sandbox.world import JobPlan, World
from bot.store import Store
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.fleet import settled
from tests.support.local_env import serve_env
from tests.support.seed import add_bulk_instances
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    action_body,
    slack_signed_headers,
    slash_command_body,
)

# one at a time: each keeps several processes and hundreds of jobs busy (the fleet group)
pytestmark = [pytest.mark.process, pytest.mark.xdist_group("fleet")]

JOBS = 200
CHANNELS = [f"C0CRASH{n:03d}" for n in range(20)]
USER = "U0CRASH001"


@pytest.fixture
def stands() -> Iterator[tuple[EmulatorThread, SlackApiThread]]:
    world = seeded_world(job_init_seconds=0.3, job_seconds=2.0)
    add_bulk_instances(world, JOBS)
    rng = random.Random(11)
    for _ in range(JOBS):
        world.plan_next_job(JobPlan(seconds=rng.uniform(8.0, 20.0)))
    emulator = EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID))
    emulator.start()
    slack = SlackApiThread(SlackApiState(token=BOT_TOKEN))
    slack.start()
    yield emulator, slack
    slack.stop()
    emulator.stop()


def _confirmation(slack: SlackApiThread, channel: str, instance: str) -> tuple[str, str] | None:
    """(op id, ts) of the newest confirmation for this instance in the channel, if any."""
    found = None
    for (ch, ts), message in slack.state.message_items():
        if ch != channel or "thread_ts" in message:
            continue
        text = str(message.get("blocks"))
        if instance in text and CONFIRM_ACTION in text:
            actions = [b for b in message["blocks"] if b.get("type") == "actions"]
            if actions:
                found = (actions[0]["elements"][0]["value"], ts)
    return found


async def _post(http: httpx.AsyncClient, url: str, body: str) -> bool:
    headers = {"content-type": "application/x-www-form-urlencoded", **slack_signed_headers(body)}
    try:
        response = await http.post(url, content=body, headers=headers, timeout=5)
    except httpx.TransportError:
        return False  # the bot is down (being killed or restarting)
    return response.status_code == 200


async def _drive(index: int, instance: str, url: str, slack: SlackApiThread, world: World) -> None:
    """One operator: ask, wait for the confirmation, click; ask again / click again as a person
    would when nothing visible happens (the bot died at the wrong moment)."""
    channel = CHANNELS[index % len(CHANNELS)]
    text = f"resize {instance} s6.xlarge.2"
    deadline = time.monotonic() + 150
    attempt = 0
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            attempt += 1
            body = slash_command_body(
                text,
                user=USER,
                channel=channel,
                trigger=f"t{index}-{attempt}",
                response_url=f"{slack.url}/response/t{index}",
            )
            if not await _post(http, url, body):
                await asyncio.sleep(0.5)
                continue
            for _ in range(40):  # up to ~8 s for the confirmation to appear
                await asyncio.sleep(0.2)
                found = _confirmation(slack, channel, instance)
                if found:
                    break
            else:
                continue  # nothing posted: type the command again
            op_id, ts = found
            while time.monotonic() < deadline:
                click = action_body(
                    action_id=CONFIRM_ACTION,
                    op_id=op_id,
                    user=USER,
                    channel=channel,
                    message_ts=ts,
                    response_url=f"{slack.url}/response/a{index}",
                )
                await _post(http, url, click)
                for _ in range(25):
                    await asyncio.sleep(0.2)
                    replies = slack.state.thread(channel, ts)
                    if replies:
                        break
                else:
                    continue  # nothing visible: click again
                # Told the outcome is unknown: a person checks the instance (here: whether SDRS
                # has a job for it) and asks again only if nothing was submitted.
                for _ in range(50):  # the first reply may be the confirmation's own update
                    if any(
                        k in m["text"]
                        for m in replies
                        for k in ("Submitted", "cannot tell", "SDRS")
                    ):
                        break
                    await asyncio.sleep(0.2)
                    replies = slack.state.thread(channel, ts)
                submitted = any(j.instance_id == instance for j in list(world.jobs.values()))
                if submitted:
                    return
                break  # ask again with a new command


def test_reports_survive_sigkill(
    tmp_path: Path, stands: tuple[EmulatorThread, SlackApiThread], serve: ServeFactory
) -> None:
    emulator, slack = stands
    world = emulator.emulator.world
    db = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        outbox_pace_seconds="0.2",
        outbox_tick_seconds="0.1",
        tracker_tick_seconds="0.2",
        job_poll_first_seconds="0.5",
        job_poll_max_seconds="2",
        lease_seconds="3",
        http_read_timeout="5",
        http_max_attempts="2",
        confirmation_ttl_seconds="3600",
        execution_lease_seconds="4",
        recovery_tick_seconds="1",
    )
    bot = serve(env, name="bot")
    url = bot.url
    instances = [s for s in world.instances if world.instances[s].name.startswith("pi-bulk")]
    rng = random.Random(5)

    async def killer() -> None:
        for _ in range(4):
            await asyncio.sleep(rng.uniform(2.0, 6.0))
            await asyncio.to_thread(bot.kill)
            await asyncio.sleep(rng.uniform(0.1, 1.0))
            await asyncio.to_thread(bot.start)

    async def scenario() -> None:
        semaphore = asyncio.Semaphore(40)

        async def one(i: int, instance: str) -> None:
            async with semaphore:
                await _drive(i, instance, url, slack, world)

        await asyncio.gather(killer(), *(one(i, pi) for i, pi in enumerate(instances)))

    asyncio.run(scenario())
    store = Store.from_url(db)
    try:
        wait_for(lambda: settled(store), 120, "no jobs or messages pending", bot.log)
        # ---- the verdict ---------------------------------------------------------------
        assert bot.kills >= 3
        assert len(world.jobs) == JOBS, f"only {len(world.jobs)} of {JOBS} resizes reached SDRS"
        per_instance = Counter(job.instance_id for job in world.jobs.values())
        assert per_instance and max(per_instance.values()) == 1, "an instance was resized twice"
        missing, doubled = [], []
        shown: list[str] = []  # the first doubled thread, message by message, for the failure
        followed = {
            j.subject: j for j in store.all_tracked() if j.kind is JobKind.RESIZE_BY_INSTANCE
        }
        for job_id, sdrs_job in world.jobs.items():
            tracked = store.get_tracked(job_id) or followed.get(sdrs_job.instance_id)
            if tracked is None:
                continue  # checked below: an interrupted submission
            thread = slack.state.thread(tracked.channel, tracked.thread_ts or "")
            finals = [m for m in thread if "SUCCESS:" in m["text"] or "FAIL:" in m["text"]]
            texts = [m["text"] for m in thread]
            if len(finals) == 0:
                missing.append(job_id)
            if len(finals) > 1 or len(texts) != len(set(texts)):
                doubled.append(job_id)
                shown = shown or [
                    f"{m.get('ts')} {str(m.get('metadata'))[:160]} {m['text'][:160]!r}"
                    for m in thread
                ]
        assert not missing, f"{len(missing)} jobs without a final report"
        assert not doubled, f"{len(doubled)} threads with a doubled report, e.g.\n" + "\n".join(
            shown
        )
        by_instance = {
            j.subject for j in store.all_tracked() if j.kind is JobKind.RESIZE_BY_INSTANCE
        }
        untracked = [
            j
            for j, job in world.jobs.items()
            if store.get_tracked(j) is None and job.instance_id not in by_instance
        ]
        # Jobs last 8-20 s and an interrupted execution is picked up 4-7 s after the kill, so
        # every job whose id was lost is still resizing then and gets followed to its end.
        assert not untracked, f"{len(untracked)} accepted jobs without a final report"
        print(  # noqa: T201 - the figures of this run, for the record
            f"\ncrash test: {len(world.jobs)} jobs, {bot.kills} SIGKILLs, "
            f"{len(followed)} followed through the instance after an interrupted submission, "
            f"{len(untracked)} reported as outcome unknown, "
            f"{len(slack.state.calls_to('chat.postMessage'))} posts"
        )
    finally:
        store.close()
