"""Stored times are UTC epoch seconds; in Python they are timezone-aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def epoch(t: datetime) -> float:
    if t.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return t.timestamp()


@overload
def from_epoch(v: float) -> datetime: ...
@overload
def from_epoch(v: None) -> None: ...
def from_epoch(v: float | None) -> datetime | None:
    return None if v is None else datetime.fromtimestamp(v, UTC)
