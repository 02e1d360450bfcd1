"""The playground has a server on a dedicated host (erp-deh, on deh-erp-prod) and serves the DeH
API: through the page, a resize keeps the host and says so; a host without room is refused
before any confirmation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.playground.run import Running, run_playground
from bot.playground.ui import CHANNELS, PEOPLE
from bot.sandbox.seed import sid
from tests.playground.test_playground import _confirmation, _poll

ALICE = PEOPLE[0].id


async def test_the_playground_resizes_a_server_on_a_dedicated_host() -> None:
    stop = asyncio.Event()
    seen: dict[str, Any] = {}

    async def scenario(running: Running) -> None:
        ops, base = CHANNELS[0].id, running.url
        state = f"{base}/ui/state?user={ALICE}&since=0&channel={ops}"
        async with aiohttp.ClientSession() as session:

            async def command(text: str) -> None:
                body = {"user": ALICE, "channel": ops, "text": text}
                async with session.post(f"{base}/ui/command", json=body) as r:
                    assert r.status == 200, await r.text()

            await command("/sdrs lang en")  # alice's Slack is Chinese: read the English texts
            full = f"production_dedicated_host={sid('deh-full')}"
            await command(f"/sdrs resize {sid('pi-deh')} production=s6.xlarge.2 {full}")
            refused = await _poll(
                session,
                state,
                lambda s: [e["text"] for e in s["ephemerals"] if "has no room" in e["text"]],
            )
            seen["refused"] = refused[0]
            await command(f"/sdrs resize {sid('pi-deh')} production=s6.xlarge.2")
            message = await _poll(session, state, _confirmation)
            seen["confirmation"] = json.dumps(message["blocks"], ensure_ascii=False)
        stop.set()

    await run_playground(job_seconds=0.5, stop=stop, on_ready=scenario)
    assert "`deh-nearly-full`" in seen["refused"] and "2 vCPUs free" in seen["refused"]
    assert "stays on dedicated host `deh-erp-prod`" in seen["confirmation"]
