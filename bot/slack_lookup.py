"""Finding a message the bot may have posted, by its message metadata (Slack has no
idempotency key for chat.postMessage): a thread's replies, or a channel's messages since a
moment, page by page and bounded - and, for callers that may look often (the outbox), within a
per-method budget (:class:`Budget`), so a burst of look-ups cannot use up Slack's rate tier."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

PAGE = 200


class Budget:
    """A token bucket: at most ``burst`` calls at once, refilled at ``per_minute``. ``now``:
    seconds (monotonic by default; a test passes its clock)."""

    def __init__(
        self, per_minute: float, burst: int, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.now = now
        self._tokens = float(burst)
        self._at = now()

    def take(self) -> float:
        """Take one call: 0.0 when it may be made now, else the seconds until one is free
        (nothing taken)."""
        at = self.now()
        self._tokens = min(self.burst, self._tokens + max(at - self._at, 0.0) * self.rate)
        self._at = at
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


class OverBudget(Exception):
    """A look-up's method has no budget left now; ``wait`` seconds until it has."""

    def __init__(self, method: str, wait: float) -> None:
        super().__init__(f"{method}: no budget for {wait:.1f}s")
        self.method = method
        self.wait = wait


async def find_posted(
    client: AsyncWebClient,
    *,
    channel: str,
    event_type: str,
    matches: Callable[[dict[str, Any]], bool],
    thread_ts: str | None = None,
    oldest: float | None = None,
    pages: int = 25,
    budgets: Mapping[str, Budget] | None = None,
) -> tuple[str | None, bool]:
    """(ts of the first message whose metadata has ``event_type`` and whose payload
    ``matches``, whether every page was read): a thread's replies when ``thread_ts`` is given,
    else the channel's messages since ``oldest``, at most ``pages`` pages of 200. With
    ``budgets`` (Web API method -> :class:`Budget`) each page is a call of its method's budget;
    raises :class:`OverBudget` when it has none left."""
    method = "conversations.replies" if thread_ts else "conversations.history"
    budget = (budgets or {}).get(method)
    cursor: str | None = None
    for _ in range(pages):
        wait = budget.take() if budget is not None else 0.0
        if wait:
            raise OverBudget(method, wait)
        if thread_ts:
            page = await client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=PAGE,
                cursor=cursor,
            )  # fmt: skip
        else:
            page = await client.conversations_history(
                channel=channel, oldest=f"{oldest or 0:.6f}", include_all_metadata=True,
                limit=PAGE, cursor=cursor,
            )  # fmt: skip
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == event_type and matches(
                metadata.get("event_payload") or {}
            ):
                return str(message.get("ts")), True
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None, True
    return None, False
