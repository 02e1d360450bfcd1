"""Who gets which language (issue 27): a person's own choice over their Slack locale over
English; a message in a channel, seen by everyone, in the channel binding's language;
``/sdrs lang`` parsed."""

from __future__ import annotations

import pytest

from bot.core.audience import Source, person_language
from bot.core.bindings import ANY_CHANNEL, Binding, Bindings
from bot.core.errors import ParseError
from bot.core.intents import LanguageIntent, parse
from bot.core.language import Language
from bot.core.policy import Policy

EN, ZH = Language.EN, Language.ZH


@pytest.mark.parametrize(
    ("chosen", "locale", "language", "source"),
    [
        (None, None, EN, Source.DEFAULT),  # Slack did not say: English
        (None, "zh-CN", ZH, Source.SLACK),
        (None, "zh-TW", ZH, Source.SLACK),
        (None, "zh-HK", ZH, Source.SLACK),
        (None, "en-US", EN, Source.SLACK),
        (None, "ja-JP", EN, Source.SLACK),  # every other locale: English
        (EN, "zh-CN", EN, Source.CHOSEN),  # the person's choice wins over their locale
        (ZH, "en-GB", ZH, Source.CHOSEN),
        (ZH, None, ZH, Source.CHOSEN),
    ],
)
def test_a_person_reads_their_choice_else_their_slack_locale_else_english(
    chosen: Language | None, locale: str | None, language: Language, source: Source
) -> None:
    found = person_language(chosen, locale)
    assert (found.language, found.source) == (language, source)


def _binding(channels: set[str], language: Language = EN) -> Binding:
    return Binding(frozenset(channels), ("prod",), Policy(), language=language)


def test_a_channel_message_is_in_its_bindings_language_default_english() -> None:
    bindings = Bindings(
        (
            _binding({"C0CHINA001"}, ZH),
            _binding({"C0WORLD001"}),
            _binding({ANY_CHANNEL}, ZH),
        )
    )
    assert bindings.language_in("C0CHINA001") is ZH
    assert bindings.language_in("C0WORLD001") is EN
    assert bindings.language_in("C0OTHER001") is ZH  # the "*" binding's
    assert Bindings((_binding({"C0WORLD001"}),)).language_in("C0OTHER001") is EN  # unbound
    assert Binding(frozenset({"C1"}), ("prod",), Policy()).language is EN  # the default


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("lang", LanguageIntent()),
        ("lang zh", LanguageIntent(language=ZH)),
        ("lang EN", LanguageIntent(language=EN)),
        ("lang 中文", LanguageIntent(language=ZH)),
        ("language en", LanguageIntent(language=EN)),
        ("lang auto", LanguageIntent(auto=True)),
    ],
)
def test_sdrs_lang_parses(text: str, intent: LanguageIntent) -> None:
    assert parse(text) == intent


@pytest.mark.parametrize("text", ["lang fr", "lang zh en"])
def test_sdrs_lang_refuses_what_is_not_a_language(text: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse(text)
    assert "is not a language" in refused.value.problem
    assert "/sdrs lang zh" in refused.value.usage
