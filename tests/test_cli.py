"""The command line: one line per failure (no traceback unless --debug), --version, --help,
and `check` and `serve` listing the same settings problems, all at once."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from bot.cli import main
from bot.config.diagnostics import read_settings, startup_summary
from bot.config.settings import Settings


def sdrs_bot(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command in a child process with a bare environment (no .env in cwd)."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd or Path.cwd())}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        cwd=cwd,
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.process
def test_a_busy_port_is_one_line_and_a_failure(busy_port: int, tmp_path: Path) -> None:
    done = sdrs_bot("demo", "--port", str(busy_port), cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr == f"sdrs-bot: port {busy_port} is in use; try --port 0 or another port\n"
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.process
def test_debug_shows_the_traceback(busy_port: int, tmp_path: Path) -> None:
    done = sdrs_bot("--debug", "demo", "--port", str(busy_port), cwd=tmp_path)
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"sdrs-bot {metadata.version('sdrs-bot')}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "`" not in shown and "demo" in shown and "--version" in shown


SETTINGS_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "NOTIFY_ROUTES",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_AUTH_TOKEN",
    "APPROVAL_MODE",
)


@pytest.mark.parametrize(
    "env",
    [{}, {"NOTIFY_ROUTES": "failed=#oncall", "HUAWEICLOUD_SDK_AK": "AKONLY"}],
    ids=["empty", "invalid"],
)
@pytest.mark.process
def test_check_and_serve_list_the_same_problems(env: dict[str, str], tmp_path: Path) -> None:
    serve = sdrs_bot("serve", env=env, cwd=tmp_path)
    assert serve.returncode == 2 and "Traceback" not in serve.stderr
    refused = [line.removeprefix("  - ") for line in serve.stderr.splitlines()[1:]]
    check = sdrs_bot("check", env=env, cwd=tmp_path)
    assert check.returncode == 1
    reported = [line[22:] for line in check.stdout.splitlines() if line.startswith("FAIL settings")]
    assert reported == refused
    assert any("SLACK_APP_TOKEN" in p and "SLACK_SIGNING_SECRET" in p for p in refused)
    assert any(p.startswith("SLACK_BOT_TOKEN") for p in refused)
    if env:  # the invalid values are named, and they hide none of the missing ones
        assert any(p.startswith("NOTIFY_ROUTES") for p in refused)
        assert any("must be set together" in p for p in refused)
        assert len(refused) == 6  # and no request policy (secure by default)
    # check goes on to the other parts
    assert any(line.startswith("ok   database") for line in check.stdout.splitlines())


# Everything a worker needs but the bot token (the case where a worker used to migrate the
# database, then fail on the token alone and leave its Slack session unclosed).
NO_TOKEN = {
    "HUAWEICLOUD_SDK_AK": "AKWORKER",
    "HUAWEICLOUD_SDK_SK": "SKWORKER",
    "HUAWEICLOUD_SDK_PROJECT_ID": "0123456789abcdef0123456789abcdef",
    "SLACK_SIGNING_SECRET": "signing",
    "POLICY_RESIZE_USERS": "U0ALICE001",
    "POLICY_RENAME_USERS": "U0ALICE001",
}


@pytest.mark.parametrize(
    "env",
    [{}, {"NOTIFY_ROUTES": "failed=#oncall", "HUAWEICLOUD_SDK_AK": "AKONLY"}, NO_TOKEN],
    ids=["empty", "invalid", "no-token"],
)
@pytest.mark.process
def test_worker_refuses_what_serve_refuses_all_at_once_before_the_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    env = {**env, "DATABASE_URL": f"sqlite:///{database}"}
    serve = sdrs_bot("serve", env=env, cwd=tmp_path)
    worker = sdrs_bot("worker", env=env, cwd=tmp_path)
    assert serve.returncode == 2 and serve.stderr.startswith("sdrs-bot: invalid configuration")
    assert (worker.returncode, worker.stderr) == (serve.returncode, serve.stderr)
    assert "Unclosed" not in worker.stderr and "Traceback" not in worker.stderr
    assert not database.exists(), "the worker touched the database before refusing"


def test_read_settings_agrees_with_the_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    settings, found = read_settings(
        _env_file=None,
        slack_bot_token="xoxb-1",
        slack_signing_secret="s",
        huaweicloud_sdk_auth_token="t",
        huaweicloud_sdk_project_id="0" * 32,
        open_access=True,
    )
    assert found == []
    _, found = read_settings(
        _env_file=None,
        slack_bot_token="xoxb-1",
        huaweicloud_sdk_auth_token="t",
        open_access=True,
        huaweicloud_sdk_project_id="0" * 32,
    )
    assert len(found) == 1 and "SLACK_SIGNING_SECRET" in found[0]
    _, found = read_settings(
        _env_file=None,
        for_serving=False,
        slack_bot_token="xoxb-1",
        huaweicloud_sdk_auth_token="t",
        huaweicloud_sdk_project_id="0" * 32,
    )
    assert found == []


def test_startup_summary_says_where_and_how_without_secrets() -> None:
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-secret-token",
        slack_signing_secret="shh-secret",
        huaweicloud_sdk_ak="AKVISIBLE",
        huaweicloud_sdk_sk="sk-secret",
        huaweicloud_sdk_project_id="0123456789abcdef0123456789abcdef",
        huaweicloud_sdk_region="ap-southeast-1",
        http_port=3100,
        health_port=9500,
        approval_mode="two-person",
        approvers="U0BOB00001,U0CAROL01",
        policy_resize_channels="C0DROPS001",
        policy_rename_users="U0BOB00001",
    )
    line = startup_summary(settings)
    assert line == (
        "sdrs-bot starting: account default: region ap-southeast-1, project "
        "0123456789abcdef0123456789abcdef, http mode on 0.0.0.0:3100, access allow-lists, "
        "approval two-person (2 approvers, 0 approver groups), "
        "policy rename_drill: 1 users; resize: 1 channels, health on 0.0.0.0:9500"
    )
    socket_mode = settings.model_copy(update={"slack_app_token": "xapp-secret"})
    assert "socket mode" in startup_summary(socket_mode)
    for secret in ("secret", "shh", "AKVISIBLE"):
        assert secret not in line
