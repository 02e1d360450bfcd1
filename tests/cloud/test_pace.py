"""Work after the ack yields to acks (bot.huaweicloud.pace): at its pause points it gets one
turn per pass of the event loop, so something else on the loop (an ack's next step) waits for
at most one piece of it per pass, not for a whole burst."""

from __future__ import annotations

import asyncio

from bot.huaweicloud.pace import turn


async def test_a_burst_of_work_lets_an_ack_through_one_step_per_pass() -> None:
    done: list[int] = []

    async def work(n: int) -> None:  # a command after its ack: three steps, each at its turn
        for _ in range(3):
            await turn()
            done.append(n)

    async def ack() -> int:  # five passes of the loop, as an ack's steps take
        for _ in range(5):
            await asyncio.sleep(0)
        return len(done)

    burst = [asyncio.create_task(work(n)) for n in range(100)]
    await asyncio.sleep(0)  # all hundred wait for their first turn
    assert await ack() <= 6  # not 100 per pass
    await asyncio.gather(*burst)
    assert sorted(done) == sorted(list(range(100)) * 3)  # and all of it is done


async def test_a_cancelled_waiter_gives_its_turn_on() -> None:
    first = asyncio.create_task(turn())
    second = asyncio.create_task(turn())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.wait_for(second, 1)
