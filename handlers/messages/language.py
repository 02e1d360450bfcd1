"""``/sdrs lang``: the language the bot answers a person in (:mod:`bot.core.audience`).

Each answer is rendered in the person's language as it is after the command (the new one when
they just chose), so it is also the first sentence they read in it."""

from __future__ import annotations

from bot.core.audience import PersonLanguage, Source
from bot.core.language import Language
from handlers.i18n import _

# each language by its own name: a person who cannot read the current one still finds theirs
LANGUAGE_NAME = {Language.EN: "English", Language.ZH: "中文"}


def chosen_text(language: Language) -> str:
    """After ``/sdrs lang zh|en``."""
    return _(
        "From now on I answer you in {name}. `/sdrs lang auto` follows your Slack language again."
    ).format(name=LANGUAGE_NAME[language])


def auto_text(person: PersonLanguage) -> str:
    """After ``/sdrs lang auto``: the choice is forgotten, the Slack locale decides again."""
    return _(
        "Your choice is forgotten: I answer you in your Slack language again ({name} now)."
    ).format(name=LANGUAGE_NAME[person.language])


def current_text(person: PersonLanguage) -> str:
    """``/sdrs lang`` alone: which language, and where it comes from."""
    name = LANGUAGE_NAME[person.language]
    match person.source:
        case Source.CHOSEN:
            why = _("you chose it with `/sdrs lang`")
        case Source.SLACK:
            why = _("your Slack language is {locale}").format(locale=person.locale or "?")
        case Source.DEFAULT:
            why = _("Slack did not tell me your language")
    return _(
        "I answer you in {name} ({why}). Messages in a channel, seen by everyone, are in "
        "the channel's language. `/sdrs lang zh` or `/sdrs lang en` chooses yours."
    ).format(name=name, why=why)


def help_line() -> str:
    """The line of ``/sdrs help`` about languages."""
    return _(
        "`/sdrs lang zh|en` chooses the language I answer you in (`/sdrs lang` says which "
        "one and why; `/sdrs lang auto` follows your Slack language)."
    )
