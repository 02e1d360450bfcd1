"""Who reads a message in which language (pure; issue 27).

A private answer (an ephemeral message, the answer to a command, a form) is in its person's
language: the one they chose with ``/sdrs lang zh|en`` (kept in the store), else the one their
Slack locale reads as (:func:`bot.core.language.from_slack_locale`), else English. A message in a
channel, seen by everyone, is in the channel binding's language
(:meth:`bot.core.bindings.Bindings.language_in`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.language import DEFAULT, Language, from_slack_locale


class Source(StrEnum):
    """Where a person's language comes from."""

    CHOSEN = "chosen"  # /sdrs lang zh|en
    SLACK = "slack"  # their Slack locale
    DEFAULT = "default"  # neither known: English


@dataclass(frozen=True)
class PersonLanguage:
    language: Language
    source: Source
    locale: str | None = None  # their Slack locale, when Slack said it


def person_language(chosen: Language | None, locale: str | None) -> PersonLanguage:
    """The person's own choice, else their Slack locale's language, else English."""
    if chosen is not None:
        return PersonLanguage(chosen, Source.CHOSEN, locale)
    if locale:
        return PersonLanguage(from_slack_locale(locale), Source.SLACK, locale)
    return PersonLanguage(DEFAULT, Source.DEFAULT)
