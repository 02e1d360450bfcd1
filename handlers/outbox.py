"""Reliable Slack delivery: the sender side of the outbox (:mod:`bot.store.outbox`).

Guarantees:

* nothing is lost: a message is written to the outbox in the same transaction as the state
  change that causes it, and a row is marked ``sent`` only after Slack answered ``ok``;
* Slack is respected: at most one message per channel per ``pace_seconds`` across every
  replica (the store reserves a per-channel slot with each claim); a 429 holds the channel and
  the message for ``Retry-After``; network errors and 5xx are retried with backoff;
* nothing is posted twice, visibly.

How "no duplicate" is kept - the choice, and why. ``chat.postMessage`` has no idempotency key,
so after an attempt whose outcome is unknown (the process died while sending, a timeout, a
dropped connection, a 5xx) simply posting again could show the message twice. Every post
therefore carries Slack message metadata ``{"event_type": "sdrs_bot_message",
"event_payload": {"dedupe_key": ...}}``, and before re-sending such an *uncertain* row the
sender looks for its key in the thread (``conversations.replies``) or, for a top-level message,
the channel's recent history (``conversations.history``), both with ``include_all_metadata``.
Found: the row is marked sent with that ts and nothing is posted. Only uncertain rows pay for
the look-up; rows whose earlier attempt Slack refused (4xx, 429) are re-sent directly.
``chat.update`` of a known ts is idempotent by nature and is simply repeated.

The look-ups share a budget per method (:data:`LOOKUPS_PER_MINUTE`, a token bucket in each
process): ``conversations.history`` and ``.replies`` are Tier 3 (50+ a minute for the app in a
workspace), and a burst of uncertain rows (after Slack was down, say) must not use them up for
everything else. A row whose look-up finds no budget waits for it (its claim is not counted as
an attempt) instead of failing or being sent unchecked.

A look-up Slack refuses with ``missing_scope`` (an app installed before the manifest asked for
``im:history``/``mpim:history``, say) does not drop the report: the message is sent without
the check (at worst shown twice, never lost), with a warning in the log (at most one a minute
per method) and ``sdrs_bot_slack_missing_scope_total{method}``. Every ``missing_scope`` answer
is counted there, also a send Slack refuses (that row is set aside, as the log says).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.facts import Announcement
from bot.core.language import DEFAULT
from bot.core.records import OutboxMessage
from bot.core.retry import backoff_delay
from bot.store import Delivered, OutboxRow, Store
from bot.store.group_commit import GroupCommit
from handlers.i18n import speaking
from handlers.links import PERMALINKS
from handlers.lookup import Budget, OverBudget, find_posted
from handlers.slack_errors import slack_error

log = logging.getLogger(__name__)

METADATA_EVENT = "sdrs_bot_message"
LOOKUP_PAGES = 25  # how far back an uncertain post is looked for: 5,000 messages
# the outbox's share of each look-up method's Tier 3 (50+ a minute): a burst of 10, then 40 a
# minute, so at least 10 a minute stay for the rest of the app
LOOKUPS_PER_MINUTE, LOOKUP_BURST = 40.0, 10
LOOKUP_METHODS = ("conversations.history", "conversations.replies")
SCOPE_WARNING_EVERY = 60.0  # seconds between two missing_scope warnings of one method
# a failed send is tried again after 1 s, then 2, 4... at most a minute (no Retry-After given)
RETRY_FIRST_SECONDS, RETRY_CAP_SECONDS = 1.0, 60.0
# Errors that no retry will fix: the row is set aside as dead (and logged).
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "invalid_auth",
        "invalid_blocks",
        "invalid_metadata_format",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "token_revoked",
    }
)


def _log_failure(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("outbox run failed", exc_info=task.exception())


# Renders an outbox message when it is sent, with a link to its operation's thread when it
# is seen outside that thread: (text, blocks)
Render = Callable[[OutboxMessage, str | None], tuple[str, list[dict[str, Any]] | None]]


def linked_thread(msg: OutboxMessage) -> tuple[str, str] | None:
    """(channel, ts) of the thread a message links to: an announcement in another channel,
    or a report broadcast from its thread to the channel."""
    content = msg.content
    if isinstance(content, Announcement) and content.thread_ts:
        return content.channel, content.thread_ts
    if msg.reply_broadcast and msg.thread_ts:
        return msg.channel, msg.thread_ts
    return None


class OutboxSender:
    def __init__(
        self,
        store: Store,
        client: AsyncWebClient,
        render: Render,
        *,
        owner: str,
        now: Callable[[], datetime],
        pace_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        max_attempts: int = 25,
        batch: int = 200,
        lookups_per_minute: float = LOOKUPS_PER_MINUTE,
        lookup_burst: int = LOOKUP_BURST,
    ) -> None:
        self.store = store
        self.client = client
        self.render = render
        self.owner = owner
        self.now = now
        self.pace = pace_seconds
        self.lease = lease_seconds
        self.max_attempts = max_attempts
        self.batch = batch
        self.rate_limited = 0
        clock = lambda: self.now().timestamp()  # noqa: E731 - the sender's clock, in seconds
        self.lookup_budgets = {
            m: Budget(lookups_per_minute, lookup_burst, clock) for m in LOOKUP_METHODS
        }
        self.missing_scope: Counter[str] = Counter()  # Web API method -> missing_scope answers
        self._scope_warned: dict[str, tuple[float, int]] = {}  # method -> (last warning, held)
        self._kicked: asyncio.Task[int] | None = None
        # deliveries that finish together are marked sent in one write (a burst of reports
        # was a transaction each: 30,000 for 30,000 jobs)
        self._deliveries: GroupCommit[Delivered, bool] = GroupCommit(self._mark_sent)
        # rows this process is sending now: a send that outlasts its lease is claimed again by
        # the next run (the lease ran out), which must not post it a second time meanwhile
        self._sending: set[int] = set()

    def kick(self) -> None:
        """Deliver soon, without waiting for the next scheduled run (a report was queued).
        At most one extra run is in flight; claims are leased, so it cannot double a send."""
        if self._kicked is None or self._kicked.done():
            self._kicked = asyncio.get_running_loop().create_task(self.run_once())
            self._kicked.add_done_callback(_log_failure)

    async def run_once(self) -> int:
        """Claim what is due and deliver it; returns how many rows were delivered."""
        rows = await asyncio.to_thread(
            self.store.claim_messages,
            self.owner,
            self.now(),
            lease_seconds=self.lease,
            pace_seconds=self.pace,
            limit=self.batch,
        )
        mine = [row for row in rows if row.id not in self._sending]
        results = await asyncio.gather(*(self._deliver_once(row) for row in mine))
        return sum(results)

    async def _deliver_once(self, row: OutboxRow) -> int:
        self._sending.add(row.id)
        try:
            return await self._deliver(row)
        finally:
            self._sending.discard(row.id)

    async def _deliver(self, row: OutboxRow) -> int:
        msg = row.message
        try:
            if row.uncertain and not msg.ts:
                try:
                    found = await self._find_posted(row)
                except OverBudget as over:
                    log.info(
                        "outbox %s waits %.0fs for %s budget",
                        msg.dedupe_key,
                        over.wait,
                        over.method,
                    )
                    at = self.now() + timedelta(seconds=over.wait)
                    await asyncio.to_thread(
                        self.store.mark_waiting,
                        row.id,
                        self.owner,
                        at,
                        f"waiting for {over.method} budget",
                    )
                    return 0
                except SlackApiError as exc:
                    if slack_error(exc) != "missing_scope":
                        raise
                    why = "sent without the check for an earlier post (it may show twice)"
                    self._scope_missing(exc, f"outbox {msg.dedupe_key} {why}")
                    found = None
                if found is not None:
                    log.info("outbox %s was already posted (ts %s)", msg.dedupe_key, found)
                    await asyncio.to_thread(self.store.mark_sent, row.id, self.owner, found)
                    return 1
            response = await self._send(row)
        except SlackApiError as exc:
            await self._failed(row, exc)
            return 0
        except Exception as exc:  # noqa: BLE001 - network errors, timeouts, bad answers
            log.warning("outbox %s: %s; will retry", msg.dedupe_key, type(exc).__name__)
            await self._retry(row, f"{type(exc).__name__}: {exc}", uncertain=True)
            return 0
        ts = response.get("ts")
        quiet_until = self.now() + timedelta(seconds=self.pace)
        delivered = Delivered(row.id, str(ts) if ts else None, row.message.channel, quiet_until)
        await self._deliveries.put(delivered)
        return 1

    async def _mark_sent(self, delivered: list[Delivered]) -> list[bool]:
        return await asyncio.to_thread(self.store.mark_sent_many, self.owner, delivered)

    async def _send(self, row: OutboxRow) -> Any:
        msg = row.message
        thread = linked_thread(msg)
        link = await PERMALINKS.get(self.client, *thread) if thread else None  # None: no link
        # facts become text now, not when queued, in the language decided when it was queued
        # (its audience's); a row queued before there were languages has none: English
        with speaking(msg.language or DEFAULT):
            text, blocks = self.render(msg, link)
        if msg.ts:
            return await self.client.chat_update(
                channel=msg.channel, ts=msg.ts, text=text, blocks=blocks
            )
        return await self.client.chat_postMessage(
            channel=msg.channel,
            text=text,
            blocks=blocks,
            thread_ts=msg.thread_ts,
            reply_broadcast=msg.reply_broadcast or None,
            metadata={
                "event_type": METADATA_EVENT,
                "event_payload": {"dedupe_key": msg.dedupe_key},
            },
        )

    async def _find_posted(self, row: OutboxRow) -> str | None:
        """The ts of this row's message if Slack has it: its thread, or the channel's messages
        since the row was made, page by page (a busy channel does not hide it behind the
        first page; at most :data:`LOOKUP_PAGES` pages)."""
        msg = row.message
        found, complete = await find_posted(
            self.client,
            channel=msg.channel,
            event_type=METADATA_EVENT,
            matches=lambda payload: payload.get("dedupe_key") == msg.dedupe_key,
            thread_ts=msg.thread_ts,
            oldest=row.created_at - 5,
            pages=LOOKUP_PAGES,
            budgets=self.lookup_budgets,
        )
        if found is None and not complete:
            log.warning(
                "outbox %s: not found in %d pages of %s; sending it again",
                msg.dedupe_key,
                LOOKUP_PAGES,
                msg.channel,
            )
        return found

    def _scope_missing(self, exc: SlackApiError, consequence: str) -> None:
        """Count a ``missing_scope`` answer by method; warn, at most once a minute per method
        (the warnings held back are counted in the next one)."""
        method = str(exc.response.api_url or "").rsplit("/", 1)[-1] or "unknown"
        self.missing_scope[method] += 1
        needed = str(exc.response.get("needed") or "") if exc.response.data else ""
        last, held = self._scope_warned.get(method, (float("-inf"), 0))
        now = time.monotonic()
        if now - last < SCOPE_WARNING_EVERY:
            self._scope_warned[method] = (last, held + 1)
            return
        self._scope_warned[method] = (now, 0)
        log.warning(
            "Slack answered %s with missing_scope%s: %s; add the scopes manifest.yml lists "
            "and reinstall the app%s",
            method,
            f" (needs {needed})" if needed else "",
            consequence,
            f" ({held} more like it since the last warning)" if held else "",
        )

    async def _failed(self, row: OutboxRow, exc: SlackApiError) -> None:
        status = exc.response.status_code
        error = slack_error(exc)
        if error == "missing_scope":
            self._scope_missing(exc, f"outbox {row.message.dedupe_key} set aside")
        if status == 429 or error == "ratelimited":
            self.rate_limited += 1
            wait = float(exc.response.headers.get("Retry-After", "1") or 1)
            until = self.now() + timedelta(seconds=wait)
            log.info(
                "Slack 429 for %s; holding %s for %.0fs",
                row.message.dedupe_key,
                row.message.channel,
                wait,
            )
            await asyncio.to_thread(self.store.hold_channel, row.message.channel, until)
            await asyncio.to_thread(
                self.store.mark_retry, row.id, self.owner, until, error, uncertain=False
            )
            return
        if error in PERMANENT_ERRORS or row.attempts >= self.max_attempts:
            log.error("outbox %s given up: %s", row.message.dedupe_key, error)
            await asyncio.to_thread(self.store.mark_dead, row.id, self.owner, error)
            return
        await self._retry(row, error, uncertain=status >= 500)

    async def _retry(self, row: OutboxRow, error: str, *, uncertain: bool) -> None:
        if row.attempts >= self.max_attempts:
            await asyncio.to_thread(self.store.mark_dead, row.id, self.owner, error)
            return
        wait = backoff_delay(row.attempts, RETRY_FIRST_SECONDS, RETRY_CAP_SECONDS)
        at = self.now() + timedelta(seconds=wait)
        await asyncio.to_thread(
            self.store.mark_retry, row.id, self.owner, at, error, uncertain=uncertain
        )
