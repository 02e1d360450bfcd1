"""A person's own choice of language is read from the store at most every CHOICE_CACHE_SECONDS
per process (not on every ack); a choice made in this process counts at once, one made by
another replica once the kept answer is older than that and has been read again - in the
background: no ack waits for the store once a person is known, and a person's requests that
come together read it once."""

from __future__ import annotations

import asyncio
import threading
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
    clock = await _chose_chinese(store)
    store.choose_language(ALICE, Language.EN, NOW)  # another replica, same database
    assert (await language_of(store, NOBODY, ALICE)).language is Language.ZH  # kept here
    clock[0] += CHOICE_CACHE_SECONDS
    # out of date: still answered as kept, while it is read again behind the request
    assert (await language_of(store, NOBODY, ALICE)).language is Language.ZH
    await _reads_done(store)
    assert (await language_of(store, NOBODY, ALICE)).language is Language.EN  # read again


async def _chose_chinese(store: Store) -> list[float]:
    """Alice chose Chinese here; the choices' clock, which the test moves (``clock[0] += s``)."""
    clock = [1000.0]
    choices(store).now = lambda: clock[0]
    await choose(store, ALICE, Language.ZH, NOW)
    return clock


async def _reads_done(store: Store) -> None:
    await asyncio.gather(*choices(store)._reads.values())


def _counting_gated(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], threading.Event]:
    """The store's reads of a choice, counted, each held until the gate opens."""
    reads: list[str] = []
    gate = threading.Event()
    real = store.chosen_language

    def chosen_language(user: str) -> Language | None:
        reads.append(user)
        assert gate.wait(10), "the gate was never opened"
        return real(user)

    monkeypatch.setattr(store, "chosen_language", chosen_language)
    return reads, gate


async def test_an_out_of_date_choice_is_answered_without_waiting_for_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = await _chose_chinese(store)
    store.choose_language(ALICE, Language.EN, NOW)  # another replica
    clock[0] += CHOICE_CACHE_SECONDS
    reads, gate = _counting_gated(store, monkeypatch)
    # the store's read is held: an ack that waited for it would time out here
    answers = await asyncio.wait_for(
        asyncio.gather(*(language_of(store, NOBODY, ALICE) for _ in range(20))), 5
    )
    assert {a.language for a in answers} == {Language.ZH}
    for _ in range(100):  # the read started behind them (its thread may not have run yet)
        if reads:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert reads == [ALICE]  # 20 requests at once, one read
    gate.set()
    await _reads_done(store)
    assert (await language_of(store, NOBODY, ALICE)).language is Language.EN
    assert reads == [ALICE]


async def test_a_person_never_seen_waits_for_one_read_however_many_requests(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.choose_language(ALICE, Language.ZH, NOW)
    reads, gate = _counting_gated(store, monkeypatch)
    asks = [asyncio.ensure_future(language_of(store, NOBODY, ALICE)) for _ in range(20)]
    await asyncio.sleep(0.05)
    assert not any(a.done() for a in asks)  # their language is not known yet: they wait
    gate.set()
    answers = await asyncio.gather(*asks)
    assert {a.language for a in answers} == {Language.ZH}
    assert reads == [ALICE]


async def test_a_choice_made_while_it_is_read_again_is_not_undone_by_the_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = await _chose_chinese(store)
    clock[0] += CHOICE_CACHE_SECONDS
    real = store.chosen_language
    gate, read = threading.Event(), threading.Event()

    def read_then_wait(user: str) -> Language | None:
        found = real(user)  # read before the choice below...
        read.set()
        assert gate.wait(10)
        return found  # ...answered after it

    monkeypatch.setattr(store, "chosen_language", read_then_wait)
    assert (await language_of(store, NOBODY, ALICE)).language is Language.ZH  # read starts
    assert await asyncio.to_thread(read.wait, 10)  # it has read the store (ZH)
    clock[0] += 1
    await choose(store, ALICE, Language.EN, NOW)
    gate.set()
    await _reads_done(store)
    assert (await language_of(store, NOBODY, ALICE)).language is Language.EN
