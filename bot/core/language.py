"""The languages the bot speaks in Slack, and how a Slack locale maps to one (pure).

Slack gives each person a locale (``users.info`` with ``include_locale``): ``zh-CN``, ``zh-TW``
and ``zh-HK`` read as Chinese, every other locale as English. A person can override it
(``/sdrs lang zh|en``); a message in a channel, seen by everyone, uses the channel binding's
language.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    ZH = "zh"  # Simplified Chinese


DEFAULT = Language.EN
CHINESE_LOCALES = frozenset({"zh-cn", "zh-tw", "zh-hk"})


def from_slack_locale(locale: str | None) -> Language:
    """The language for a Slack user's ``locale`` (``zh-CN`` ...); English when unknown."""
    if locale and locale.replace("_", "-").lower() in CHINESE_LOCALES:
        return Language.ZH
    return DEFAULT


def parse_language(word: str) -> Language | None:
    """``zh`` / ``en`` (and a few spellings people type) as a language; None if not one."""
    key = word.strip().lower().replace("_", "-")
    if key in {"zh", "cn", "zh-cn", "zh-hans", "chinese", "中文", "简体中文"}:
        return Language.ZH
    if key in {"en", "en-us", "en-gb", "english", "英文", "英语"}:
        return Language.EN
    return None
