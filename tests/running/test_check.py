"""`sdrs-bot check` against the Slack Web API stand-in, the SDRS/ECS emulator and real databases:
one line per check, a remedy on failure, exit status 1 on any failure, no secret printed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from tests.support.slack_helpers import BOT_TOKEN, SIGNING_SECRET


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread
) -> pytest.MonkeyPatch:
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "HUAWEICLOUD_SDK_AK": SANDBOX_AK,
        "HUAWEICLOUD_SDK_SK": SANDBOX_SK,
        "HUAWEICLOUD_SDK_PROJECT_ID": SANDBOX_PROJECT_ID,
        "SDRS_ENDPOINT": emulator.url,
        "ECS_ENDPOINT": emulator.url,
        "DEH_ENDPOINT": emulator.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "OPEN_ACCESS": "true",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def run(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    code = main(["check"])
    output = capsys.readouterr().out
    for secret in (BOT_TOKEN, SIGNING_SECRET, SANDBOX_SK, "xapp-sandbox-app-token"):
        assert secret not in output
    lines: dict[str, str] = {}
    key = ""
    for line in output.splitlines():
        if line[:4] in ("ok  ", "FAIL", "--  "):
            key = line[5:21].strip()
            # one entry per check name; the "iam" lines (one per call) are kept together
            lines[key] = f"{lines[key]}\n{line}" if key in lines else line
        elif line.strip().startswith("->"):
            lines[key] += "\n" + line
    return code, lines


def test_all_good_in_http_mode(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, world: World
) -> None:
    code, lines = run(capsys)
    instances = len(world.list_instances(None))
    assert instances > 1
    assert f"({instances} protected instance(s))" in lines["sdrs"]
    assert code == 0, lines
    assert set(lines) == {
        "settings",
        "access",
        "slack token",
        "slack scopes",
        "http mode",
        "sdrs",
        "ecs",
        "iam",
        "database",
    }
    assert "OPEN to everyone" in lines["access"]
    assert all(line.startswith("ok") for line in lines.values())
    assert "bot sdrs-bot in sandbox" in lines["slack token"]
    assert "server(s) in the project" in lines["ecs"]
    assert lines["sdrs"].endswith("; endpoint set by SDRS_ENDPOINT")
    assert lines["ecs"].endswith("; endpoint set by ECS_ENDPOINT")
    assert "will be created by serve" in lines["database"]
    assert not (tmp_path / "bot.sqlite3").exists()  # checking created nothing


def test_iam_lines_per_call_and_a_denied_action_names_its_remedy(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], emulator: EmulatorThread
) -> None:
    code, lines = run(capsys)
    assert code == 0, lines
    access = lines["iam"].splitlines()
    assert len(access) == 17  # one per call the bot makes (bot.core.permissions.PERMISSIONS)
    untested = [line for line in access if line.startswith("--")]
    assert all(line.startswith("ok") for line in access if line not in untested)
    changes = {
        "ResizeProtectedInstance",
        "UpdateDisasterRecoveryDrillName",
        "BatchStopServers",
        "BatchStartServers",
        "ShowJob",
    }
    assert {line.split()[2] for line in untested} == changes
    httpx.post(f"{emulator.url}/_sandbox/deny", json={"grants": ["ecs:cloudServers:list"]})
    code, lines = run(capsys)
    assert code == 1
    failed = [line for line in lines["iam"].splitlines() if line.startswith("FAIL")]
    assert [line.split()[2] for line in failed] == ["ListServersDetails", "ListResizeFlavors"]
    assert all("(ecs:cloudServers:list): refused: APIGW.0302 (HTTP 403)" in f for f in failed)
    assert (
        lines["iam"].count(
            "-> add ecs:cloudServers:list to the custom policy attached to this identity"
        )
        == 2
    )
    assert lines["ecs"].startswith("FAIL")  # the plain ECS read is refused too


def test_the_dedicated_host_read_is_checked_and_a_denial_names_its_action(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], emulator: EmulatorThread
) -> None:
    code, lines = run(capsys)
    [deh] = [line for line in lines["iam"].splitlines() if "ShowDedicatedHost" in line]
    assert code == 0 and deh.startswith("ok")
    assert "(deh:dedicatedHosts:get): allowed (the probe's id does not exist" in deh
    httpx.post(f"{emulator.url}/_sandbox/deny", json={"grants": ["deh:dedicatedHosts:get"]})
    code, lines = run(capsys)
    failed = [line for line in lines["iam"].splitlines() if line.startswith("FAIL")]
    assert code == 1 and [line.split()[2] for line in failed] == ["ShowDedicatedHost"]
    assert "-> add deh:dedicatedHosts:get to the custom policy" in lines["iam"]


def test_an_old_schema_is_reported_as_migrated_at_start(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER)")
        conn.execute("INSERT INTO schema_version VALUES (1, 1)")
    env.setenv("DATABASE_URL", f"sqlite:///{db}")
    code, lines = run(capsys)
    assert code == 0 and "schema version 1; serve migrates it to" in lines["database"]


def test_socket_mode_and_a_current_postgresql_schema(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_url: str
) -> None:
    from bot.store import Store

    Store.from_url(pg_url).close()
    env.setenv("SLACK_APP_TOKEN", "xapp-sandbox-app-token")
    env.setenv("DATABASE_URL", pg_url)
    code, lines = run(capsys)
    assert code == 0, lines
    assert "the app token opens a connection" in lines["socket mode"]
    assert "reachable, schema current" in lines["database"]


def test_bad_slack_token(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-right-one")
    code, lines = run(capsys)
    assert code == 1
    assert lines["slack token"].startswith("FAIL") and "invalid_auth" in lines["slack token"]
    assert "Bot User OAuth Token" in lines["slack token"]
    assert "xoxb-not-the-right-one" not in "".join(lines.values())


def test_missing_scopes(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], slack: SlackApiThread
) -> None:
    slack.state.scopes = ["chat:write", "commands"]
    code, lines = run(capsys)
    assert code == 1
    assert (
        "missing channels:history, groups:history, im:history, mpim:history, usergroups:read, "
        "users:read" in lines["slack scopes"]
    )
    assert "reinstall the app" in lines["slack scopes"]


def test_bad_ak_sk_is_refused_by_the_signature_check(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("HUAWEICLOUD_SDK_SK", "not-the-secret-key")
    code, lines = run(capsys)
    assert code == 1
    for service in ("sdrs", "ecs"):
        assert lines[service].startswith("FAIL") and "APIGW.0301" in lines[service]
        assert "check HUAWEICLOUD_SDK_AK/SK" in lines[service]
    assert lines["iam"].count("\n") == 1  # one line and its remedy, not one per call
    assert "least privilege not tried: credentials refused" in lines["iam"]


def test_unreachable_database_and_bad_settings(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    code, lines = run(capsys)
    assert code == 1 and lines["database"].startswith("FAIL")
    assert "check DATABASE_URL" in lines["database"]
    env.setenv("NOTIFY_ROUTES", "failed=#oncall")
    code, lines = run(capsys)
    assert code == 1 and "NOTIFY_ROUTES" in lines["settings"]
    # a bad setting hides nothing: the other parts are still tested
    assert lines["slack token"].startswith("ok") and lines["sdrs"].startswith("ok")


def test_no_request_policy_is_refused_by_serve_and_reported_by_check(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Secure by default: without an allow-list, a binding or OPEN_ACCESS=true, `check` says
    which mode is in force (none) and fails; `serve` refuses to start with the same reason."""
    env.delenv("OPEN_ACCESS")
    code, lines = run(capsys)
    assert code == 1
    assert lines["access"].startswith("FAIL") and "serve refuses to start" in lines["access"]
    assert "no request policy" in lines["settings"]
    assert main(["serve"]) != 0
    assert "OPEN_ACCESS=true" in capsys.readouterr().err
    env.setenv("POLICY_RESIZE_CHANNELS", "C024BE91L")  # resize restricted, rename not: refused
    code, lines = run(capsys)
    assert code == 1 and lines["access"].startswith("FAIL")
    assert "no request policy for rename_drill: anyone" in lines["settings"]
    assert "for resize" not in lines["settings"]
    env.setenv("POLICY_RENAME_USERS", "U012AB3CD")  # an allow-list for each kind of change
    code, lines = run(capsys)
    assert lines["access"].startswith("ok") and "allow-lists" in lines["access"]
