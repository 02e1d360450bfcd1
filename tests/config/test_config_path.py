"""One configuration path: ACCOUNTS_FILE is read and parsed once per start, and whatever needs
the accounts (the start-up problems, the summary line, the access mode, the fleet, ``check``)
takes that one parse; the environment's one account is a one-entry accounts configuration of
the same model, under the same rules; the ``environment`` credential kind gets the settings'
values, not environment variables written back."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.check import endpoint_source
from bot.config.accounts import AccountsFile, load_accounts
from bot.config.diagnostics import access_mode, problems, read_settings, startup_summary
from bot.config.settings import Settings, load_settings
from bot.core.errors import ConfigError
from bot.huaweicloud.credentials import SigningKeys
from bot.huaweicloud.wiring import account_providers, build_fleet

PROJECT = "0123456789abcdef0123456789abcdef"
SLACK = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}
FIRST = f"""
[accounts.prod-cn]
region = "cn-north-4"
project_id = "{PROJECT}"
credentials = {{ kind = "static", ak = "AKFIRST", sk = "sk-first" }}

[accounts.dr-ap]
region = "ap-southeast-1"
project_id = "{PROJECT}"
sdrs_endpoint = "https://sdrs.example.internal"
credentials = {{ kind = "static", ak = "AKSECOND", sk = "sk-second" }}

[[bindings]]
channels = ["*"]
accounts = ["prod-cn", "dr-ap"]
resize = {{ users = ["U012AB3CD"] }}
rename_drill = {{ users = ["U012AB3CD"] }}
"""


def test_the_accounts_file_is_parsed_once_and_every_part_takes_that_parse(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(FIRST, encoding="utf-8")
    settings, found = read_settings(_env_file=None, accounts_file=path, **SLACK)
    assert found == []
    # the file changes after the start (broken now): this start goes on with what it read
    path.write_text("[accounts.prod-cn\nregion = ", encoding="utf-8")
    assert problems(settings) == []
    assert access_mode(settings) == "bindings"
    summary = startup_summary(settings)
    assert "accounts prod-cn (cn-north-4), dr-ap (ap-southeast-1) bound to channels" in summary
    assert endpoint_source(settings, "dr-ap", "sdrs") == "set by sdrs_endpoint in ACCOUNTS_FILE"
    copy = settings.model_copy(update={"http_max_attempts": 1})  # as `check` makes one
    assert copy.accounts() is settings.accounts()
    fleet, bindings = build_fleet(settings)
    try:
        assert [a.name for a in fleet] == ["prod-cn", "dr-ap"]
        assert [a.sdrs_url for a in fleet] == [
            "https://sdrs.cn-north-4.myhuaweicloud.com",
            "https://sdrs.example.internal",
        ]
        assert bindings.items[0].accounts == ("prod-cn", "dr-ap")
    finally:
        asyncio.run(fleet.aclose())
    # the next start reads the file as it is now
    _, again = read_settings(_env_file=None, accounts_file=path, **SLACK)
    assert again and all(p.startswith(f"{path}: not valid TOML") for p in again)


def test_settings_with_another_accounts_file_parse_that_one(tmp_path: Path) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(FIRST.replace("prod-cn", "prod-eu"), encoding="utf-8")
    settings = Settings(_env_file=None, accounts_file=first)
    assert list(settings.accounts().parsed().accounts) == ["prod-cn", "dr-ap"]
    other = settings.model_copy(update={"accounts_file": second})
    assert list(other.accounts().parsed().accounts) == ["prod-eu", "dr-ap"]
    assert settings.accounts() == Settings(_env_file=None, accounts_file=first).accounts()


def test_the_environments_account_is_a_one_entry_accounts_configuration(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        account_name="prod",
        huaweicloud_sdk_region="ap-southeast-1",
        huaweicloud_sdk_project_id=PROJECT,
        sdrs_endpoint="https://sdrs.example.internal/",
    )
    path = tmp_path / "accounts.toml"
    path.write_text(
        f"""
[accounts.prod]
region = "ap-southeast-1"
project_id = "{PROJECT}"
sdrs_endpoint = "https://sdrs.example.internal"
credentials = {{ kind = "environment" }}

[[bindings]]
channels = ["*"]
accounts = ["prod"]
""",
        encoding="utf-8",
    )
    accounts = settings.accounts()
    assert accounts.file is None
    assert isinstance(accounts.config, AccountsFile)
    assert accounts.config == load_accounts(path)
    # bound to every channel under the environment's policy
    [binding] = accounts.config.bindings_with(settings.policy()).items
    assert binding.channels == {"*"} and binding.policy == settings.policy()


@pytest.mark.parametrize(
    ("variable", "key", "value", "rule"),
    [
        ("HUAWEICLOUD_SDK_REGION", "region", "CN North", "must look like cn-north-4"),
        ("HUAWEICLOUD_SDK_REGION", "region", "local", "must look like cn-north-4"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "project_id", "not-a-project", "32-character"),
        ("SDRS_ENDPOINT", "sdrs_endpoint", "sdrs.example.com", "must start with https://"),
    ],
)
def test_the_environment_and_the_file_judge_an_account_by_the_same_rules(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    key: str,
    value: str,
    rule: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as from_env:
        load_settings(_env_file=None)
    monkeypatch.delenv(variable)
    lines = {"region": 'region = "cn-north-4"', key: f'{key} = "{value}"'}
    path = tmp_path / "accounts.toml"
    path.write_text(
        "[accounts.a]\n" + "\n".join(lines.values()) + '\n[[bindings]]\nchannels = ["*"]\n'
        'accounts = ["a"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as from_file:
        load_accounts(path)
    [env_problem] = from_env.value.problems
    [file_problem] = from_file.value.problems
    assert env_problem.startswith(f"{variable}: ") and rule in env_problem
    assert file_problem.startswith(f"{path}:") and f"accounts.a.{key}: " in file_problem
    assert env_problem.split(": ", 1)[1] == file_problem.rsplit(f"accounts.a.{key}: ", 1)[1]


def test_the_environment_kind_signs_with_the_settings_values_without_writing_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "accounts.toml"
    path.write_text(
        """
[accounts.prod]
region = "cn-north-4"
credentials = { kind = "environment" }

[[bindings]]
channels = ["*"]
accounts = ["prod"]
""",
        encoding="utf-8",
    )
    # as from .env: the settings hold them, the process environment does not
    settings = Settings(
        _env_file=None,
        accounts_file=path,
        huaweicloud_sdk_ak="AKFROMSETTINGS",
        huaweicloud_sdk_sk=SecretStr("sk-from-settings"),
        huaweicloud_sdk_project_id=PROJECT,
    )
    before = dict(os.environ)
    [provider] = account_providers(settings, settings.accounts().parsed()).values()

    async def keys() -> SigningKeys:
        try:
            found = await provider.keys()
        finally:
            await provider.aclose()
        assert isinstance(found, SigningKeys)
        return found

    found = asyncio.run(keys())
    assert found.ak == "AKFROMSETTINGS"
    assert found.sk.get_secret_value() == "sk-from-settings"
    assert provider.project_id == PROJECT
    assert dict(os.environ) == before


LANGUAGES = f"""
[accounts.prod-cn]
region = "cn-north-4"
project_id = "{PROJECT}"
credentials = {{ kind = "static", ak = "AKFIRST", sk = "sk-first" }}

[[bindings]]
channels = ["C0CHINA001"]
accounts = ["prod-cn"]
language = "zh"

[[bindings]]
channels = ["*"]
accounts = ["prod-cn"]
"""


def test_a_bindings_language_is_read_default_english_and_validated(tmp_path: Path) -> None:
    from bot.core.language import Language

    path = tmp_path / "accounts.toml"
    path.write_text(LANGUAGES, encoding="utf-8")
    bindings = load_accounts(path).bindings_with(Settings(_env_file=None, **SLACK).policy())
    assert bindings.language_in("C0CHINA001") is Language.ZH
    assert bindings.language_in("C0OTHER001") is Language.EN
    path.write_text(LANGUAGES.replace('language = "zh"', 'language = "fr"'), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_accounts(path)
    assert ":10: bindings[1].language: Input should be 'en' or 'zh'" in str(refused.value)
    # one channel in two bindings of different languages: which one would it speak?
    path.write_text(
        LANGUAGES.replace('channels = ["*"]', 'channels = ["C0CHINA001"]'), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as refused:
        load_accounts(path)
    assert "bindings[2].language: C0CHINA001 is in bindings [1] and [2] with different" in str(
        refused.value
    )
