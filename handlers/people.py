"""Which language a person reads the bot's private answers in (:mod:`bot.core.audience`): their
own choice (the store), else their Slack locale (``users.info``, cached in
:mod:`handlers.lookup`), else English."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.audience import PersonLanguage, person_language
from bot.core.language import Language
from bot.store import Store
from handlers.lookup import user_locales

log = logging.getLogger(__name__)

# A person's language is known on the way to an ack (Slack's 3 seconds): Slack's answer about
# their locale is waited for at most this long (then English, and asked again a minute later).
LOCALE_WITHIN_SECONDS = 1.0


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
    chosen: Language | None = None
    try:
        chosen = await asyncio.to_thread(store.chosen_language, user)
    except Exception as exc:  # noqa: BLE001 - the database is down: the locale still tells
        log.info("language chosen by %s not known (%s)", user, type(exc).__name__)
    if chosen is not None:
        return person_language(chosen, None)
    locales = user_locales(client)
    if ask_slack:
        return person_language(None, await locales.locale(client, user, within=within))
    return person_language(None, locales.kept(user)[1])
