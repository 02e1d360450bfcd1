"""WORKER_PROCESSES (for a short ack latency): the serving process queues commands and clicks in
the durable inbox before acking; workers do the rest exactly as the in-process path would.
In-process scenarios drive a worker's inbox step directly; one test runs `sdrs-bot serve` with
a real worker child over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from handlers.inbox import drain_inbox
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.local_env import serve_env
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_harness import ALICE, CHANNEL, running
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    slack_signed_headers,
    slash_command_body,
    until,
)

RESIZE = f"resize {sid('pi-erp-db')} s6.xlarge.2"


async def test_commands_and_clicks_go_through_the_inbox(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, worker_processes=1) as h:
        response = await h.command(RESIZE, trigger="t-1")
        assert response.status == 200 and response.body == ""
        await h.command(RESIZE, trigger="t-1", headers={"x-slack-retry-num": "1"})  # a retry
        await h.quiesce()
        assert h.deps.store.inbox_depth() == 1  # queued once, nothing done in this process
        assert not h.state.calls_to("chat.postMessage")
        assert h.deps.store.inbox_depth() == 1
        await drain_inbox(h.deps, h.app.client, "worker-0")
        op_id, ts = await h.confirmation()
        assert h.deps.store.inbox_depth() == 0
        await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
        await h.quiesce()
        assert h.sdrs_posts() == 0  # the click waits in the inbox
        await drain_inbox(h.deps, h.app.client, "worker-0")
        replies = await until(lambda: h.thread_replies(ts))
        assert "Submitted to SDRS" in replies[0] and h.sdrs_posts() == 1


async def test_an_acked_command_survives_a_worker_that_died(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, worker_processes=1) as h:
        await h.command(RESIZE)
        await until(lambda: h.deps.store.inbox_depth() == 1)
        taken = h.deps.store.take_inbox("dead-worker", h.deps.now(), lease_seconds=60, limit=10)
        assert len(taken) == 1  # ... and that worker died holding it
        assert await drain_inbox(h.deps, h.app.client, "worker-1") == 0  # leased: not taken
        h.clock.t += timedelta(seconds=61)
        assert await drain_inbox(h.deps, h.app.client, "worker-1") == 1
        await h.confirmation()
        await h.quiesce()
        assert len([c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]) == 1


async def test_a_worker_reads_sdrs_for_inbox_concurrency_commands_at_once(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """With SDRS answering late, the preflight reads of INBOX_CONCURRENCY commands are in
    flight at once: never more (it bounds the work), and not fewer - a connection pool of 50
    per endpoint held the drain to about 13 commands/s with SDRS 2 s late (issue 25)."""
    emulator.emulator.faults.add(
        Fault("latency", method="GET", path_contains="/protected-instances/", times=None, seconds=1)
    )
    async with running(
        tmp_path, slack, emulator, world, worker_processes=1, inbox_concurrency=60
    ) as h:
        for n in range(90):
            await h.command(RESIZE, trigger=f"many-{n}")
        await h.quiesce()
        assert h.deps.store.inbox_depth() == 90
        assert await drain_inbox(h.deps, h.app.client, "worker-0") == 60  # room for 60
        assert emulator.emulator.peak_in_flight["GET instance"] == 60
        await drain_inbox(h.deps, h.app.client, "worker-0")
        assert emulator.emulator.peak_in_flight["GET instance"] == 60
        assert h.deps.store.inbox_depth() == 0
        posted = [c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]
        assert len(posted) == 90


async def test_the_serving_process_handles_inbox_concurrency_commands_at_once(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """Without workers the serving process handles what it acked itself, at most
    INBOX_CONCURRENCY at once (it had no bound): the rest wait their turn, none is lost."""
    emulator.emulator.faults.add(
        Fault("latency", method="GET", path_contains="/protected-instances/", times=None, seconds=1)
    )
    async with running(tmp_path, slack, emulator, world, inbox_concurrency=5) as h:
        for n in range(12):
            await h.command(RESIZE, trigger=f"here-{n}")
        await h.quiesce(within=30)
        assert emulator.emulator.peak_in_flight["GET instance"] == 5
        assert h.deps.store.inbox_depth() == 0
        posted = [c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]
        assert len(posted) == 12


async def test_status_and_refusals_are_answered_by_the_worker(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, worker_processes=1) as h:
        await h.command(f"resize {sid('pi-erp-app')} s6.xlarge.2")
        await h.command("history")
        await h.quiesce()
        assert h.deps.store.inbox_depth() == 2 and not h.responses()  # queued, not answered
        assert await drain_inbox(h.deps, h.app.client, "worker-0") == 2
        texts = [r["text"] for r in h.responses()]
        assert any("is ACTIVE" in t for t in texts)
        assert any("No SDRS operations" in t for t in texts)
        assert h.deps.store.inbox_depth() == 0
        answer = await h.command("help")  # answered in the ack, never queued
        assert "/sdrs resize" in answer.body
        await h.quiesce()
        assert h.deps.store.inbox_depth() == 0


@pytest.mark.process
def test_serve_with_a_worker_process_over_http(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, serve: ServeFactory
) -> None:
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        worker_processes="1",
        inbox_tick_seconds="0.05",
        shutdown_seconds="5",
    )
    bot = serve(env).wait_ready()
    body = slash_command_body(
        RESIZE,
        user=ALICE,
        channel=CHANNEL,
        trigger="w-1",
        response_url=f"{slack.url}/response/w-1",
    )
    request = Request(
        bot.url,
        data=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded", **slack_signed_headers(body)},
    )
    with urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    posted = wait_for(
        lambda: [c for c in slack.state.calls_to("chat.postMessage") if c.args.get("blocks")],
        20,
        "the confirmation",
        bot.log,
    )
    children = bot.children()
    assert len(children) == 1  # the worker
    assert "ecs-erp-db-src" in json.dumps(posted[0].args["blocks"])
    assert bot.stop(20) == 0, bot.log_text()
    assert not any(Path(f"/proc/{c}").exists() for c in children)


@pytest.mark.process
def test_a_worker_never_outlives_a_killed_serve(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, serve: ServeFactory
) -> None:
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'k.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        worker_processes="1",
    )
    bot = serve(env).wait_ready()  # ready: its worker runs
    children = bot.children()
    assert children, "serve did not start its worker"
    bot.kill()

    def alive() -> list[str]:
        running = []
        for child in children:
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue  # gone
            if "zombie" not in status:
                running.append(child)
        return running

    wait_for(lambda: not alive(), 20, "the worker to end with its killed parent")
