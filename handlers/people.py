"""Which language a person reads the bot's private answers in (:mod:`bot.core.audience`): their
own choice (the store), else their Slack locale (``users.info``, cached in
:mod:`handlers.lookup`), else English."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from weakref import WeakKeyDictionary

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.audience import PersonLanguage, person_language
from bot.core.language import Language
from bot.store import Store
from handlers.lookup import Kept, user_locales

log = logging.getLogger(__name__)

# A person's language is known on the way to an ack (Slack's 3 seconds): Slack's answer about
# their locale is waited for at most this long (then English, and asked again a minute later).
LOCALE_WITHIN_SECONDS = 1.0
# A person's own choice (/sdrs lang) is read from the store at most this often per process, for
# at most CHOICE_CACHE_PEOPLE people: a database read on every ack would queue behind the
# intake's writes. A choice made here is known at once; one made on another replica within
# this long.
CHOICE_CACHE_SECONDS = 30.0
CHOICE_CACHE_PEOPLE = 10_000


class Choices(Kept[Language]):
    """Each person's own choice of language as the store last said it, kept a while."""

    def __init__(self, ttl: float = CHOICE_CACHE_SECONDS, size: int = CHOICE_CACHE_PEOPLE) -> None:
        super().__init__(size)
        self.ttl = ttl

    def remember(self, user: str, language: Language | None) -> None:
        self.keep(user, self.now() + self.ttl, language)


_choices: WeakKeyDictionary[Store, Choices] = WeakKeyDictionary()


def choices(store: Store) -> Choices:
    """The choices kept for ``store`` in this process."""
    kept = _choices.get(store)
    if kept is None:
        kept = _choices[store] = Choices()
    return kept


async def choose(store: Store, user: str, language: Language | None, now: datetime) -> None:
    """Keep ``user``'s choice (None: forget it) in the store, and here at once."""
    await asyncio.to_thread(store.choose_language, user, language, now)
    choices(store).remember(user, language)


async def language_of(
    store: Store,
    client: AsyncWebClient,
    user: str,
    *,
    within: float = LOCALE_WITHIN_SECONDS,
    ask_slack: bool = True,
) -> PersonLanguage:
    """``user``'s language and where it comes from. Never raises: a store that cannot be read
    or a Slack that does not answer leaves the other source, or English. Without
    ``ask_slack`` only a locale already kept counts (an options load: its reads already have
    all of Slack's 3 seconds)."""
    kept = choices(store)
    known, chosen = kept.kept(user)
    if not known:
        try:
            chosen = await asyncio.to_thread(store.chosen_language, user)
            kept.remember(user, chosen)
        except Exception as exc:  # noqa: BLE001 - the database is down: the locale still tells
            log.info("language chosen by %s not known (%s)", user, type(exc).__name__)
    if chosen is not None:
        return person_language(chosen, None)
    locales = user_locales(client)
    if ask_slack:
        return person_language(None, await locales.locale(client, user, within=within))
    return person_language(None, locales.kept(user)[1])
