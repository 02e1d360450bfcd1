"""Finding a message the bot may have posted, by its message metadata (Slack has no
idempotency key for chat.postMessage): a thread's replies, or a channel's messages since a
moment, page by page and bounded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

PAGE = 200


async def find_posted(
    client: AsyncWebClient,
    *,
    channel: str,
    event_type: str,
    matches: Callable[[dict[str, Any]], bool],
    thread_ts: str | None = None,
    oldest: float | None = None,
    pages: int = 25,
) -> tuple[str | None, bool]:
    """(ts of the first message whose metadata has ``event_type`` and whose payload
    ``matches``, whether every page was read): a thread's replies when ``thread_ts`` is given,
    else the channel's messages since ``oldest``, at most ``pages`` pages of 200."""
    cursor: str | None = None
    for _ in range(pages):
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
