"""Leasing rows in one statement: the shared core of claiming due jobs and inbox items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Table, select, update
from sqlalchemy.engine import Engine


def lease_rows(
    engine: Engine,
    table: Table,
    key: Column[Any],
    *,
    free: ColumnElement[bool],
    order_by: Column[Any],
    limit: int,
    values: dict[str, Any],
    returning: Sequence[Column[Any]],
) -> Sequence[Row[Any]]:
    """``UPDATE table SET values WHERE key IN (the first ``limit`` free rows) RETURNING ...``:
    one round trip; on PostgreSQL the inner select skips rows another replica is taking
    (``FOR UPDATE SKIP LOCKED``); on SQLite the write lock serialises takers."""
    chosen = select(key).where(free).order_by(order_by).limit(limit)
    if engine.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    with engine.begin() as conn:
        return conn.execute(
            update(table).where(key.in_(chosen.scalar_subquery())).values(**values)
            .returning(*returning)
        ).all()  # fmt: skip
