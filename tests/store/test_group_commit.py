"""Group commit (bot.store.group_commit), the piece the intake and the outbox's marks share:
what arrives during a write goes in the next one; each caller gets its own result or its
batch's error, and none is left waiting."""

from __future__ import annotations

import asyncio

import pytest

from bot.store.group_commit import GroupCommit


class Writes:
    """A write that records its batches, holds each until released, and fails on ``bad``."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()

    async def __call__(self, items: list[str]) -> list[str]:
        self.batches.append(items)
        await self.release.wait()
        if "bad" in items:
            raise RuntimeError("refused")
        if "short" in items:
            return items[:-1]
        return [item.upper() for item in items]


async def test_what_arrives_during_a_write_goes_together_in_the_next() -> None:
    writes = Writes()
    group: GroupCommit[str, str] = GroupCommit(writes, max_batch=3)
    first = asyncio.create_task(group.put("a"))
    await asyncio.sleep(0)  # the first write has started and holds "a" alone
    rest = [asyncio.create_task(group.put(x)) for x in "bcdef"]
    await asyncio.sleep(0)
    writes.release.set()
    assert await first == "A"
    assert [await task for task in rest] == list("BCDEF")
    assert writes.batches == [["a"], ["b", "c", "d"], ["e", "f"]]  # at most max_batch each


async def test_a_failed_write_fails_its_own_callers_only() -> None:
    writes = Writes()
    group: GroupCommit[str, str] = GroupCommit(writes)
    held = asyncio.create_task(group.put("ok"))
    await asyncio.sleep(0)
    refused = [asyncio.create_task(group.put(x)) for x in ("bad", "also")]
    await asyncio.sleep(0)
    writes.release.set()
    assert await held == "OK"
    for task in refused:
        with pytest.raises(RuntimeError, match="refused"):
            await task
    assert await group.put("after") == "AFTER"  # the next write goes on


async def test_a_write_that_answers_the_wrong_count_fails_its_callers() -> None:
    """No caller is left waiting for a result that is not there."""
    writes = Writes()
    writes.release.set()
    group: GroupCommit[str, str] = GroupCommit(writes)
    tasks = [asyncio.create_task(group.put(x)) for x in ("x", "short")]
    for task in tasks:
        with pytest.raises(ValueError):
            await asyncio.wait_for(task, timeout=5)
