"""The outbox: delivered once, in order, paced per channel, through 429s, 5xx, lost answers and
a sender that dies mid-send; on SQLite and on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text

from bot.core.facts import Rendered
from bot.metrics import Metrics
from bot.sandbox.slack_api import SlackApiThread
from bot.store import OutboxMessage, Store
from handlers import render
from handlers.outbox import OutboxSender
from tests.support.slack_helpers import BOT_TOKEN, until

CH = "C0OUTBOX01"


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    yield s
    s.close()


@pytest.fixture
async def client(slack: SlackApiThread) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, session=session)


def sender(
    store: Store, client: AsyncWebClient, clock: Clock, owner: str = "r1", pace: float = 1.0
) -> OutboxSender:
    return OutboxSender(
        store, client, render.message, owner=owner, now=clock, pace_seconds=pace, lease_seconds=30
    )


def parent(slack: SlackApiThread, channel: str = CH) -> str:
    """A message to thread under, as the confirmation message would be."""
    ts = f"1699999999.{len(slack.state.messages):06d}"
    slack.state.messages[(channel, ts)] = {"type": "message", "text": "parent", "ts": ts}
    return ts


def reply(key: str, thread_ts: str, text: str = "report", channel: str = CH) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=key, channel=channel, content=Rendered(text=text), thread_ts=thread_ts
    )


async def test_delivered_once_and_dedupe_key_is_unique(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    assert store.enqueue(reply("job-1:final", ts), clock())
    assert not store.enqueue(reply("job-1:final", ts, "again"), clock())
    s = sender(store, client, clock)
    assert await s.run_once() == 1
    assert await s.run_once() == 0
    assert [m["text"] for m in slack.state.thread(CH, ts)] == ["report"]
    assert store.outbox_stats(clock()) == (0, None)


async def test_order_and_pacing_per_channel(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    other = parent(slack, "C0OTHER001")
    for i in range(3):
        store.enqueue(reply(f"k{i}", ts, f"m{i}"), clock())
    store.enqueue(reply("other", other, "o", channel="C0OTHER001"), clock())
    s = sender(store, client, clock)
    assert await s.run_once() == 2  # one per channel
    assert await s.run_once() == 0  # the channel's slot is taken for a second
    clock.advance(1.0)
    assert await s.run_once() == 1
    clock.advance(1.0)
    assert await s.run_once() == 1
    assert [m["text"] for m in slack.state.thread(CH, ts)] == ["m0", "m1", "m2"]
    assert store.outbox_stats(clock())[0] == 0


async def test_rate_limit_holds_the_channel_for_retry_after(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    slack.state.rate_limit_next["chat.postMessage"] = 3
    store.enqueue(reply("rl", ts), clock())
    s = sender(store, client, clock)
    assert await s.run_once() == 0 and s.rate_limited == 1
    clock.advance(2.0)
    assert await s.run_once() == 0  # still held
    clock.advance(1.0)
    assert await s.run_once() == 1
    assert len(slack.state.thread(CH, ts)) == 1


async def test_lost_answer_is_checked_before_posting_again(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    slack.state.fail_next["chat.postMessage"] = ["lost"]  # posted, but answered 503
    store.enqueue(reply("lost-1", ts), clock())
    s = sender(store, client, clock)
    assert await s.run_once() == 0
    clock.advance(5)
    assert await s.run_once() == 1
    assert len(slack.state.thread(CH, ts)) == 1
    assert len(slack.state.calls_to("chat.postMessage")) == 1  # found, not re-posted
    assert slack.state.calls_to("conversations.replies")


async def test_server_error_that_did_not_post_is_posted_after_the_check(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    slack.state.fail_next["chat.postMessage"] = ["server_error"]
    store.enqueue(reply("se-1", ts), clock())
    s = sender(store, client, clock)
    assert await s.run_once() == 0
    clock.advance(5)
    assert await s.run_once() == 1
    assert len(slack.state.thread(CH, ts)) == 1


async def test_a_sender_that_dies_mid_send_is_replaced_without_a_duplicate(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    store.enqueue(reply("crash-1", ts), clock())
    # replica A claims the row and posts, then dies before marking it sent
    [row] = store.claim_messages("A", clock(), lease_seconds=30, pace_seconds=1, limit=10)
    marker = {"event_type": "sdrs_bot_message", "event_payload": {"dedupe_key": "crash-1"}}
    await client.chat_postMessage(channel=CH, thread_ts=ts, text="report", metadata=marker)
    b = sender(store, client, clock, owner="B")
    assert await b.run_once() == 0  # A's lease still holds
    clock.advance(31)
    assert await b.run_once() == 1
    assert len(slack.state.thread(CH, ts)) == 1
    assert row.attempts == 1


async def test_permanent_error_is_set_aside(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    slack.state.not_in_channels.add("C0GONE0001")
    store.enqueue(
        OutboxMessage(dedupe_key="gone", channel="C0GONE0001", content=Rendered(text="x")), clock()
    )
    store.enqueue(reply("next", parent(slack)), clock())
    s = sender(store, client, clock)
    await s.run_once()
    clock.advance(2)
    await s.run_once()
    assert store.outbox_stats(clock())[0] == 0
    assert len(slack.state.calls_to("chat.postMessage")) == 2


async def test_update_of_a_known_ts(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    clock = Clock()
    ts = parent(slack)
    store.enqueue(
        OutboxMessage(dedupe_key="upd", channel=CH, content=Rendered(text="SUCCESS"), ts=ts),
        clock(),
    )
    assert await sender(store, client, clock).run_once() == 1
    assert slack.state.messages[(CH, ts)]["text"] == "SUCCESS"


async def test_two_replicas_deliver_each_message_once_within_the_pace(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    """Real time, two senders sharing the store: every message once; a channel never gets two
    messages closer than the pace (with a little tolerance for scheduling)."""
    pace = 0.1
    now = lambda: datetime.now(UTC)  # noqa: E731
    channels = ["C0PACE0001", "C0PACE0002", "C0PACE0003"]
    threads = {ch: parent(slack, ch) for ch in channels}
    for i in range(30):
        ch = channels[i % 3]
        store.enqueue(reply(f"pace-{i}", threads[ch], f"m{i}", channel=ch), now())
    senders = [
        OutboxSender(store, client, render.message, owner=o, now=now, pace_seconds=pace)
        for o in ("A", "B")
    ]

    async def loop(s: OutboxSender) -> None:
        for _ in range(400):
            await s.run_once()
            if store.outbox_stats(now())[0] == 0:
                return
            await asyncio.sleep(0.01)

    await asyncio.gather(*(loop(s) for s in senders))
    for ch in channels:
        texts = [m["text"] for m in slack.state.thread(ch, threads[ch])]
        assert len(texts) == 10 and len(set(texts)) == 10
        times = [t for c, t in slack.state.posted_at if c == ch]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= pace * 0.8, gaps


@pytest.mark.parametrize("threaded", [False, True])
async def test_a_lost_answer_is_found_behind_a_busy_channel(
    store: Store, client: AsyncWebClient, slack: SlackApiThread, threaded: bool
) -> None:
    """More than a page of newer messages (250 > 200) since the lost post: the look-up pages on
    (the stand-in pages as Slack does) and finds it - no second post."""
    clock = Clock()
    ts = parent(slack) if threaded else None
    slack.state.fail_next["chat.postMessage"] = ["lost"]  # posted, but answered 503
    message = OutboxMessage(
        dedupe_key="busy-1", channel=CH, content=Rendered(text="report"), thread_ts=ts
    )
    store.enqueue(message, clock())
    s = sender(store, client, clock)
    assert await s.run_once() == 0
    for n in range(250):  # the channel (or thread) moves on
        newer = f"{time.time() + 1 + n / 1000:.6f}"
        slack.state.messages[(CH, newer)] = {
            "type": "message",
            "text": f"chatter {n}",
            "ts": newer,
            **({"thread_ts": ts} if ts else {}),
        }
    clock.advance(5)
    assert await s.run_once() == 1
    posts = [
        c
        for c in slack.state.calls_to("chat.postMessage")
        if "busy-1" in json.dumps(c.args.get("metadata") or {})
    ]
    assert len(posts) == 1  # found on a later page, not posted again
    if not threaded:  # history is newest first: the original is on a later page
        assert len(slack.state.calls_to("conversations.history")) >= 2
    # (a thread's replies come oldest first: the original is on the first page)


async def test_a_check_refused_for_a_missing_scope_still_delivers_and_says_so(
    store: Store,
    client: AsyncWebClient,
    slack: SlackApiThread,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A direct message whose post may have been lost: the look-up before sending again is
    refused (an app installed without im:history). The report is delivered anyway, and the log
    and the metrics say which method lacked its scope."""
    clock = Clock()
    dm = "D0DIRECT01"
    slack.state.fail_next["chat.postMessage"] = ["server_error"]  # outcome unknown: check first
    slack.state.fail_next["conversations.history"] = ["missing_scope"]
    store.enqueue(
        OutboxMessage(dedupe_key="dm-1", channel=dm, content=Rendered(text="report")), clock()
    )
    s = sender(store, client, clock)
    metrics = Metrics()
    metrics.watch(store, lambda: s.rate_limited, lambda: s.missing_scope)
    assert await s.run_once() == 0
    clock.advance(5)
    assert await s.run_once() == 1
    assert slack.state.calls_to("conversations.history")  # it did try to check
    assert [m["text"] for (ch, _), m in slack.state.message_items() if ch == dm] == ["report"]
    assert store.outbox_stats(clock()) == (0, None)
    warning = [r.getMessage() for r in caplog.records if "missing_scope" in r.getMessage()]
    assert len(warning) == 1 and "conversations.history" in warning[0] and "dm-1" in warning[0]
    exposition = metrics.exposition().decode()
    assert 'sdrs_bot_slack_missing_scope_total{method="conversations.history"} 1.0' in exposition


async def test_a_burst_of_uncertain_rows_waits_for_the_look_up_budget(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    """Twelve posts whose answers were lost, in twelve channels: their look-ups share
    conversations.history's budget (a burst of 5 here, then 40 a minute). Five are checked at
    once; the others wait - not counted as attempts, not failed, not sent unchecked - and are
    checked as the budget refills. Each message is in Slack once."""
    clock = Clock()
    channels = [f"C0BURST{n:03d}" for n in range(12)]
    slack.state.fail_next["chat.postMessage"] = ["lost"] * len(channels)
    for ch in channels:
        message = OutboxMessage(dedupe_key=f"burst-{ch}", channel=ch, content=Rendered(text="r"))
        store.enqueue(message, clock())
    s = OutboxSender(
        store,
        client,
        render.message,
        owner="r1",
        now=clock,
        pace_seconds=1.0,
        lease_seconds=30,
        lookup_burst=5,
    )
    assert await s.run_once() == 0  # every post took effect, every answer was lost
    clock.advance(5)
    assert await s.run_once() == 5
    assert len(slack.state.calls_to("conversations.history")) == 5
    assert store.outbox_stats(clock())[0] == 7
    assert await s.run_once() == 0  # the others wait for the budget, not for a retry
    assert len(slack.state.calls_to("conversations.history")) == 5
    for _ in range(20):
        clock.advance(1.5)  # 40 a minute: one more look-up each 1.5 s
        await s.run_once()
        if not store.outbox_stats(clock())[0]:
            break
    assert store.outbox_stats(clock())[0] == 0
    assert len(slack.state.calls_to("conversations.history")) == len(channels)
    assert len(slack.state.calls_to("chat.postMessage")) == len(channels)  # none posted twice
    for ch in channels:
        assert [m["text"] for (c, _), m in slack.state.message_items() if c == ch] == ["r"]
    with store.engine.connect() as conn:
        attempts = conn.execute(text("select max(attempts) from outbox")).scalar_one()
    assert attempts == 2  # the lost post and the checked one; waiting was not an attempt


@pytest.mark.parametrize("retries", [False, True], ids=["outbox-client", "command-client"])
async def test_a_post_whose_connection_drops_after_slack_took_it_is_not_sent_again(
    store: Store, slack: SlackApiThread, retries: bool
) -> None:
    """The bot's Web API clients (as built for production) do not repeat a call whose
    connection dropped after sending - it may have been carried out; the outbox finds out
    instead. slack_sdk's default connection-error retry would post the reply twice."""
    from pydantic import SecretStr

    from handlers.client import slack_client
    from tests.conftest import sandbox_settings

    settings = sandbox_settings(
        "http://127.0.0.1:9", slack_bot_token=SecretStr(BOT_TOKEN), slack_api_url=slack.api_url
    )
    clock = Clock()
    ts = parent(slack)
    slack.state.fail_next["chat.postMessage"] = ["dropped"]
    store.enqueue(reply("dropped-1", ts), clock())
    async with aiohttp.ClientSession() as session:
        s = sender(store, slack_client(settings, session, retries=retries), clock)
        assert await s.run_once() == 0  # no answer: not known to be sent
        clock.advance(5)
        assert await s.run_once() == 1  # found in the thread
    assert len(slack.state.thread(CH, ts)) == 1
    assert len(slack.state.calls_to("chat.postMessage")) == 1


async def test_a_send_that_outlasts_its_lease_is_not_posted_again_by_the_next_run(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    """A loaded process: the post takes longer than the row's lease, so the next run claims the
    row again (its lease ran out) while the first send is still on its way. The same process
    must not post it a second time."""
    clock = Clock()
    ts = parent(slack)
    store.enqueue(reply("slow-1", ts), clock())
    slack.state.fail_next["chat.postMessage"] = ["slow:0.5"]
    s = sender(store, client, clock)
    first = asyncio.create_task(s.run_once())
    await until(lambda: bool(slack.state.calls_to("chat.postMessage")))
    clock.advance(31)  # past the 30 s lease: the row is due for a claim again
    assert await s.run_once() == 0
    assert await first == 1
    assert [m["text"] for m in slack.state.thread(CH, ts)] == ["report"]
    assert len(slack.state.calls_to("chat.postMessage")) == 1
    assert store.outbox_stats(clock()) == (0, None)


async def test_deliveries_that_finish_together_are_marked_in_one_write(
    store: Store, client: AsyncWebClient, slack: SlackApiThread
) -> None:
    """A burst of reports (one per channel): each is marked sent with its own ts and paced from
    its delivery, and the deliveries that finish together are written together - a few
    transactions for 40 messages, not one each (30,000 jobs were 30,000 transactions)."""
    from sqlalchemy import event

    clock = Clock()
    channels = [f"C0BURST{n:03d}" for n in range(40)]
    threads = {ch: parent(slack, ch) for ch in channels}
    for ch in channels:
        assert store.enqueue(reply(f"burst-{ch}", threads[ch], f"report {ch}", channel=ch), clock())
    commits: list[int] = []

    def committed(conn: object) -> None:
        commits.append(1)

    event.listen(store.engine, "commit", committed)
    try:
        assert await sender(store, client, clock).run_once() == 40
    finally:
        event.remove(store.engine, "commit", committed)
    assert len(commits) <= 1 + 40 // 4, len(commits)  # the claim, then the marks in a few writes
    for ch in channels:
        [posted] = slack.state.thread(ch, threads[ch])
        assert posted["text"] == f"report {ch}"
        with store.engine.connect() as conn:
            state, sent_ts = conn.execute(
                text("SELECT state, sent_ts FROM outbox WHERE dedupe_key = :k"),
                {"k": f"burst-{ch}"},
            ).one()
        assert (state, sent_ts) == ("sent", posted["ts"])
    # every channel's next slot counts from its delivery: nothing more within the pace
    for ch in channels:
        store.enqueue(reply(f"next-{ch}", threads[ch], channel=ch), clock())
    clock.advance(0.5)
    assert await sender(store, client, clock).run_once() == 0
    clock.advance(0.6)
    assert await sender(store, client, clock).run_once() == 40


def test_marking_several_sent_marks_only_this_senders_rows(store: Store) -> None:
    """``mark_sent_many``: each row only while this sender holds it (a row another sender took
    over stays theirs to mark); each channel's next slot is pushed to its quiet time, never
    pulled back from a later hold (Slack's Retry-After)."""
    from bot.store import Delivered
    from bot.store.schema import channel_pacing

    clock = Clock()
    chans = ["C0MARK0001", "C0MARK0002", "C0MARK0003"]
    for ch in chans:
        assert store.enqueue(reply(f"mark-{ch}", "1.000001", channel=ch), clock())
    mine = store.claim_messages("A", clock(), lease_seconds=30, pace_seconds=1, limit=2)
    [theirs] = store.claim_messages("B", clock(), lease_seconds=30, pace_seconds=1, limit=2)
    held_until = clock() + timedelta(seconds=60)
    store.hold_channel(mine[1].message.channel, held_until)
    quiet = clock() + timedelta(seconds=5)
    marks = [Delivered(r.id, f"17000000{r.id}.000100", r.message.channel, quiet) for r in mine]
    marks.append(Delivered(theirs.id, "1700000099.000100", theirs.message.channel, quiet))
    assert store.mark_sent_many("A", marks) == [True, True, False]
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, sent_ts FROM outbox WHERE state = 'sent'")).all())
        paced = dict(conn.execute(channel_pacing.select()).all())
    assert rows == {r.id: f"17000000{r.id}.000100" for r in mine}
    assert paced[mine[0].message.channel] == quiet.timestamp()
    assert paced[mine[1].message.channel] == held_until.timestamp()
    assert paced[theirs.message.channel] == (clock() + timedelta(seconds=1)).timestamp()
    assert store.mark_sent_many("A", []) == []
