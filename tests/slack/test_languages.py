"""Who reads which language, through the real app and the Slack stand-in (issue 27): a person's
private answers follow their Slack locale (``users.info`` with ``include_locale``, asked once
per person within the cache's time) or their own ``/sdrs lang`` choice, kept in the store; a
Slack that does not say leaves English without holding up the ack; a queued message renders in
its audience's language when sent, an old row without one in English."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.facts import Rendered
from bot.core.language import Language
from bot.sandbox.slack_api import SlackApiThread
from bot.store import OutboxMessage, Store
from handlers import modals
from handlers.i18n import catalog, current, speaking
from handlers.lookup import LOCALE_CACHE_PEOPLE, LOCALE_CACHE_SECONDS, UserLocales, user_locales
from handlers.outbox import OutboxSender
from handlers.people import choose
from tests.support.slack_harness import ALICE, BOB, CAROL, CHANNEL, Harness
from tests.support.slack_helpers import BOT_TOKEN, action_body, dispatch, suggestion_body, until

EN, ZH = Language.EN, Language.ZH
PROBE = "test_probe_language"


def answer(response: Any) -> str:
    """The text of an ack answered with a message (ephemeral)."""
    assert response.status == 200, response.body
    return str(json.loads(response.body)["text"])


def locale_calls(h: Harness) -> list[dict[str, Any]]:
    return [c.args for c in h.state.calls_to("users.info")]


def chinese_catalog() -> bool:
    """Whether the compiled Chinese catalog is there (built with the package)."""
    return catalog(ZH).gettext("you chose it with `/sdrs lang`") != "you chose it with `/sdrs lang`"


async def test_sdrs_lang_says_the_language_and_where_it_comes_from(h: Harness) -> None:
    h.state.locales.update({ALICE: "zh-CN", BOB: "en-US", CAROL: "zh-HK"})
    alice = answer(await h.command("lang", user=ALICE))
    assert "中文" in alice and "zh-CN" in alice
    bob = answer(await h.command("lang", user=BOB))
    assert "English" in bob and "en-US" in bob
    assert "中文" in answer(await h.command("lang", user=CAROL))
    # Slack's users.info, asked for the locale as Slack documents it
    assert [(c["user"], c["include_locale"]) for c in locale_calls(h)] == [
        (ALICE, "1"),
        (BOB, "1"),
        (CAROL, "1"),
    ]


async def test_users_info_is_asked_once_per_person_within_the_cache_time(h: Harness) -> None:
    h.state.locales[ALICE] = "zh-CN"
    for _ in range(3):
        await h.command("lang", user=ALICE)
        await h.command("help", user=BOB)
    assert sorted(c["user"] for c in locale_calls(h)) == [ALICE, BOB]
    cache = user_locales(h.app.client)
    started = cache.now()
    cache.now = lambda: started + LOCALE_CACHE_SECONDS + 1  # an hour later: asked again
    await h.command("lang", user=ALICE)
    assert sorted(c["user"] for c in locale_calls(h)) == [ALICE, ALICE, BOB]


async def test_sdrs_lang_zh_is_kept_and_wins_over_the_slack_locale_until_auto(
    h: Harness,
) -> None:
    h.state.locales[BOB] = "en-US"
    chosen = answer(await h.command("lang zh", user=BOB))
    assert "中文" in chosen  # answered in the new language (named in it)
    assert h.deps.store.chosen_language(BOB) is ZH
    now = answer(await h.command("lang", user=BOB))
    assert "中文" in now and "en-US" not in now  # his choice, not his locale
    back = answer(await h.command("lang auto", user=BOB))
    assert "English" in back
    assert h.deps.store.chosen_language(BOB) is None
    refused = answer(await h.command("lang fr", user=BOB))
    assert "is not a language" in refused


@pytest.mark.skipif(not chinese_catalog(), reason="the Chinese catalog is not compiled")
async def test_the_answers_are_in_chinese_for_a_chinese_reader(h: Harness) -> None:
    h.state.locales.update({ALICE: "zh-CN", BOB: "en-US"})
    assert "从现在起" in answer(await h.command("lang zh", user=BOB))
    assert "我用中文回复你" in answer(await h.command("lang", user=ALICE))
    assert "I answer you in English" in answer(await h.command("lang", user=CAROL))
    help_text = json.dumps(json.loads((await h.command("help", user=ALICE)).body)["blocks"])
    assert "lang zh|en" in help_text and "\\u9009\\u62e9" in help_text  # 选择, JSON-escaped


async def _probe(h: Harness) -> list[tuple[str, Language]]:
    """A listener of a test action that records the language it renders in, at the ack and in
    the work it hands to the background (as every listener of the app does)."""
    seen: list[tuple[str, Language]] = []

    async def probe(ack: AsyncAck) -> None:
        seen.append(("ack", current()))
        await ack()

        async def later() -> None:
            await asyncio.sleep(0)
            seen.append(("background", current()))

        h.deps.background.spawn(later(), name="probe")

    h.app.action(PROBE)(probe)
    return seen


async def click(h: Harness, user: str) -> None:
    body = action_body(
        action_id=PROBE,
        op_id="x",
        user=user,
        channel=CHANNEL,
        message_ts="1.0",
        response_url=f"{h.slack.url}/response/act",
    )
    assert (await dispatch(h.app, body)).status == 200


async def test_each_payload_is_handled_in_its_persons_language(h: Harness) -> None:
    seen = await _probe(h)
    h.state.locales.update({ALICE: "zh-TW", BOB: "en-GB"})
    await click(h, ALICE)
    await until(lambda: len(seen) == 2)
    await click(h, BOB)
    await until(lambda: len(seen) == 4)
    await choose(h.deps.store, BOB, ZH, datetime.now(UTC))  # his own choice (/sdrs lang) wins
    await click(h, BOB)
    await until(lambda: len(seen) == 6)
    assert seen == [
        ("ack", ZH),
        ("background", ZH),
        ("ack", EN),
        ("background", EN),
        ("ack", ZH),
        ("background", ZH),
    ]
    assert current() is EN  # nothing leaked into the caller's context


async def test_a_slack_that_does_not_say_leaves_english_without_holding_the_ack(
    h: Harness,
) -> None:
    seen = await _probe(h)
    h.state.locales[ALICE] = "zh-CN"
    h.state.rate_limit_next["users.info"] = 30.0  # a 429 for the first look-up
    started = time.monotonic()
    await click(h, ALICE)
    assert time.monotonic() - started < 1.5  # not the 30 s Retry-After
    await until(lambda: len(seen) == 2)
    assert seen == [("ack", EN), ("background", EN)]
    await click(h, ALICE)  # not asked again at once (a minute): still English
    await until(lambda: len(seen) == 4)
    assert seen[2:] == [("ack", EN), ("background", EN)]
    assert len(locale_calls(h)) == 1


async def test_a_queued_message_renders_in_its_audiences_language_when_sent(
    tmp_path: Path, slack: SlackApiThread
) -> None:
    """A row queued for a Chinese channel renders in Chinese, whatever the sender's context;
    a row queued before there were languages (NULL) in English."""
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    now = datetime.now(UTC)
    try:
        store.channel_language = {"C0CHINA001": ZH}.get  # as Deps wires the bindings'
        for key, channel in (("china", "C0CHINA001"), ("world", "C0WORLD001")):
            store.enqueue(OutboxMessage(key, channel, Rendered(text=key)), now)
        rendered: dict[str, Language] = {}

        def render(msg: OutboxMessage, link: str | None) -> tuple[str, Any]:
            assert isinstance(msg.content, Rendered)
            rendered[msg.content.text] = current()
            return msg.content.text, None

        async with aiohttp.ClientSession() as session:
            client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, session=session)
            sender = OutboxSender(
                store, client, render, owner="r1", now=lambda: now, pace_seconds=0
            )
            with speaking(ZH):  # e.g. kicked from a Chinese reader's command: not inherited
                await sender.run_once()
    finally:
        store.close()
    assert rendered == {"china": ZH, "world": EN}
    posted = slack.state.calls_to("chat.postMessage")
    assert {c.args["channel"]: c.args["text"] for c in posted} == {
        "C0CHINA001": "china",
        "C0WORLD001": "world",
    }


async def test_the_locale_cache_is_bounded_least_recently_asked_first(
    slack: SlackApiThread,
) -> None:
    """docs/slack-rates.md: an hour per person, at most 10,000 people, the least recently seen
    go first."""
    assert (LOCALE_CACHE_SECONDS, LOCALE_CACHE_PEOPLE) == (3600.0, 10_000)
    slack.state.locales.update({ALICE: "zh-CN", BOB: "en-US", CAROL: "zh-TW"})
    cache = UserLocales(size=2)
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, session=session)
        assert await cache.locale(client, ALICE, within=1) == "zh-CN"
        assert await cache.locale(client, BOB, within=1) == "en-US"
        assert await cache.locale(client, ALICE, within=1) == "zh-CN"  # kept; now the newest
        assert await cache.locale(client, CAROL, within=1) == "zh-TW"  # BOB goes
        assert len(cache) == 2
        assert await cache.locale(client, ALICE, within=1) == "zh-CN"  # still kept
        assert await cache.locale(client, BOB, within=1) == "en-US"  # asked again
    asked = [c.args["user"] for c in slack.state.calls_to("users.info")]
    assert asked == [ALICE, BOB, CAROL, BOB]


async def test_an_options_load_asks_slack_for_no_locale(h: Harness) -> None:
    """Its reads have Slack's 3 seconds already: the locale is taken only if known."""
    h.state.locales.update({ALICE: "zh-CN", BOB: "zh-CN"})
    await h.command("resize", user=ALICE)  # alice opens the form: her locale is known now
    view = await until(lambda: h.state.views and next(iter(h.state.views.values())))
    for user in (ALICE, BOB):  # bob never sent anything: not asked for
        response = await dispatch(
            h.app,
            suggestion_body(
                user, view, action_id=modals.PICK_INSTANCE, block_id="instance", value="erp"
            ),
        )
        assert json.loads(response.body)["options"]
    assert [c["user"] for c in locale_calls(h)] == [ALICE]
