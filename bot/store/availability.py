"""A database that stops accepting writes, and the store finding its way back by itself.

What counts as *unavailable* (nothing the caller did wrong; retrying later may succeed):

* SQLite: the file read-only (``SQLITE_READONLY``), gone or unopenable (``SQLITE_CANTOPEN``; the
  file replaced or deleted under us is noticed at checkout), an I/O error, a full disk, or the
  write lock not obtained within the busy timeout;
* PostgreSQL: no connection (refused, dropped, terminated by an administrator, the server
  shutting down or starting), a read-only transaction (a standby after a failover), a full disk,
  and lock or statement timeouts.

:func:`install` hooks the engine so such an error is raised as :class:`StoreUnavailable`, and
the kinds that leave a connection useless (read-only, gone, disconnected) also invalidate the
pool: every connection is replaced on its next checkout, so the store recovers without a restart
once the database is back. Work in progress is not lost: it stays leased in the tables and the
existing leases hand it out again.

For callers (operations): ``except StoreUnavailable`` (or :func:`is_unavailable` on any
exception) means the transaction did not commit - tell the user "temporarily unable, nothing was
done". One caveat: a PostgreSQL connection lost *during* ``COMMIT`` cannot tell whether the
commit landed; the operations' own idempotency (request keys, leases, dedupe keys) covers that.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.core.errors import BotError

# SQLite primary result codes (sqlite3.h)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 5, 6, 8
_SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 13, 14
_SQLITE_TRANSIENT = {_SQLITE_BUSY, _SQLITE_LOCKED}
_SQLITE_BROKEN = {_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN}

# PostgreSQL SQLSTATEs: 08xxx connection exceptions; admin/crash shutdown, cannot connect now;
# read-only transaction; disk full; lock not available, query cancelled (timeouts)
_PG_BROKEN_CLASSES = ("08",)
_PG_BROKEN = {"57P01", "57P02", "57P03", "25006", "53100"}
_PG_TRANSIENT = {"55P03", "57014", "40001", "40P01"}


class StoreUnavailable(BotError):
    """The database cannot be used right now (see the module docstring); nothing was written.
    ``reason`` is the driver's message, for logs and readiness."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the database is unavailable: {reason}")
        self.reason = reason


def _kind(error: BaseException) -> str | None:
    """``"broken"`` (connection useless: recycle it), ``"transient"`` (retry later), or None."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        primary = code & 0xFF
        if primary in _SQLITE_BROKEN:
            return "broken"
        return "transient" if primary in _SQLITE_TRANSIENT else None
    if type(error).__module__.startswith("psycopg"):
        state = getattr(error, "sqlstate", None)
        if state is None:  # no server answer at all: connection refused, closed, lost
            return "broken" if type(error).__name__ in _PSYCOPG_CONNECTION_ERRORS else None
        if state.startswith(_PG_BROKEN_CLASSES) or state in _PG_BROKEN:
            return "broken"
        return "transient" if state in _PG_TRANSIENT else None
    return None


_PSYCOPG_CONNECTION_ERRORS = {"OperationalError", "InterfaceError"}


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means "the database is unavailable, nothing was
    done"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreUnavailable | PoolTimeoutError):
            return True
        if isinstance(current, DBAPIError) and (
            current.connection_invalidated
            or (current.orig is not None and _kind(current.orig) is not None)
        ):
            return True
        if _kind(current) is not None:
            return True
        current = current.__cause__ or current.__context__
    return False


def _handle_error(context: ExceptionContext) -> BaseException | None:
    original = context.original_exception
    kind = _kind(original) if original is not None else None
    if context.is_disconnect or kind == "broken":
        context.is_disconnect = True  # this connection and every pooled one are replaced
    elif kind is None:
        return None
    if context.is_pre_ping:  # the pool reconnects by itself; do not replace its exception
        return None
    return StoreUnavailable(str(original or "").strip() or "the connection was lost")


def sqlite_connect(path: str, **kwargs: Any) -> sqlite3.Connection:
    """Open the SQLite file at ``path`` for writing, or raise ``sqlite3.OperationalError``
    (classified as unavailable): the file missing (never silently a new, empty database), or it,
    its WAL or its WAL index not writable. SQLite itself would open such a file read-only
    without a word, and a WAL index it creates then keeps the file's read-only mode for every
    later connection, even once the file is writable again."""
    if not os.path.exists(path):
        raise _sqlite_error(f"the SQLite file {path} does not exist", _SQLITE_CANTOPEN)
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name) and not os.access(name, os.W_OK):
            raise _sqlite_error(f"the SQLite file {name} is not writable", _SQLITE_READONLY)
    connection: sqlite3.Connection = sqlite3.connect(
        f"file:{quote(path)}?mode=rw", uri=True, **kwargs
    )
    return connection


def _sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def install(engine: Engine, sqlite_path: str | None = None) -> None:
    """Hook ``engine``: errors of the kinds above become :class:`StoreUnavailable` (replacing
    the connections where they are useless). For a SQLite file (opened with
    :func:`sqlite_connect`), every checkout also checks the file (a ``stat`` and an ``access``
    call): when it was deleted or replaced since the connection was opened, or is no longer
    writable, the pooled connections are closed and the checkout reconnects - which fails, as
    unavailable, until the file is back and writable (a connection opened earlier would go on
    writing through its file descriptor, into an unlinked or "read-only" file)."""
    event.listen(engine, "handle_error", _handle_error)
    if sqlite_path is None:
        return

    def identity() -> tuple[int, int] | None:
        try:
            stat = os.stat(sqlite_path)
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino)

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        record.info["file"] = identity()

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("file") != identity():
            reason = "was moved or deleted"
        elif not os.access(sqlite_path, os.W_OK):
            reason = "is not writable"
        else:
            return
        engine.pool.dispose()  # the idle connections too
        raise DisconnectionError(f"the SQLite file {sqlite_path} {reason}")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "checkout", on_checkout)
