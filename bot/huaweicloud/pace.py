"""Work after the ack yields to acks.

A serving process without worker processes acks and does the work after its acks on one event
loop. SDRS answers come in bursts (commands read at once are answered at once, 2 s later): each
answer resumes its command, which signs and sends its next reads or renders and posts its
confirmation - a millisecond or so of work each, a hundred of them queued before the next
Slack request is even read, and an ack waits for them all, at each of its steps.

:func:`turn` is a pause point of such work: it waits for its turn, and turns are given one per
pass of the event loop. Between two turns the loop reads its sockets and runs what they woke
(an ack's next step), so an ack waits for at most one piece of other work per step instead of
the whole burst. The ack path itself never calls it. Where nothing else waits, a turn costs
one pass of the loop (tens of microseconds).
"""

from __future__ import annotations

import asyncio
from collections import deque
from weakref import WeakKeyDictionary


class Pace:
    """Turns of one event loop, one per pass, in order of asking."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.scheduled = False

    async def turn(self) -> None:
        waiter: asyncio.Future[None] = self.loop.create_future()
        self.waiting.append(waiter)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self._give)
        await waiter

    def _give(self) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():  # not cancelled meanwhile
                waiter.set_result(None)
                break
        if self.waiting:  # the next one on the next pass, after the sockets were read
            self.loop.call_soon(self._give)
        else:
            self.scheduled = False


_paces: WeakKeyDictionary[asyncio.AbstractEventLoop, Pace] = WeakKeyDictionary()


async def turn() -> None:
    """Wait for this piece of work's turn on the running loop (see the module)."""
    loop = asyncio.get_running_loop()
    pace = _paces.get(loop)
    if pace is None:
        pace = _paces[loop] = Pace(loop)
    await pace.turn()
