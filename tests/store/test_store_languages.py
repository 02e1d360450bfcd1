"""Languages in the store (issue 27), on SQLite and PostgreSQL: a person's own choice, kept and
forgotten; each queued message keeps the language of its audience, decided when it is queued
(the channel binding's), and a row queued before there were languages reads as none (English)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot.core.facts import Rendered
from bot.core.language import Language
from bot.store import OutboxMessage, Store
from bot.store.schema import outbox

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    yield s
    s.close()


def test_a_persons_choice_is_kept_changed_and_forgotten(store: Store) -> None:
    assert store.chosen_language("U0ALICE001") is None
    store.choose_language("U0ALICE001", Language.ZH, NOW)
    store.choose_language("U0BOB00001", Language.EN, NOW)
    assert store.chosen_language("U0ALICE001") is Language.ZH
    store.choose_language("U0ALICE001", Language.EN, NOW)  # changed: one row, the new choice
    assert store.chosen_language("U0ALICE001") is Language.EN
    store.choose_language("U0ALICE001", None, NOW)  # /sdrs lang auto
    assert store.chosen_language("U0ALICE001") is None
    assert store.chosen_language("U0BOB00001") is Language.EN  # only hers was forgotten


def _message(key: str, channel: str, language: Language | None = None) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=key, channel=channel, content=Rendered(text=key), language=language
    )


def test_a_queued_message_keeps_its_audiences_language_decided_when_queued(store: Store) -> None:
    languages = {"C0CHINA001": Language.ZH}
    store.channel_language = languages.get  # as Deps wires it: the channel binding's
    store.enqueue(_message("china", "C0CHINA001"), NOW)
    store.enqueue(_message("world", "C0WORLD001"), NOW)  # no language known for it
    store.enqueue(_message("own", "C0WORLD001", Language.ZH), NOW)  # a message's own wins
    languages["C0CHINA001"] = Language.EN  # the binding changes after the rows were queued
    claimed = {}
    for _ in range(3):  # one per channel at a time (delivery order)
        for row in store.claim_messages("r1", NOW, lease_seconds=30, pace_seconds=0, limit=10):
            claimed[row.message.dedupe_key] = row.message.language
            store.mark_sent(row.id, "r1", "1.0")
    assert claimed == {"china": Language.ZH, "world": None, "own": Language.ZH}


def test_an_old_row_without_a_language_or_with_an_unknown_one_reads_as_none(
    store: Store,
) -> None:
    store.enqueue(_message("old", "C0CHINA001", Language.ZH), NOW)
    store.enqueue(_message("future", "C0OTHER001", Language.ZH), NOW)
    with store.engine.begin() as conn:  # as a row queued before 0009, or by a newer version
        conn.execute(update(outbox).where(outbox.c.dedupe_key == "old").values(language=None))
        conn.execute(update(outbox).where(outbox.c.dedupe_key == "future").values(language="fr"))
    rows = store.claim_messages("r1", NOW, lease_seconds=30, pace_seconds=0, limit=10)
    assert {r.message.dedupe_key: r.message.language for r in rows} == {
        "old": None,
        "future": None,
    }
