"""Leasing rows in one statement: the shared core of claiming due jobs and inbox items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Table, and_, or_, select, true, update
from sqlalchemy.engine import Engine


def lease_rows(
    engine: Engine,
    table: Table,
    key: Column[Any],
    *,
    owner: str,
    at: float,
    lease_seconds: float,
    order_by: Column[Any],
    limit: int,
    returning: Sequence[Column[Any]],
    due: ColumnElement[bool] | None = None,
    also: dict[str, Any] | None = None,
) -> Sequence[Row[Any]]:
    """Lease to ``owner`` until ``at + lease_seconds`` the first ``limit`` rows that are
    ``due`` and held by nobody (no lease, or one that ran out at ``at``), setting ``also``
    too: ``UPDATE ... WHERE key IN (...) RETURNING ...``, one round trip; on PostgreSQL the
    inner select skips rows another replica is taking (``FOR UPDATE SKIP LOCKED``); on SQLite
    the write lock serialises takers. The table has ``lease_owner`` and ``lease_until``."""
    held_until = table.c.lease_until
    free = and_(due if due is not None else true(), or_(held_until.is_(None), held_until < at))
    values = {"lease_owner": owner, "lease_until": at + lease_seconds, **(also or {})}
    chosen = select(key).where(free).order_by(order_by).limit(limit)
    if engine.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    with engine.begin() as conn:
        return conn.execute(
            update(table)
            .where(key.in_(chosen.scalar_subquery()))
            .values(**values)
            .returning(*returning)
        ).all()
