"""Finding a message the bot may have posted, by its message metadata (Slack has no
idempotency key for chat.postMessage): a thread's replies, or a channel's messages since a
moment, page by page and bounded - and, for callers that may look often (the outbox), within a
per-method budget (:class:`Budget`), so a burst of look-ups cannot use up Slack's rate tier.
And who is in a user group (:class:`GroupMembers`), kept briefly, and each person's Slack
locale (:class:`UserLocales`), kept longer."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
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
                channel=channel,
                ts=thread_ts,
                include_all_metadata=True,
                limit=PAGE,
                cursor=cursor,
            )
        else:
            page = await client.conversations_history(
                channel=channel,
                oldest=f"{oldest or 0:.6f}",
                include_all_metadata=True,
                limit=PAGE,
                cursor=cursor,
            )
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


# How long a user group's members (usergroups.users.list) are kept: a person removed from a
# group keeps the access it gives at most this long (docs/operations.md, "Slack's rate limits";
# docs/slack-rates.md).
GROUP_CACHE_SECONDS = 60.0


class GroupMembers:
    """The members of Slack user groups, read with ``usergroups.users.list`` (Tier 2: about 20
    calls a minute) and kept :data:`GROUP_CACHE_SECONDS`; one cache per workspace token in the
    process (:func:`group_members`). A read that fails is not kept: the caller counts the group
    as not its (decisions fail closed).

    A read on the way to an ack (``within``: an options load must be answered within Slack's 3
    seconds) is made without waiting out a 429 and is given up after ``within`` seconds; after
    a 429 such reads are not tried until its Retry-After has passed. Other reads (after the
    ack: a Confirm, a command) wait a 429 out as the client's retry handler does."""

    def __init__(self, ttl: float = GROUP_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self.now: Callable[[], float] = time.monotonic
        self._answers: dict[str, tuple[float, frozenset[str]]] = {}
        self._limited_until = float("-inf")

    def fresh(self, group: str) -> frozenset[str] | None:
        kept = self._answers.get(group)
        if kept is None or self.now() - kept[0] >= self.ttl:
            return None
        return kept[1]

    async def members(
        self, client: AsyncWebClient, group: str, *, within: float | None = None
    ) -> frozenset[str]:
        """The group's members; raises ``SlackApiError`` (or ``TimeoutError``, with
        ``within``) when Slack does not say."""
        kept = self.fresh(group)
        if kept is not None:
            return kept
        if within is None:
            answer = await client.usergroups_users_list(usergroup=group)
        else:
            if self.now() < self._limited_until:
                raise TimeoutError(f"usergroups.users.list rate-limited for {group}")
            quick = _without_retries(client)
            try:
                answer = await asyncio.wait_for(
                    quick.usergroups_users_list(usergroup=group), max(within, 0.0)
                )
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    wait = float(exc.response.headers.get("Retry-After", "1") or 1)
                    self._limited_until = self.now() + wait
                raise
        users = frozenset(str(u) for u in answer.get("users") or [])
        self._answers[group] = (self.now(), users)
        return users


def _without_retries(client: AsyncWebClient) -> AsyncWebClient:
    """The client as it is, but a 429 is answered at once (no retry handler waits it out)."""
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        session=client.session,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        trust_env_in_session=client.trust_env_in_session,
        headers=dict(client.headers),
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=[],
    )


# How long a person's Slack locale (users.info with include_locale) is kept, and for how many
# people: a person who changes their Slack language sees it in the bot's private answers within
# this time (docs/user-guide.md, "Language"); one call per person per hour stays far below
# users.info's Tier 4 (100+ a minute; docs/slack-rates.md).
LOCALE_CACHE_SECONDS = 3600.0
LOCALE_CACHE_PEOPLE = 10_000
# a read that failed is not tried again for this long (the person reads English meanwhile)
LOCALE_FAILED_SECONDS = 60.0


V = TypeVar("V")


class Kept(Generic[V]):
    """Answers kept each until its own time, for at most ``size`` keys (the least recently
    asked for go first): a bounded, expiring cache of one process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.now: Callable[[], float] = time.monotonic
        self._answers: OrderedDict[str, tuple[float, V | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def keep(self, key: str, until: float, value: V | None) -> None:
        self._answers[key] = (until, value)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)

    def kept(self, key: str) -> tuple[bool, V | None]:
        """(whether an answer about ``key`` is kept, that answer), without asking anyone."""
        known, value, fresh = self.last(key)
        return (True, value) if known and fresh else (False, None)

    def until(self, key: str) -> float | None:
        """Until when the answer about ``key`` is in date (None: none is kept)."""
        kept = self._answers.get(key)
        return None if kept is None else kept[0]

    def last(self, key: str) -> tuple[bool, V | None, bool]:
        """(whether an answer about ``key`` is kept, even out of date; that answer; whether it
        is still in date), without asking anyone."""
        kept = self._answers.get(key)
        if kept is None:
            return False, None, False
        self._answers.move_to_end(key)
        return True, kept[1], self.now() < kept[0]


class UserLocales(Kept[str]):
    """Each person's Slack locale (``zh-CN``...), read with ``users.info(include_locale=true)``
    and kept :data:`LOCALE_CACHE_SECONDS`, for at most :data:`LOCALE_CACHE_PEOPLE` people (the
    least recently asked for go first); one cache per workspace token in the process
    (:func:`user_locales`). Asked on the way to an ack, so a read is given up after ``within``
    seconds and never waits out a 429; a read that fails or is given up answers None (the
    person reads English) and is not tried again for :data:`LOCALE_FAILED_SECONDS`."""

    def __init__(self, ttl: float = LOCALE_CACHE_SECONDS, size: int = LOCALE_CACHE_PEOPLE) -> None:
        super().__init__(size)
        self.ttl = ttl

    async def locale(self, client: AsyncWebClient, user: str, *, within: float) -> str | None:
        known, locale = self.kept(user)
        if known:
            return locale
        client = _without_retries(client)  # on the way to an ack: a 429 is not waited out
        try:
            answer = await asyncio.wait_for(
                client.users_info(user=user, include_locale=True), max(within, 0.0)
            )
        except (SlackApiError, TimeoutError, OSError) as exc:
            why = slack_error_of(exc)
            log.info("Slack locale of %s not known (%s): English for now", user, why)
            self.keep(user, self.now() + LOCALE_FAILED_SECONDS, None)
            return None
        found = (answer.get("user") or {}).get("locale")
        locale = str(found) if found else None
        self.keep(user, self.now() + self.ttl, locale)
        return locale


def slack_error_of(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__


_GROUPS: dict[tuple[str, str], GroupMembers] = {}
_LOCALES: dict[tuple[str, str], UserLocales] = {}


def forget_group_members() -> None:
    """Forget every group's members and person's locale (another workspace, or a test that
    starts afresh: a new Slack stand-in may answer at the address an earlier one had)."""
    _GROUPS.clear()
    _LOCALES.clear()


def _workspace(client: AsyncWebClient) -> tuple[str, str]:
    """Bolt makes a client per request: the caches follow the token and API address, not the
    client object."""
    return str(client.base_url), hashlib.sha256(str(client.token or "").encode()).hexdigest()


def group_members(client: AsyncWebClient) -> GroupMembers:
    """The process's cache of group members for the workspace of ``client``."""
    return _GROUPS.setdefault(_workspace(client), GroupMembers())


def user_locales(client: AsyncWebClient) -> UserLocales:
    """The process's cache of Slack locales for the workspace of ``client``."""
    return _LOCALES.setdefault(_workspace(client), UserLocales())
