"""The secret-in-logs check (tests/support/secret_logs.py) watches every test of every run: each
log record, at DEBUG, formatted as the bot writes it in production (JSON, redacting filter), is
searched for every configured secret. Here it is run on small test files of its own, to prove
that it sees every record - a library's DEBUG line, a fixture's teardown - and fails the test
that logs a secret, while the production redaction, when on, keeps such a line clean."""

from __future__ import annotations

import pytest

from tests.support.slack_helpers import BOT_TOKEN

CONFTEST = """
from tests.support.secret_logs import SecretLogCheck

def pytest_configure(config):
    config.pluginmanager.register(SecretLogCheck(redact={redact}), "secret-log-check")
"""

TESTS = f"""
import logging

import pytest

TOKEN = {BOT_TOKEN!r}


def test_a_library_logs_a_header():
    logging.getLogger("some.library").debug(
        "sending headers {{'Authorization': 'Bearer %s'}}", TOKEN
    )


@pytest.fixture
def connection():
    yield
    logging.getLogger("some.pool").info("closed %s", dict(token=TOKEN))


def test_a_fixture_logs_it_at_teardown(connection):
    pass


def test_a_traceback_carries_it():
    try:
        raise ValueError(f"refused: {{TOKEN}}")
    except ValueError:
        logging.getLogger("bot.x").exception("failed")


def test_nothing_secret():
    logging.getLogger("bot.x").warning("an ordinary line")
"""


def test_a_logged_secret_fails_its_test(pytester: pytest.Pytester) -> None:
    """Without the redaction (as SDRS_BOT_TEST_LOG_RAW=1 runs), each secret a test logs fails
    that test - in the call or in a fixture's teardown - and says which secret, where."""
    pytester.makeconftest(CONFTEST.format(redact=False))
    pytester.makepyfile(test_leaks=TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=2, failed=2, errors=1)  # the teardown's error: an extra line
    result.stdout.fnmatch_lines(
        [
            "*a configured secret was logged (1 line(s) in call)*",
            f"*'{BOT_TOKEN}' in: *some.library*",
        ]
    )
    result.stdout.fnmatch_lines(["*a configured secret was logged (1 line(s) in teardown)*"])
    result.stdout.fnmatch_lines(["*FAILED test_leaks.py::test_a_traceback_carries_it*"])
    result.stdout.no_fnmatch_line("*test_nothing_secret*FAILED*")


def test_the_production_redaction_keeps_the_lines_clean(pytester: pytest.Pytester) -> None:
    """With the redaction the bot runs with, the same lines pass: redacted, not lost."""
    pytester.makepyfile(test_leaks=TESTS)
    log = pytester.path / "all.log"
    pytester.makeconftest(
        CONFTEST.format(redact=True).replace("redact=True)", f"redact=True, copy_to={str(log)!r})")
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=4)
    lines = log.read_text(encoding="utf-8").splitlines()
    canary = [line for line in lines if "some.library" in line]
    assert canary and "[redacted]" in canary[0] and BOT_TOKEN not in "\n".join(lines)
