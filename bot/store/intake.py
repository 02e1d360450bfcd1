"""Group commit for the inbox: rows that arrive together are written in one transaction.

Each command or click is written to the inbox before its ack (it must survive a crash), so
the serving process writes once per request. One transaction per request makes concurrent
requests queue for the database's write lock (SQLite has one; workers write too) and the ack
tail grows. :class:`Intake` keeps one writer: requests that arrive while a batch is being
written wait for the next one, and each waits only for the commit that holds its row.

On a SQLite file the inbox is a file of its own (:func:`bot.store.inbox_url`), so these commits
wait only for the inbox's own writes, not for the work after the acks. The batch is committed
on the event loop itself: in WAL mode with ``synchronous=NORMAL`` a commit appends to the WAL
without a sync (well under a millisecond), while handing it to a thread cost more than the
commit - without worker processes the intake's thread waited for the GIL behind the store
calls of the work after the acks (commits of 10-36 ms under load, and an ack waited for each).
The intake's connection does not wait in SQLite's busy handler either: that sleeps 1, 2, 5, 10
... up to 100 ms between tries for the write lock, and while it sleeps the other writers (a
worker process's store calls, each after its own short transaction) take the lock again and
again - acks waited hundreds of milliseconds so. The intake tries again every half millisecond
instead (an ``asyncio.sleep``: the loop goes on meanwhile), for up to ``LOCK_WAIT_SECONDS`` as
the other connections' busy timeout, so it gets the lock in the first gap between two other
transactions.

On PostgreSQL a commit is a round trip to the server, made in the intake's own thread (the
work after the acks runs its store calls on the event loop's default executor, and a commit
queued behind those would hold acks back).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.core.states import InboxKind
from bot.store import Store, StoreUnavailable, make_engine
from bot.store.inbox import InboxStore

log = logging.getLogger(__name__)
MAX_BATCH = 200
LOCK_WAIT_SECONDS = 30.0  # as the busy timeout of the store's other SQLite connections
LOCK_RETRY_SECONDS = 0.0005
_SQLITE_BUSY = 5


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
        self._sqlite: _Writer | None = None
        if store.inbox_engine.dialect.name == "sqlite":  # connected now: PRAGMAs wait for no lock
            self._sqlite = _Writer(_impatient(store.inbox_engine))

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.engine.dispose()
        self._thread.shutdown(wait=False)

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
                if self._sqlite is not None:
                    ids = await self._commit_sqlite(self._sqlite, rows)
                else:
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

    async def _commit_sqlite(self, writer: _Writer, rows: list[Row]) -> list[int | None]:
        """On the event loop: the batch, committed (see the module on SQLite's lock)."""
        # The database itself is in another file: one that cannot be used (gone, replaced,
        # not writable - its engine checks at checkout, bot.store.availability) fails the ack
        # as it did when the inbox was in it, rather than acking what cannot be handled.
        with self.store.engine.connect():
            pass
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return writer.put_inbox_many(rows)
            except StoreUnavailable as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(LOCK_RETRY_SECONDS)


class _Writer(InboxStore):
    """The inbox's writes on an engine of their own (no migration: the store ran it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = self.inbox_engine = engine


def _impatient(engine: Engine) -> Engine:
    """A one-connection engine on the same SQLite file whose connection gives up at once when
    the write lock is taken (busy_timeout 0)."""
    own = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)

    @event.listens_for(own, "connect")
    def _no_busy_wait(conn, _record):  # type: ignore[no-untyped-def]
        conn.execute("PRAGMA busy_timeout = 0")
        # nor checkpoint: the commit that takes the WAL past 1000 pages copies it into the
        # database and syncs both files before it returns (50-100 ms) - an ack would wait for
        # it. The store's own connections to the inbox file (the workers' takes and deletes)
        # checkpoint instead, and the durability stays as said (docs/operations.md).
        conn.execute("PRAGMA wal_autocheckpoint = 0")

    own.connect().close()  # the one connection, opened (and pooled) now
    return own


def _busy(exc: BaseException) -> bool:
    """Whether SQLite refused the write lock (SQLITE_BUSY), somewhere in ``exc``'s chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == _SQLITE_BUSY:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False
