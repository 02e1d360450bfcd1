"""The secret-in-logs check, for the whole run: every log record of every test, at DEBUG, is
formatted the way the bot writes it in production (JSON, through the redacting filter) and
searched for every secret the test settings configure. A test during which a record still
holds one fails, naming the secret and the line. (The record itself is left alone: the check
works on a copy, so what a test's ``caplog`` sees does not change.)

Registered by tests/conftest.py, where ``SDRS_BOT_TEST_LOG_RAW=1`` leaves the redaction out, to
see what the code itself logs (every secret a library or our code logs then fails its test),
and ``SDRS_BOT_TEST_LOG=<file>`` also writes every checked line to that file.
tests/repo/test_secret_logs.py proves the check fails a test that logs a secret."""

from __future__ import annotations

import logging
from collections.abc import Generator

import pytest

from bot.logs import JsonFormatter, RedactSecrets

# every secret the test settings configure
CONFIGURED_SECRETS = (
    "test-signing-secret-4f2a",  # tests.support.slack_helpers.SIGNING_SECRET
    "xoxb-test-token-8d1c",  # tests.support.slack_helpers.BOT_TOKEN
    "xapp-sandbox-app-token",  # the Socket Mode app token of the Slack stand-in
    "sandbox-secret-key-not-a-real-one",  # bot.sandbox.seed.SANDBOX_SK
    "sandbox-iam-token",  # bot.sandbox.seed.SANDBOX_TOKEN
)


class LeakWatch(logging.Handler):
    """Formats a copy of each record as production does; keeps the lines that hold a secret."""

    def __init__(self, secrets: tuple[str, ...], *, redact: bool, copy_to: str | None) -> None:
        super().__init__(logging.DEBUG)
        self.secrets = secrets
        self.redactor = RedactSecrets(secrets) if redact else None
        self.json = JsonFormatter()
        self.leaks: list[str] = []
        self.lines = 0
        self.copy_to = open(copy_to, "a", encoding="utf-8") if copy_to else None

    def emit(self, record: logging.LogRecord) -> None:
        copy = logging.makeLogRecord(record.__dict__)
        if self.redactor is not None:
            self.redactor.filter(copy)
        line = self.json.format(copy)
        self.lines += 1
        if self.copy_to is not None:
            self.copy_to.write(line + "\n")
        found = [s for s in self.secrets if s in line]
        if found:
            self.leaks.append(f"{found[0]!r} in: {line[:500]}")

    def take(self) -> list[str]:
        leaks, self.leaks = self.leaks, []
        return leaks

    def close(self) -> None:
        if self.copy_to is not None:
            self.copy_to.close()
        super().close()


class SecretLogCheck:
    """The plugin: the watch on the root logger, at DEBUG, for each phase of each test (a test
    that reconfigures logging, as ``serve`` does, has it put back for the next phase)."""

    def __init__(self, *, redact: bool = True, copy_to: str | None = None) -> None:
        self.watch = LeakWatch(CONFIGURED_SECRETS, redact=redact, copy_to=copy_to)
        self.level = logging.getLogger().level

    def attach(self) -> None:
        root = logging.getLogger()
        if self.watch not in root.handlers:
            root.addHandler(self.watch)
        root.setLevel(logging.DEBUG)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.attach()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        leaks = self.watch.take()
        if leaks:
            said = f"a configured secret was logged ({len(leaks)} line(s) in {call.when}):\n"
            said += "\n".join(leaks[:10])
            if report.failed:  # keep the test's own failure; add this one beside it
                report.sections.append(("secret in the logs", said))
            else:
                report.outcome = "failed"
                report.longrepr = said
        self.attach()
        return report

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        root = logging.getLogger()
        root.removeHandler(self.watch)
        root.setLevel(self.level)
        self.watch.close()
