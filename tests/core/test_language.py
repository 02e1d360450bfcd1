from bot.core.language import Language, from_slack_locale, parse_language


def test_chinese_slack_locales_read_as_chinese() -> None:
    for locale in ("zh-CN", "zh-TW", "zh-HK", "zh_cn"):
        assert from_slack_locale(locale) is Language.ZH


def test_other_locales_read_as_english() -> None:
    for locale in ("en-US", "ja-JP", "zh-SG", "", None):
        assert from_slack_locale(locale) is Language.EN


def test_parse_language() -> None:
    assert parse_language("zh") is Language.ZH
    assert parse_language(" EN ") is Language.EN
    assert parse_language("中文") is Language.ZH
    assert parse_language("fr") is None
