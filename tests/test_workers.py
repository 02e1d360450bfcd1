"""WORKER_PROCESSES (for ack latency): the serving process queues commands and clicks in
the durable inbox before acking; workers do the rest exactly as the in-process path would.
In-process scenarios drive a worker's inbox step directly; one test runs `sdrs-bot serve` with
a real worker child over HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from bot.core.states import InboxKind
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from handlers.inbox import MAX_ATTEMPTS, drain_inbox
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.slack_harness import ALICE, CHANNEL, running
from tests.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    command_body,
    signed_headers,
    until,
)
from tests.support.local_env import ROOT, free_port, serve_env

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
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread
) -> None:
    port = free_port()
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        http_port=str(port),
        worker_processes="1",
        inbox_tick_seconds="0.05",
        shutdown_seconds="5",
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        body = command_body(
            RESIZE,
            user=ALICE,
            channel=CHANNEL,
            trigger="w-1",
            response_url=f"{slack.url}/response/w-1",
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                request = Request(
                    f"http://127.0.0.1:{port}/slack/events",
                    data=body.encode(),
                    headers={
                        "content-type": "application/x-www-form-urlencoded",
                        **signed_headers(body),
                    },
                )
                with urlopen(request, timeout=5) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
        while not [c for c in slack.state.calls_to("chat.postMessage") if c.args.get("blocks")]:
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.05)
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) == 1  # the worker
        posted = [c for c in slack.state.calls_to("chat.postMessage") if c.args.get("blocks")]
        assert "ecs-erp-db-src" in json.dumps(posted[0].args["blocks"])
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(20)
        log.close()
    assert code == 0, (tmp_path / "serve.log").read_text()
    assert not any(Path(f"/proc/{c}").exists() for c in children)


@pytest.mark.process
def test_a_worker_never_outlives_a_killed_serve(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread
) -> None:
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'k.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        http_port=str(free_port()),
        worker_processes="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    children: list[str] = []
    while not children and time.monotonic() < deadline:
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        time.sleep(0.05)
    assert children, "serve did not start its worker"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [
        c
        for c in children
        if Path(f"/proc/{c}/status").exists()
        and "zombie" not in Path(f"/proc/{c}/status").read_text()
    ]
    assert alive == [], "the worker outlived its killed parent"


async def test_an_item_that_keeps_failing_is_set_aside_and_its_sender_told(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """A click whose handling raises every time (here: a payload no version can read) is
    retried with a pause, then dead-lettered: out of the inbox, into the audit trail,
    counted, and the person who clicked is told."""
    async with running(tmp_path, slack, emulator, world, worker_processes=1) as h:
        bad = {
            "user": ALICE,
            "channel": CHANNEL,
            "op_id": "x" * 32,
            "message_ts": "1.1",
            "to": "maybe",
        }
        h.deps.store.put_inbox(InboxKind.CLICK, "click:bad", bad, h.deps.now())
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert await drain_inbox(h.deps, h.app.client, "worker-0") == 1, attempt
            assert await drain_inbox(h.deps, h.app.client, "worker-0") == 0  # paused
            h.clock.t += timedelta(seconds=61)
        assert h.deps.store.inbox_depth() == 0
        dead = [e for e in h.deps.store.audit_events() if e.action == "inbox-dead"]
        assert len(dead) == 1 and dead[0].detail["attempts"] == MAX_ATTEMPTS
        assert dead[0].detail["payload"] == bad
        told = await until(lambda: h.ephemerals(ALICE))
        assert "could not handle this after 5 tries" in told[0]
        assert h.deps.metrics.inbox_dead.labels("click")._value.get() == 1


async def test_an_item_whose_worker_dies_each_time_is_set_aside_unhandled(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, worker_processes=1) as h:
        await h.command(RESIZE)
        await h.quiesce()
        for _ in range(MAX_ATTEMPTS):  # taken, and its worker died holding it, five times
            taken = h.deps.store.take_inbox("doomed", h.deps.now(), lease_seconds=60, limit=1)
            assert len(taken) == 1
            h.clock.t += timedelta(seconds=61)
        cloud_calls = len(h.emulator.emulator.requests)
        assert await drain_inbox(h.deps, h.app.client, "worker-1") == 1
        assert h.deps.store.inbox_depth() == 0
        assert not [c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]
        assert len(h.emulator.emulator.requests) == cloud_calls  # not handled at all
        assert "could not handle this" in (await until(lambda: h.ephemerals(ALICE)))[0]
