"""A person's own choice of language is read from the store at most every CHOICE_CACHE_SECONDS
per process (not on every ack); a choice made in this process counts at once, one made by
another replica once the kept answer is older than that."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.language import Language
from bot.store import Store
from handlers.people import CHOICE_CACHE_SECONDS, choices, choose, language_of

NOW = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
ALICE = "U0ALICE001"
# never asked: every case below has a choice in the store, which comes before Slack's locale
NOBODY = AsyncWebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/api/")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.from_url(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    yield s
    s.close()


async def test_a_choice_made_here_counts_at_once(store: Store) -> None:
    await choose(store, ALICE, Language.ZH, NOW)
    assert (await language_of(store, NOBODY, ALICE)).language is Language.ZH
    await choose(store, ALICE, Language.EN, NOW)
    assert (await language_of(store, NOBODY, ALICE)).language is Language.EN


async def test_another_replicas_choice_counts_once_the_kept_one_is_old(store: Store) -> None:
    clock = [1000.0]
    choices(store).now = lambda: clock[0]
    await choose(store, ALICE, Language.ZH, NOW)
    store.choose_language(ALICE, Language.EN, NOW)  # another replica, same database
    assert (await language_of(store, NOBODY, ALICE)).language is Language.ZH  # kept here
    clock[0] += CHOICE_CACHE_SECONDS
    assert (await language_of(store, NOBODY, ALICE)).language is Language.EN  # read again
