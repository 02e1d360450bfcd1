from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config.settings import default_database_url, load_settings
from bot.core.errors import ConfigError
from bot.store import Store

SECRET = "sk-3c1f-do-not-print"


def test_defaults_without_any_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = load_settings(_env_file=None)
    expected = tmp_path / "data" / "sdrs-bot" / "sdrs-bot.sqlite3"
    assert settings.database_url == f"sqlite:///{expected}"
    assert not (tmp_path / "data").exists()  # reading the settings creates nothing
    Store.from_url(settings.database_url).close()  # opening the store creates it (private)
    assert expected.is_file()
    assert (expected.parent.stat().st_mode & 0o777) == 0o700
    assert settings.sdrs_base_url == "https://sdrs.cn-north-4.myhuaweicloud.com"
    assert settings.ecs_base_url == "https://ecs.cn-north-4.myhuaweicloud.com"
    assert not settings.has_cloud_credentials


def test_default_database_is_per_user_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for xdg in ({}, {"XDG_DATA_HOME": "relative/ignored"}):  # XDG paths must be absolute
        url = default_database_url(xdg)
        assert url == f"sqlite:///{tmp_path}/.local/share/sdrs-bot/sdrs-bot.sqlite3"
    assert default_database_url({"XDG_DATA_HOME": "/srv/x"}) == (
        "sqlite:////srv/x/sdrs-bot/sdrs-bot.sqlite3"
    )
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    settings = load_settings(_env_file=None)
    assert settings.database_url.startswith(f"sqlite:///{tmp_path / 'xdg'}/")
    assert not list(tmp_path.glob("*.sqlite3"))


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AK1")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SECRET)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "ap-southeast-1")
    monkeypatch.setenv("SDRS_ENDPOINT", "http://127.0.0.1:8780/")
    settings = load_settings(_env_file=None)
    assert settings.has_cloud_credentials
    assert settings.sdrs_base_url == "http://127.0.0.1:8780"
    assert settings.ecs_base_url == "https://ecs.ap-southeast-1.myhuaweicloud.com"
    assert settings.huaweicloud_sdk_sk is not None
    assert settings.huaweicloud_sdk_sk.get_secret_value() == SECRET


def test_reads_dotenv_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("HUAWEICLOUD_SDK_REGION=eu-west-101\nDATABASE_URL=sqlite:///x\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.huaweicloud_sdk_region == "eu-west-101"
    assert settings.database_url == "sqlite:///x"


def test_every_problem_is_named_in_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "not-a-project")
    monkeypatch.setenv("SDRS_ENDPOINT", "sdrs.example.com")
    monkeypatch.setenv("HTTP_READ_TIMEOUT", "soon")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "CN North")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    text = str(caught.value)
    assert len(caught.value.problems) == 4
    for name in ("HUAWEICLOUD_SDK_PROJECT_ID", "SDRS_ENDPOINT", "HTTP_READ_TIMEOUT", "REGION"):
        assert name in text
    assert "Traceback" not in text


def test_ak_without_sk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AK1")
    with pytest.raises(ConfigError, match="must be set together"):
        load_settings(_env_file=None)


def test_secrets_never_in_repr_str_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AK1")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-" + SECRET)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sig-" + SECRET)
    settings = load_settings(_env_file=None)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings: %s / %r", settings, settings)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in caplog.text
    assert SECRET not in settings.model_dump_json()


def test_malformed_secret_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SECRET)  # SK without AK: refused
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    assert SECRET not in str(caught.value)


def test_policy_from_comma_separated_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_RESIZE_USERS", "U012AB3CD, U045EF6GH")
    monkeypatch.setenv("POLICY_RESIZE_CHANNELS", "C024BE91L")
    monkeypatch.setenv("APPROVAL_MODE", "two-person")
    monkeypatch.setenv("APPROVER_USERGROUPS", "S0614TZR7")
    policy = load_settings(_env_file=None).policy()
    assert policy.requests["resize"].users == {"U012AB3CD", "U045EF6GH"}
    assert policy.requests["resize"].channels == {"C024BE91L"}
    assert policy.requests["rename_drill"].users == frozenset()
    assert policy.approval_mode == "two-person"
    assert policy.approver_groups == {"S0614TZR7"}


def test_policy_mistakes_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_RESIZE_USERS", "@alice,U045EF6GH")
    monkeypatch.setenv("APPROVAL_MODE", "four-eyes")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    text = str(caught.value)
    assert "POLICY_RESIZE_USERS: item(s) 1 are not user ids" in text
    assert "@alice" not in text  # described by position, never echoed
    assert "APPROVAL_MODE" in text


def test_two_person_mode_needs_approvers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVAL_MODE", "two-person")
    with pytest.raises(ConfigError, match="APPROVERS"):
        load_settings(_env_file=None)


def test_the_documented_environment_table_is_generated_from_the_settings_model() -> None:
    from pathlib import Path

    from bot.config.settings import Settings, env_table

    doc = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    embedded = (
        doc.read_text(encoding="utf-8")
        .split("<!-- settings-table:start -->\n")[1]
        .split("<!-- settings-table:end")[0]
    )
    assert embedded == env_table(), (
        "run `python -m bot.config.settings` and paste it into docs/configuration.md"
    )
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in embedded


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("APPROVERS", "xoxb-1234-5678-SeCrEtToKeN", "APPROVERS: item(s) 1 are not user ids"),
        ("APPROVERS", "U012AB3CD,C0TESTCH01", "APPROVERS: item(s) 2 are not user ids"),
        ("APPROVER_USERGROUPS", "U012AB3CD", "are not user group ids"),
        ("POLICY_RENAME_CHANNELS", "S0614TZR7", "are not channel ids"),
        ("NOTIFY_ROUTES", "xoxb-1234-5678-SeCrEtToKeN", "entry 1 has no '='"),
        ("NOTIFY_ROUTES", "failed=xoxp-SeCrEtToKeN", "entry 1: 1 value(s)"),
    ],
)
def test_setting_mistakes_never_echo_the_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    """A token pasted into the wrong variable must not be printed back; an approver setting
    takes only user (or user group) ids, not channels."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    text = str(caught.value)
    assert says in text
    assert "SeCrEtToKeN" not in text and "C0TESTCH01" not in text


def test_maintenance_windows_are_read_and_mistakes_named_by_entry() -> None:
    settings = load_settings(
        _env_file=None,
        maintenance_windows="nightly=Sun 02:00-04:00 Asia/Shanghai;weekday=Mon-Fri 01:00-03:00 UTC",
    )
    assert set(settings.windows()) == {"nightly", "weekday"}
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, maintenance_windows="nightly=Sun 02:00-04:00 Mars/Base")
    (problem,) = caught.value.problems
    assert problem.startswith("MAINTENANCE_WINDOWS: entry 1 (nightly): ")
    assert "is not a time zone" in problem
