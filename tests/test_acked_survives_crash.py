"""An acked command survives a crash (a promise of docs/operations.md): the real ``sdrs-bot
serve`` acks 50 resize commands while SDRS is slow, and is killed with SIGKILL (its worker too)
right after the last ack. Started again on the same database, it answers every acked command -
one confirmation each, none twice - in both modes (one process, and a worker process)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.store import Store
from bot.store.schema import pending_operations
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.slack_helpers import BOT_TOKEN, SIGNING_SECRET, command_body, signed_headers
from tests.support.local_env import ROOT, free_port, serve_env

pytestmark = pytest.mark.process

COMMANDS = 50
CHANNEL = "C0CRASHACK1"


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            httpx.get(url.replace("/slack/events", "/healthz"), timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("serve did not start: " + log.read_text()[-3000:])


def _kill_with_children(proc: subprocess.Popen[bytes]) -> None:
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    proc.send_signal(signal.SIGKILL)
    for child in children:  # the worker dies with it, without a graceful stop
        subprocess.run(["kill", "-KILL", child], check=False)
    proc.wait(10)


async def _ack_all(url: str, slack: SlackApiThread) -> list[str]:
    """Send the commands at once; the trigger ids Slack got a 200 for."""
    text = f"resize {sid('pi-erp-db')} s6.xlarge.2"

    async def one(client: httpx.AsyncClient, n: int) -> str | None:
        trigger = f"crash-ack-{n}"
        body = command_body(
            text,
            user="U0ALICE001",
            channel=CHANNEL,
            trigger=trigger,
            response_url=f"{slack.url}/response/{trigger}",
        )
        headers = {"content-type": "application/x-www-form-urlencoded", **signed_headers(body)}
        answer = await client.post(url, content=body, headers=headers, timeout=10)
        return trigger if answer.status_code == 200 else None

    async with httpx.AsyncClient() as client:
        acked = await asyncio.gather(*(one(client, n) for n in range(COMMANDS)))
    return [t for t in acked if t]


def _operations(store: Store) -> dict[str, tuple[str, str | None]]:
    """request key (trigger id) -> (operation id, confirmation ts) of the channel's operations."""
    t = pending_operations.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t.id, t.request_key, t.message_ts).where(t.channel == CHANNEL)
        ).all()
    return {str(r.request_key): (str(r.id), r.message_ts) for r in rows}


def _confirmations(slack: SlackApiThread) -> Counter[str]:
    """How many confirmation messages were posted per operation id."""
    posted: Counter[str] = Counter()
    for call in slack.state.calls_to("chat.postMessage"):
        raw = call.args.get("blocks")
        found = json.loads(raw) if isinstance(raw, str) else raw or []
        for block in found:
            for element in block.get("elements") or []:
                if element.get("action_id") == CONFIRM_ACTION:
                    posted[str(element["value"])] += 1
    return posted


@pytest.mark.parametrize("workers", ["0", "1"])
def test_every_acked_command_is_answered_once_after_a_crash(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, workers: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    db = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        http_port=str(port),
        worker_processes=workers,
        inbox_lease_seconds="3",
        recovery_tick_seconds="0.5",
        inbox_tick_seconds="0.1",
    )
    log = tmp_path / "serve.log"
    # SDRS is slow: when the bot dies, the commands are acked but their work is in flight
    emulator.emulator.faults.add(Fault("latency", method="GET", seconds=3.0, times=None))
    proc = _start(env, log)
    try:
        _wait_up(url, proc, log)
        acked = asyncio.run(_ack_all(url, slack))
        _kill_with_children(proc)
        assert len(acked) == COMMANDS, f"only {len(acked)} of {COMMANDS} acked"
        before = sum(_confirmations(slack).values())
        emulator.emulator.faults.clear()
        proc = _start(env, log)  # the same database
        _wait_up(url, proc, log)
        deadline = time.monotonic() + 90
        store = Store.from_url(db)
        try:
            while time.monotonic() < deadline:
                ops = _operations(store)
                if all(t in ops and ops[t][1] for t in acked):
                    break
                time.sleep(0.2)
            ops = _operations(store)
        finally:
            store.close()
        missing = [t for t in acked if t not in ops or not ops[t][1]]
        assert not missing, f"{len(missing)} acked commands unanswered ({before} before the kill)"
        posted = _confirmations(slack)
        assert sorted(posted) == sorted(op_id for op_id, _ in ops.values())
        assert max(posted.values()) == 1, "a confirmation was posted twice"
        assert before < COMMANDS  # the kill really fell while work was in flight
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
