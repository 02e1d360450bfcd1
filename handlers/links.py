"""Links to Slack messages (``chat.getPermalink``: channel + message ts -> ``permalink``), for
the thread link in reports, ``/sdrs jobs``, ``/sdrs status`` and ``/sdrs history``.

A link is a nicety: when Slack does not give one (an error, a 429, a timeout, an answer that is
not an https URL without ``<``, ``>``, ``|`` or spaces) the line is shown without it, never
failed. A message's permalink does not change, so links are cached in the process (bounded,
least recently used dropped first); failures are not cached.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack_errors import slack_error

log = logging.getLogger(__name__)

# What a link may be to be put between < and > in mrkdwn
SAFE_URL = re.compile(r"https://[^\s<>|]+")
# Errors about one message: the others may still have links
MESSAGE_ERRORS = frozenset({"message_not_found", "channel_not_found", "thread_not_found"})


class Permalinks:
    def __init__(self, size: int = 4096, within: float = 2.0) -> None:
        self.size = size
        self.within = within  # seconds all the look-ups of one answer may take together
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()

    def clear(self) -> None:
        """Forget every link (another workspace, or a test that starts afresh)."""
        self._cache.clear()

    def cached(self, channel: str, ts: str) -> str | None:
        link = self._cache.get((channel, ts))
        if link is not None:
            self._cache.move_to_end((channel, ts))
        return link

    def _keep(self, channel: str, ts: str, link: str) -> None:
        self._cache[(channel, ts)] = link
        self._cache.move_to_end((channel, ts))
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)

    async def get(self, client: AsyncWebClient, channel: str, ts: str) -> str | None:
        """The link to one message, or None (never raises)."""
        return (await self.many(client, channel, [ts])).get(ts)

    async def many(
        self, client: AsyncWebClient, channel: str, timestamps: Iterable[str]
    ) -> dict[str, str]:
        """ts -> link for the messages of ``channel`` that have one. After a failure that is not
        about one message (a 429, Slack down, a timeout) the rest are not asked for."""
        links: dict[str, str] = {}
        wanted = []
        for ts in dict.fromkeys(t for t in timestamps if t):
            link = self.cached(channel, ts)
            if link is not None:
                links[ts] = link
            else:
                wanted.append(ts)
        if not wanted or not channel:
            return links
        try:
            async with asyncio.timeout(self.within):
                for ts in wanted:
                    link = await self._ask(client, channel, ts)
                    if link is not None:
                        links[ts] = link
                        self._keep(channel, ts, link)
        except _GiveUp:
            pass
        except TimeoutError:
            log.info("chat.getPermalink: no answer within %.1fs; lines without links", self.within)
        return links

    async def _ask(self, client: AsyncWebClient, channel: str, ts: str) -> str | None:
        try:
            answer = await client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as exc:
            error = slack_error(exc)
            log.info("chat.getPermalink %s %s: %s", channel, ts, error)
            if error in MESSAGE_ERRORS:
                return None
            raise _GiveUp from exc
        except Exception as exc:  # network errors, timeouts, answers that are not JSON
            log.info("chat.getPermalink %s %s: %s", channel, ts, type(exc).__name__)
            raise _GiveUp from exc
        link = str(answer.get("permalink") or "")
        if not SAFE_URL.fullmatch(link):
            log.info("chat.getPermalink %s %s: not a usable link", channel, ts)
            return None
        return link


class _GiveUp(Exception):
    """Slack is not answering look-ups now: stop asking for this answer's links."""


PERMALINKS = Permalinks()  # one cache for the process: the Slack adapter and the outbox
