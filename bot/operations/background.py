"""Work that runs after Slack has been answered.

The app runs Bolt with ``process_before_response=True``: a listener acks, hands the rest of its
work to :meth:`Background.spawn` and returns, so the HTTP answer (or Socket Mode ack) leaves at
once instead of waiting for Bolt's ack polling, and slow SDRS calls never hold an ack back.
Tasks are kept referenced until done; their failures are logged with the operation context.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._interruptible: set[asyncio.Task[Any]] = set()
        self._interrupted: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def tracked(
        self, fn: Callable[..., Awaitable[Any]], *, interruptible: bool = False
    ) -> Callable[..., Coroutine[Any, Any, Any]]:
        """``fn`` as a coroutine function whose runs :meth:`drain` waits for (for the
        scheduler's jobs: a shutdown lets a running outbox run finish). An ``interruptible``
        run is cancelled by :meth:`interrupt` instead (a tracker tick: another replica checks
        those jobs again, nothing is lost by not finishing it)."""

        async def run(*args: Any) -> Any:
            task = asyncio.current_task()
            if task is not None:
                (self._interruptible if interruptible else self._tasks).add(task)
            try:
                return await fn(*args)
            except asyncio.CancelledError:
                if task is None or task not in self._interrupted:
                    raise
                # cut short on purpose by interrupt() (a graceful stop): a normal end, not an
                # error for the scheduler to log
                log.info("%s cut short by the stop", getattr(fn, "__qualname__", fn))
                return None
            finally:
                if task is not None:
                    self._tasks.discard(task)
                    self._interruptible.discard(task)

        return run

    async def interrupt(self) -> int:
        """Cancel the interruptible runs in flight and wait for them to unwind."""
        tasks = set(self._interruptible)
        self._interrupted |= tasks
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._interrupted -= tasks
        return len(tasks)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work %s failed", task.get_name(), exc_info=task.exception())

    @property
    def busy(self) -> bool:
        """Work in flight (spawned tasks or tracked runs)."""
        return bool(self._tasks or self._interruptible)

    async def drain(self, within: float) -> bool:
        """Wait for the work in flight (at most ``within`` seconds); True if all finished."""
        current = asyncio.current_task()
        tasks = {t for t in self._tasks if t is not current}
        if not tasks:
            return True
        _, still = await asyncio.wait(tasks, timeout=max(within, 0))
        return not still


Work = Callable[[], Coroutine[Any, Any, Any]]


class Limited:
    """At most ``limit`` pieces of work run at once (as :class:`Background` tasks); the rest
    wait their turn in order and start as others finish. Each piece is made only when it
    starts (``work()``). Bounds what acked commands and clicks a process handles at once
    (INBOX_CONCURRENCY): enough to overlap slow SDRS answers, never unbounded."""

    def __init__(self, background: Background, limit: int) -> None:
        self.background, self.limit = background, limit
        self.running: set[asyncio.Task[Any]] = set()
        self.waiting: deque[tuple[Work, str]] = deque()

    @property
    def room(self) -> int:
        """How many more could start now, none of them waiting."""
        return max(self.limit - len(self.running) - len(self.waiting), 0)

    def submit(self, work: Work, name: str) -> None:
        self.waiting.append((work, name))
        self._start()

    def _start(self) -> None:
        while self.waiting and len(self.running) < self.limit:
            work, name = self.waiting.popleft()
            task = self.background.spawn(work(), name=name)
            self.running.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.running.discard(task)
        self._start()

    async def settle(self) -> None:
        """Wait until nothing runs or waits."""
        while self.running:
            await asyncio.wait(set(self.running))
