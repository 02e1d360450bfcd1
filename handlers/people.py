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
# this long (and the one read that follows: see Choices).
CHOICE_CACHE_SECONDS = 30.0
CHOICE_CACHE_PEOPLE = 10_000


class Choices(Kept[Language]):
    """Each person's own choice of language as the store last said it, kept a while. Only a
    person never seen waits for the store (one read, however many of their requests come at
    once); once a kept choice is out of date it is still answered while it is read again in
    the background, once - so no ack waits for the database when the kept choices expire
    (every request of a busy person would otherwise read it at the same moment)."""

    def __init__(self, ttl: float = CHOICE_CACHE_SECONDS, size: int = CHOICE_CACHE_PEOPLE) -> None:
        super().__init__(size)
        self.ttl = ttl
        self._reads: dict[str, asyncio.Task[None]] = {}

    def remember(self, user: str, language: Language | None) -> None:
        self.keep(user, self.now() + self.ttl, language)

    def read(self, store: Store, user: str) -> asyncio.Task[None]:
        """The store's answer about ``user``, being read: one read at a time per person."""
        loop = asyncio.get_running_loop()
        task = self._reads.get(user)
        if task is None or task.done() or task.get_loop() is not loop:
            task = self._reads[user] = loop.create_task(self._read(store, user))
        return task

    async def _read(self, store: Store, user: str) -> None:
        started = self.now()
        try:
            chosen = await asyncio.to_thread(store.chosen_language, user)
        except Exception as exc:  # noqa: BLE001 - the database is down: the locale still tells
            log.info("language chosen by %s not known (%s)", user, type(exc).__name__)
            return
        finally:
            self._reads.pop(user, None)
        until = self.until(user)
        if until is None or until - self.ttl <= started:  # not chosen here meanwhile
            self.remember(user, chosen)


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
    known, chosen, fresh = kept.last(user)
    if not known:  # never seen: their first request waits for the store
        await asyncio.shield(kept.read(store, user))
        chosen = kept.kept(user)[1]
    elif not fresh:  # answered as kept; read again behind this request
        kept.read(store, user)
    if chosen is not None:
        return person_language(chosen, None)
    locales = user_locales(client)
    if ask_slack:
        return person_language(None, await locales.locale(client, user, within=within))
    return person_language(None, locales.kept(user)[1])
