"""Group commit: writes asked for while one is under way wait and go together in the next.

Each caller awaits its own item's result, as with one write per item, minus a transaction
each. Used by the serving process's intake (:mod:`bot.store.intake`: each request's inbox row
before its ack) and by the outbox sender (:class:`handlers.outbox.OutboxSender`: each delivery
marked sent as it finishes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """``write`` takes a batch of items and gives each item's result, in order. One write runs at
    a time, in the event loop that called :meth:`put`; up to ``max_batch`` items go in each. A
    write that fails fails the callers whose items it held, not the next batch."""

    def __init__(
        self, write: Callable[[list[Item]], Awaitable[list[Result]]], max_batch: int = 200
    ) -> None:
        self._write = write
        self.max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, item: Item) -> Result:
        """``item``'s result once the write that holds it is done."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            self._waiting = self._waiting[self.max_batch :]
            try:
                results = await self._write([item for item, _ in batch])
                answered = list(zip(batch, results, strict=True))
            except Exception as exc:  # noqa: BLE001 - each caller of the batch gets the error
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in answered:
                if not done.done():
                    done.set_result(result)
