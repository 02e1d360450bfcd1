"""An acked command survives a crash (a promise of docs/operations.md): the real ``sdrs-bot
serve`` acks 50 resize commands while SDRS is slow, and is killed with SIGKILL (its worker too)
right after the last ack. Started again on the same database, it answers every acked command -
one confirmation each, none twice - in both modes (one process, and a worker process)."""

from __future__ import annotations

import asyncio
import json
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
from tests.support.local_env import serve_env
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    slack_signed_headers,
    slash_command_body,
)

pytestmark = pytest.mark.process

COMMANDS = 50
CHANNEL = "C0CRASHACK1"


async def _ack_all(url: str, slack: SlackApiThread) -> list[str]:
    """Send the commands at once; the trigger ids Slack got a 200 for."""
    text = f"resize {sid('pi-erp-db')} s6.xlarge.2"

    async def one(client: httpx.AsyncClient, n: int) -> str | None:
        trigger = f"crash-ack-{n}"
        body = slash_command_body(
            text,
            user="U0ALICE001",
            channel=CHANNEL,
            trigger=trigger,
            response_url=f"{slack.url}/response/{trigger}",
        )
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            **slack_signed_headers(body),
        }
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
    tmp_path: Path,
    slack: SlackApiThread,
    emulator: EmulatorThread,
    serve: ServeFactory,
    workers: str,
) -> None:
    db = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        worker_processes=workers,
        inbox_lease_seconds="3",
        recovery_tick_seconds="0.5",
        inbox_tick_seconds="0.1",
    )
    # SDRS is slow: when the bot dies, the commands are acked but their work is in flight
    emulator.emulator.faults.add(Fault("latency", method="GET", seconds=3.0, times=None))
    bot = serve(env).wait_ready()
    acked = asyncio.run(_ack_all(bot.url, slack))
    bot.kill(with_children=True)  # the worker dies with it, without a graceful stop
    assert len(acked) == COMMANDS, f"only {len(acked)} of {COMMANDS} acked"
    before = sum(_confirmations(slack).values())
    emulator.emulator.faults.clear()
    bot.start().wait_ready()  # the same database
    store = Store.from_url(db)
    try:

        def answered() -> bool:
            ops = _operations(store)
            return all(t in ops and ops[t][1] for t in acked)

        wait_for(answered, 90, "every acked command to be answered", bot.log)
        ops = _operations(store)
    finally:
        store.close()
    posted = _confirmations(slack)
    assert sorted(posted) == sorted(op_id for op_id, _ in ops.values())
    assert max(posted.values()) == 1, "a confirmation was posted twice"
    assert before < COMMANDS  # the kill really fell while work was in flight
