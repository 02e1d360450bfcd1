"""The pure retry decision (bot.core.retry): which failures are retried, which make a
resize's outcome unknown, and the backoff delays. Tables, no servers."""

from __future__ import annotations

import pytest

from bot.core.retry import Failure, RetryDecision, backoff_delay, decide_retry


@pytest.mark.parametrize(
    ("method", "failure", "status", "attempt", "expected"),
    [
        ("GET", Failure.NOT_SENT, None, 1, RetryDecision(True)),
        ("POST", Failure.NOT_SENT, None, 1, RetryDecision(True)),
        ("GET", Failure.MAYBE_SENT, None, 1, RetryDecision(True)),
        ("PUT", Failure.MAYBE_SENT, None, 1, RetryDecision(True)),
        ("POST", Failure.MAYBE_SENT, None, 1, RetryDecision(False, outcome_unknown=True)),
        ("GET", Failure.STATUS, 503, 1, RetryDecision(True)),
        ("GET", Failure.STATUS, 429, 3, RetryDecision(True)),
        ("GET", Failure.STATUS, 500, 4, RetryDecision(False)),
        ("GET", Failure.STATUS, 400, 1, RetryDecision(False)),
        ("GET", Failure.STATUS, 404, 1, RetryDecision(False)),
        ("PUT", Failure.STATUS, 503, 1, RetryDecision(True)),
        ("POST", Failure.STATUS, 503, 1, RetryDecision(False)),
        ("POST", Failure.STATUS, 429, 1, RetryDecision(False)),
        ("POST", Failure.STATUS, 500, 1, RetryDecision(False)),
        ("POST", Failure.STATUS, 502, 1, RetryDecision(False, outcome_unknown=True)),
        ("POST", Failure.STATUS, 504, 1, RetryDecision(False, outcome_unknown=True)),
        ("POST", Failure.STATUS, 400, 1, RetryDecision(False)),
        ("GET", Failure.NOT_SENT, None, 4, RetryDecision(False)),
    ],
)
def test_decide_retry(
    method: str, failure: Failure, status: int | None, attempt: int, expected: RetryDecision
) -> None:
    assert decide_retry(method, failure, status, attempt, max_attempts=4) == expected


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert [backoff_delay(a, 0.5, 8.0, None, 1.0) for a in range(1, 7)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    assert backoff_delay(3, 0.5, 8.0, None, 0.25) == 0.5
    assert backoff_delay(1, 0.5, 8.0, 3.0, 0.0) == 3.0
    assert backoff_delay(1, 0.5, 8.0, 600.0, 0.0) == 8.0
