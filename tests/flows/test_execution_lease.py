"""A live execution keeps its lease: while SDRS takes longer to answer the resize than the
execution lease, the executing replica renews it, so the recovery (which takes over the
executions of replicas that died) never takes it for an interrupted one. Taken so, the job
was followed twice - by its job id and by its instance - and reported twice (the crash test
saw it under load: a 4 s lease, calls of up to 2 x 5 s)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.states import JobKind
from bot.operations.execute import recover_interrupted
from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, running
from tests.support.slack_helpers import until

RESIZE = f"resize {sid('pi-erp-db')} s6.xlarge.2"


async def test_a_resize_slower_than_its_lease_is_not_taken_as_interrupted(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    # SDRS carries the resize out and answers 2 s later; the lease is 0.6 s
    emulator.emulator.faults.add(Fault("late", method="POST", path_contains="/resize", seconds=2))
    async with running(
        tmp_path, slack, emulator, world, execution_lease_seconds=0.6, http_read_timeout=5.0
    ) as h:
        await h.command(RESIZE)
        op_id, ts = await h.confirmation()
        await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
        taken = 0
        for _ in range(15):  # the recovery's tick, every 0.2 s while the answer is awaited
            await asyncio.sleep(0.2)
            taken += await recover_interrupted(h.deps)
        assert taken == 0  # a live execution, not an interrupted one
        replies = await until(lambda: [r for r in h.thread_replies(ts) if "SUCCESS:" in r])
        await h.quiesce()
        tracked = h.deps.store.all_tracked()
        assert [j.kind for j in tracked] == [JobKind.RESIZE]  # followed once, by its job id
        assert len(replies) == 1 and not any("restarted" in r for r in h.thread_replies(ts))
        assert h.sdrs_posts() == 1
