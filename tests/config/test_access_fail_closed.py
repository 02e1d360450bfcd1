"""Fail closed: a change kind nobody restricted is refused at start, however the emptiness is
written - the environment's POLICY_* left empty, or in ACCOUNTS_FILE a binding's
``resize = { users = [] }``, ``resize = {}``, no policy at all (on one channel or on "*"), and
the same for ``rename_drill`` - with one refusal that says how to write it right; OPEN_ACCESS=true
keeps its meaning (everyone, on purpose)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.config.diagnostics import read_settings
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from tests.support.slack_harness import ALICE
from tests.support.slack_helpers import BOT_TOKEN, SIGNING_SECRET

CHANNEL = "C024BE91L"
RESTRICTED = f'{{ users = ["{ALICE}"] }}'

# (id, the binding's policy lines, the change kinds left open)
SPELLINGS = [
    (
        "both-empty-users",
        "resize = { users = [] }\nrename_drill = { users = [] }",
        ("resize", "rename_drill"),
    ),
    ("resize-empty-users", f"resize = {{ users = [] }}\nrename_drill = {RESTRICTED}", ("resize",)),
    ("resize-empty-table", f"resize = {{}}\nrename_drill = {RESTRICTED}", ("resize",)),
    (
        "resize-all-lists-empty",
        f"resize = {{ users = [], usergroups = [], channels = [] }}\nrename_drill = {RESTRICTED}",
        ("resize",),
    ),
    ("resize-missing", f"rename_drill = {RESTRICTED}", ("resize",)),
    (
        "rename-empty-users",
        f"resize = {RESTRICTED}\nrename_drill = {{ users = [] }}",
        ("rename_drill",),
    ),
    ("rename-empty-table", f"resize = {RESTRICTED}\nrename_drill = {{}}", ("rename_drill",)),
    ("rename-missing", f"resize = {RESTRICTED}", ("rename_drill",)),
    ("no-policy-at-all", "", ("resize", "rename_drill")),
    ("both-empty-tables", "resize = {}\nrename_drill = {}", ("resize", "rename_drill")),
]


SPELLED = pytest.mark.parametrize(
    ("policy", "open_kinds"), [s[1:] for s in SPELLINGS], ids=[s[0] for s in SPELLINGS]
)


def accounts_file(
    tmp_path: Path, channels: str, policy: str, url: str = "http://127.0.0.1:1"
) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(
        f"""[accounts.prod-cn]
region = "cn-north-4"
project_id = "{SANDBOX_PROJECT_ID}"
sdrs_endpoint = "{url}"
ecs_endpoint = "{url}"
deh_endpoint = "{url}"
credentials = {{ kind = "static", ak = "{SANDBOX_AK}", sk = "{SANDBOX_SK}" }}

[[bindings]]
channels = {channels}
accounts = ["prod-cn"]
{policy}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    return monkeypatch


def environment_refusal(kind: str) -> str:
    """What the environment alone (no accounts file) gets when this kind is left open and the
    other one is restricted."""
    other = "policy_rename_users" if kind == "resize" else "policy_resize_users"
    _, problems = read_settings(_env_file=None, accounts_file=None, **{other: ALICE})
    (refusal,) = [p for p in problems if "no request policy" in p]
    assert refusal.startswith(f"no request policy for {kind}: anyone in any channel")
    return refusal


def remedy(problem: str) -> str:
    """The refusal's how-to-write-it-right sentence (the same for every place it is said)."""
    return problem[problem.index(". Restrict who may ask") :]


@pytest.mark.parametrize("channels", [f'["{CHANNEL}"]', '["*"]'], ids=["one-channel", "star"])
@SPELLED
def test_an_empty_or_missing_binding_policy_is_refused_by_the_loader(
    env: pytest.MonkeyPatch, tmp_path: Path, channels: str, policy: str, open_kinds: tuple[str, ...]
) -> None:
    path = accounts_file(tmp_path, channels, policy)
    env.setenv("ACCOUNTS_FILE", str(path))
    _, problems = read_settings(_env_file=None)
    refusals = [p for p in problems if "no request policy" in p]
    assert len(refusals) == 1, problems
    refusal = refusals[0]
    # where: the file, the binding's line, the binding - as every other problem in the file
    assert re.match(rf"{re.escape(str(path))}:9: bindings\[1\]: no request policy for ", refusal)
    assert f"no request policy for {' and '.join(open_kinds)}: anyone in " in refusal
    where = f"channel {CHANNEL}" if CHANNEL in channels else "every channel not named"
    assert where in refusal
    # the same refusal, word for word, as the environment's for each kind left open
    for kind in open_kinds:
        assert remedy(refusal) == remedy(environment_refusal(kind))
    assert "OPEN_ACCESS=true to allow everyone in the bot's channels on purpose" in refusal
    # what to write, in the file's own terms
    assert "resize = { users = [...] }" in refusal
    # OPEN_ACCESS=true keeps its meaning: everyone, on purpose
    env.setenv("OPEN_ACCESS", "true")
    _, problems = read_settings(_env_file=None)
    assert not [p for p in problems if "no request policy" in p], problems


@SPELLED
def test_serve_refuses_to_start_with_it(
    env: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policy: str,
    open_kinds: tuple[str, ...],
) -> None:
    env.setenv("ACCOUNTS_FILE", str(accounts_file(tmp_path, '["*"]', policy)))
    # a database it cannot open: a serve that got past the policy would stop there instead
    env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'bot.sqlite3'}")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert f"no request policy for {' and '.join(open_kinds)}: anyone" in err
    assert "OPEN_ACCESS=true" in err
    assert not (tmp_path / "missing").exists()


def test_a_binding_restricting_both_kinds_starts_and_the_environment_fills_what_is_unset(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("ACCOUNTS_FILE", str(accounts_file(tmp_path, '["*"]', f"resize = {RESTRICTED}")))
    _, problems = read_settings(_env_file=None)
    assert any("no request policy for rename_drill" in p for p in problems)
    env.setenv("POLICY_RENAME_CHANNELS", CHANNEL)  # the environment's fallback restricts it
    _, problems = read_settings(_env_file=None)
    assert problems == []


@pytest.mark.parametrize("policy", [SPELLINGS[0][1], ""], ids=["empty-users", "no-policy"])
def test_check_fails_with_the_same_refusal(
    env: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    slack: SlackApiThread,
    emulator: EmulatorThread,
    policy: str,
) -> None:
    env.setenv("SLACK_API_URL", slack.api_url)
    env.setenv(
        "ACCOUNTS_FILE", str(accounts_file(tmp_path, f'["{CHANNEL}"]', policy, emulator.url))
    )
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    settings = [line for line in out.splitlines() if line.startswith("FAIL settings")]
    assert len(settings) == 1 and "no request policy for resize and rename_drill" in settings[0]
    assert [line for line in out.splitlines() if line.startswith("FAIL access")]
    env.setenv("OPEN_ACCESS", "true")
    assert main(["check"]) == 0, capsys.readouterr().out


def test_the_documented_example_starts_on_its_own(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The accounts file of docs/configuration.md names who may ask in every binding: no
    environment policy and no OPEN_ACCESS needed."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    path = tmp_path / "accounts.toml"
    path.write_text(
        doc.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0],
        encoding="utf-8",
    )
    env.setenv("ACCOUNTS_FILE", str(path))
    _, problems = read_settings(_env_file=None)
    assert not [p for p in problems if "no request policy" in p], problems
