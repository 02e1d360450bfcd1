"""Translation for everything the bot writes in Slack (gettext catalogs).

The language is a context variable: whoever renders a message for an audience sets it
(``with speaking(language): ...``) and every wording in :mod:`handlers.messages` asks for its text
with :func:`_` (or :func:`ngettext`) at render time. Texts defined at import time (tables, labels)
are marked with :func:`N_` and translated where they are used: ``_(SITE_LABEL[site])``.

English is the source language (the msgids); the Chinese catalog is
``handlers/locale/zh/LC_MESSAGES/messages.mo``, compiled from its ``.po`` when the package is
built.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from bot.core.language import DEFAULT, Language
from bot.core.wording import Wording

DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[Language] = ContextVar("sdrs_bot_language", default=DEFAULT)


@contextmanager
def speaking(language: Language) -> Iterator[None]:
    """Render in ``language`` inside the block (nests; restored on exit)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Language:
    return _current.get()


@cache
def catalog(language: Language) -> gettext.NullTranslations:
    """The compiled catalog of ``language``; English (the msgids) needs none."""
    if language is Language.EN:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language.value], fallback=True)


def _(message: str) -> str:
    if not message:  # gettext's "" is the catalog's header
        return message
    return catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(current()).ngettext(singular, plural, n)


def tr(w: Wording) -> str:
    """A sentence the core worded (:mod:`bot.core.wording`), translated and filled in (its
    values that are wordings too). Nothing is escaped: the caller escapes for mrkdwn."""
    values = {k: tr(v) if isinstance(v, Wording) else v for k, v in w.values.items()}
    return _(w.msgid).format(**values) if w.msgid else ""


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; translate it with :func:`_` where it is used."""
    return message
