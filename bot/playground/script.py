"""``sdrs-bot demo --scripted``: the playground drives itself through the main flows, exactly as
a person on the page would (signed Slack requests to the real bot), prints what Slack would show,
and exits 0 when every step ended as expected. CI runs it as the smoke test of the README's
first command."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from bot.playground.run import DR_PREFIX, Running
from bot.playground.ui import CHANNEL, CHANNELS, PEOPLE
from bot.sandbox.seed import sid

T = TypeVar("T")
ALICE, BOB = PEOPLE[0].id, PEOPLE[1].id


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


NAMES = {p.id: p.name for p in PEOPLE}


def _flat(text: str) -> str:
    text = re.sub(r"<@(\w+)>", lambda m: "@" + NAMES.get(m[1], m[1]), text)
    return re.sub(r"<!date\^\d+\^[^|]*\|([^>]*)>", r"\1", text).replace("*", "")


class Script:
    def __init__(self, running: Running) -> None:
        self.r = running
        self.state = running.slack.state

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a playground coroutine on the Slack stand-in's loop (it owns the HTTP session)."""
        return await asyncio.wrap_future(self.r.slack.submit(work))

    async def until(self, what: str, check: Callable[[], T | None], within: float = 30) -> T:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for: {what}")

    def confirmations(self, channel: str = CHANNEL[0]) -> list[tuple[str, dict[str, Any]]]:
        """Confirmations still open (their buttons are replaced once decided)."""
        return sorted(
            (
                (ts, m)
                for (ch, ts), m in self.state.message_items()
                if ch == channel and any(b.get("type") == "actions" for b in m.get("blocks", []))
            ),
            key=lambda item: float(item[0]),
        )

    def replies(self, ts: str, channel: str = CHANNEL[0]) -> list[str]:
        return [m["text"] for m in self.state.thread(channel, ts)]

    async def confirm(self, index: int, channel: str = CHANNEL[0]) -> str:
        # --two-person: the requester may not confirm her own request; an approver does
        user = BOB if self.r.playground.approval_mode == "two-person" else ALICE
        ts, message = (
            await self.until("the confirmation", lambda: self.confirmations(channel)[index:])
        )[0]
        section = message["blocks"][0]["text"]["text"]
        name = self.r.playground.channel(channel).name
        out(f"  confirmation in #{name}:\n    " + _flat(section).replace("\n", "\n    "))
        actions = next(b for b in message["blocks"] if b["type"] == "actions")
        button = actions["elements"][0]
        await self.call(
            self.r.playground.action(
                user,
                {
                    "action_id": button["action_id"],
                    "block_id": actions["block_id"],
                    "value": button["value"],
                    "message_ts": ts,
                    "channel": channel,
                },
            )
        )
        out(f"  {NAMES[user]} clicked Confirm")
        return ts

    async def run(self) -> None:
        p = self.r.playground
        out("1. alice: /sdrs resize erp-db s6.xlarge.2 (both sites)")
        await self.call(p.command(ALICE, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2"))
        ts = await self.confirm(0)
        final = await self.until(
            "the job's final report",
            lambda: [r for r in self.replies(ts) if "SUCCESS" in r or "FAIL" in r],
        )
        for reply in self.replies(ts):
            out(f"  thread: {_flat(reply)}")
        assert "SUCCESS" in final[0], final[0]

        out("\n2. alice: /sdrs resize erp-app s6.xlarge.2 (its production server is running)")
        before = len(self.state.messages)
        await self.call(p.command(ALICE, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2"))
        refusal = await self.until(
            "the refusal", lambda: [e["text"] for e in p.ephemerals if "ACTIVE" in e["text"]]
        )
        out(f"  only alice sees: {_flat(refusal[0])}")
        assert len(self.state.messages) == before, "a refused resize must post nothing"

        await self.stop_resize_start()

        out("\n4. alice: /sdrs drill rename drill-erp 容灾演练-2026")
        await self.call(p.command(ALICE, f"/sdrs drill rename {sid('drill-erp')} 容灾演练-2026"))
        ts = await self.confirm(0)
        renamed = await self.until(
            "the rename result",
            lambda: [r for r in self.replies(ts) if "renamed" in r or "refused" in r],
        )
        out(f"  thread: {_flat(renamed[0])}")
        assert "容灾演练-2026" in renamed[0]
        await self.second_account()
        out("\nAll steps ended as expected.")

    async def stop_resize_start(self) -> None:
        """The same resize with ``power=stop-start``: the bot stops the running server, resizes,
        and starts it again, each step in the thread."""
        p, world = self.r.playground, self.r.world("prod-cn")
        app = sid("pi-erp-app-src")
        out("\n3. alice: /sdrs resize erp-app s6.xlarge.2 power=stop-start")
        await self.call(
            p.command(ALICE, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2 power=stop-start")
        )
        ts = await self.confirm(0)
        await self.until(
            "the runbook's end",
            lambda: [r for r in self.replies(ts) if "Stop-resize-start done" in r],
            within=60,
        )
        for reply in self.replies(ts):
            out(f"  thread: {_flat(reply)}")
        server = world.servers[app]
        out(f"  {server.name}: {server.status}, {server.flavor}")
        assert (server.status, server.flavor) == ("ACTIVE", "s6.xlarge.2"), vars(server)

    async def second_account(self) -> None:
        """#dr-apac is bound to both accounts: a command names one, or is asked which."""
        p, apac = self.r.playground, CHANNELS[1].id
        db = sid(f"{DR_PREFIX}pi-erp-db")
        world_cn, world_ap = self.r.world("prod-cn"), self.r.world("dr-ap")
        flavors_cn = {s.id: s.flavor for s in world_cn.servers.values()}
        out(f"\n5. alice in #dr-apac: /sdrs resize {DR_PREFIX}erp-db s6.xlarge.2 (no account)")
        await self.call(p.command(ALICE, f"/sdrs resize {db} s6.xlarge.2", apac))
        asked = await self.until(
            "the question",
            lambda: [e["text"] for e in p.ephemerals if "`account=NAME`" in e["text"]],
        )
        out(f"  only alice sees: {_flat(asked[0])}")
        assert not self.confirmations(apac), "an ambiguous command must post nothing"
        out(f"   alice in #dr-apac: /sdrs resize {DR_PREFIX}erp-db s6.xlarge.2 account=dr-ap")
        await self.call(p.command(ALICE, f"/sdrs resize {db} s6.xlarge.2 account=dr-ap", apac))
        ts = await self.confirm(0, channel=apac)
        final = await self.until(
            "the job's final report",
            lambda: [r for r in self.replies(ts, apac) if "SUCCESS" in r or "FAIL" in r],
        )
        for reply in self.replies(ts, apac):
            out(f"  thread: {_flat(reply)}")
        assert "SUCCESS" in final[0] and "account `dr-ap` (ap-southeast-1)" in final[0], final[0]
        assert world_ap.servers[sid(f"{DR_PREFIX}pi-erp-db-src")].flavor == "s6.xlarge.2"
        assert {s.id: s.flavor for s in world_cn.servers.values()} == flavors_cn, (
            "a resize in account dr-ap must not touch prod-cn"
        )
        out("  dr-ap's servers are resized; prod-cn's are as they were")
