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

On PostgreSQL the batch is sent on the event loop too, over a connection of its own in
psycopg's async API (:class:`_PgWriter`): a round trip the loop waits for without a thread.
The store's connections are synchronous and their calls run in threads; a thread of the
intake's own waited for the GIL behind those of the work after the acks, as on SQLite. The
connection is in autocommit: the batch is one statement, its own transaction, committed (its
WAL record flushed, with the server's default ``synchronous_commit``) before it answers - one
round trip. BEGIN, the INSERT and COMMIT took three, each a wake-up of the server's process,
which on a busy machine waits its turn for a core: without worker processes the open loop's
ack p99 was 1.0-3.7x bare Bolt's with three, 0.6-0.8x in six runs of seven with one
(bench/README.md). A connection the server ended while idle (a restart, an idle timeout) is
found before the batch is sent - its goodbye is read without a round trip - and replaced; one
lost while the batch was on its way fails the batch: whether it was committed is not known,
and the acks say "try again" (a row that was committed is still handled - by a worker, or
here once its lease ends - so a confirmation may come beside the retried command's; each
waits for its own Confirm).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.core.states import InboxKind
from bot.store import Store, StoreUnavailable, is_unavailable, make_engine
from bot.store.group_commit import GroupCommit
from bot.store.inbox import PG_INSERT_ROWS, InboxStore, ids_of, pg_arrays

if TYPE_CHECKING:  # psycopg is PostgreSQL's extra: imported when the store is on PostgreSQL
    import psycopg

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_SECONDS = 10  # the PostgreSQL intake's connection
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
        self._group: GroupCommit[Row, int | None] = GroupCommit(self._write, MAX_BATCH)
        self._sqlite: _Writer | None = None
        self._pg: _PgWriter | None = None
        # the store speaks these two (bot.store.make_engine refuses any other database)
        if store.inbox_engine.dialect.name == "sqlite":  # connected now: PRAGMAs wait for no lock
            self._sqlite = _Writer(_impatient(store.inbox_engine))
        else:
            self._pg = _PgWriter(store.inbox_engine)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.engine.dispose()
        if self._pg is not None:
            self._pg.close()

    async def put(self, row: Row) -> int | None:
        """The row's inbox id once committed; None when its key was there already."""
        return await self._group.put(row)

    async def _write(self, rows: list[Row]) -> list[int | None]:
        if self._sqlite is not None:
            return await self._commit_sqlite(self._sqlite, rows)
        assert self._pg is not None
        return await self._pg.put_many(rows)

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


class _PgWriter:
    """The inbox's writes on PostgreSQL over one connection of psycopg's async API, made on
    the event loop that uses it (see the module)."""

    def __init__(self, engine: Engine) -> None:
        import psycopg

        self.psycopg = psycopg
        url = engine.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ending = False  # the server said it ends the connection (:meth:`_notice`)

    async def put_many(self, rows: list[Row]) -> list[int | None]:
        params = pg_arrays(rows)
        if params is None:
            return []
        conn = await self._connection()
        try:  # autocommit: the one statement is its transaction, committed as it answers
            cursor = await conn.execute(PG_INSERT_ROWS, params)
            made = {str(key): int(item_id) for item_id, key in await cursor.fetchall()}
        except self.psycopg.Error as exc:
            if conn.broken or conn.closed:  # lost on the way: committed or not is not known
                self._forget()
            raise _unavailable(exc) from exc  # or refused: rolled back by the server
        return ids_of(rows, made)

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        loop = asyncio.get_running_loop()
        if self._conn is not None and (self._loop is not loop or self._ended(self._conn)):
            self._forget()
        if self._conn is None:
            try:
                self._conn = await self.psycopg.AsyncConnection.connect(
                    self.conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True
                )
                self._conn.add_notice_handler(self._notice)
            except self.psycopg.Error as exc:
                raise _unavailable(exc) from exc
            self._loop = loop
        return self._conn

    def _ended(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        """Whether the server ended this idle connection (a restart, an idle timeout): what it
        sent since is read and parsed without waiting (libpq's PQconsumeInput, PQisBusy) - its
        goodbye, a FATAL error, comes to :meth:`_notice` - with no round trip."""
        if conn.closed:
            return True
        try:
            conn.pgconn.consume_input()
            conn.pgconn.is_busy()
        except self.psycopg.OperationalError:
            return True
        return self._ending or conn.pgconn.status != self.psycopg.pq.ConnStatus.OK

    def _notice(self, diagnostic: psycopg.errors.Diagnostic) -> None:
        """libpq hands an error that came while no statement ran (the server ending the
        connection) to the notice handlers."""
        if diagnostic.severity_nonlocalized in ("FATAL", "PANIC"):
            self._ending = True

    def _forget(self) -> None:
        if self._conn is not None:
            self._conn.pgconn.finish()  # libpq's close: nothing to wait for
        self._conn, self._loop, self._ending = None, None, False

    def close(self) -> None:
        self._forget()


def _unavailable(exc: psycopg.Error) -> Exception:
    """The store's error for a database that cannot be used now; others as they are."""
    return StoreUnavailable(str(exc).strip() or type(exc).__name__) if is_unavailable(exc) else exc


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
