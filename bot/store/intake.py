"""Group commit for the inbox: rows that arrive together are written in one transaction.

Each command or click is written to the inbox before its ack (it must survive a crash), so
the serving process writes once per request. One transaction per request makes concurrent
requests queue for the database's write lock (SQLite has one; workers write too) and the ack
tail grows. :class:`Intake` keeps one writer: requests that arrive while a batch is being
written wait for the next one, and each waits only for the commit that holds its row.

The writer has a thread of its own: the work after the ack (and the scheduler's) runs its
store calls on the event loop's default executor, and a commit queued behind those would hold
acks back.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.states import InboxKind
from bot.store import Store

log = logging.getLogger(__name__)
MAX_BATCH = 200


@dataclass(frozen=True)
class Row:
    kind: InboxKind
    dedupe_key: str
    payload: dict[str, Any]
    now: datetime
    owner: str | None
    lease_seconds: float


class Intake:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[tuple[Row, asyncio.Future[int | None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")

    async def put(self, row: Row) -> int | None:
        """The row's inbox id once committed; None when its key was there already."""
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await done

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            rows = [row for row, _ in batch]
            try:
                loop = asyncio.get_running_loop()
                ids = await loop.run_in_executor(self._thread, self.store.put_inbox_many, rows)
            except Exception as exc:  # noqa: BLE001 - each waiting request gets the error
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), item_id in zip(batch, ids, strict=True):
                if not done.done():
                    done.set_result(item_id)
