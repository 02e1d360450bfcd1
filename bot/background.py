"""Work that runs after Slack has been answered.

The app runs Bolt with ``process_before_response=True``: a listener acks, hands the rest of its
work to :meth:`Background.spawn` and returns, so the HTTP answer (or Socket Mode ack) leaves at
once instead of waiting for Bolt's ack polling, and slow SDRS calls never hold an ack back.
Tasks are kept referenced until done; their failures are logged with the operation context.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work %s failed", task.get_name(), exc_info=task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, within: float) -> bool:
        """Wait for the work in flight (at most ``within`` seconds); True if all finished."""
        if not self._tasks:
            return True
        _, still = await asyncio.wait(set(self._tasks), timeout=within)
        return not still
