"""The scenario suites run again in a subprocess with every log record, at DEBUG,
written the way the bot writes them in production (JSON, redacting filter); then the whole log
is searched for every configured secret. A canary test logs a token the way a library might:
it must show up redacted, which proves the capture sees everything and the net holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.logs import REDACTED
from tests.conftest import CONFIGURED_SECRETS

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "tests/test_slack_flow.py",
    "tests/test_forms.py",
    "tests/test_preflight_flow.py",
    "tests/test_notifications.py",
    "tests/test_check.py",
    "tests/test_history.py",
    "tests/test_ops_endpoints.py",
    "tests/log_canary.py",
]


@pytest.mark.skipif(bool(os.environ.get("SDRS_BOT_TEST_LOG")), reason="already inside the run")
def test_no_secret_in_any_log_line_of_the_scenario_suites(tmp_path: Path) -> None:
    log = tmp_path / "all.log"
    env = {**os.environ, "SDRS_BOT_TEST_LOG": str(log)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SCENARIOS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in run.stdout.splitlines() if line.startswith(("E ", "FAILED"))]
    assert run.returncode == 0, "\n".join(errors[:60]) or run.stdout[-3000:]
    text = log.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert lines > 1000, f"only {lines} log lines: the capture is not working"
    leaked = [s for s in CONFIGURED_SECRETS if s in text]
    assert not leaked, f"secrets in the logs: {leaked}"
    canary = [line for line in text.splitlines() if "some.library" in line]
    assert canary and REDACTED in canary[0]
