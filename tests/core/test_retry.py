"""The pure retry decision (bot.core.retry): which failures are retried, which make a
resize's outcome unknown, and the backoff delays. Tables, no servers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.retry import Failure, RetryDecision, backoff_delay, decide_retry
from bot.core.tracking import TrackerPolicy
from bot.huaweicloud.credentials import retry_delay
from handlers import inbox, outbox


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


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "retry_after", "rand", "factor", "expected"),
    [
        (1, 1.0, 60.0, None, 1.0, 2.0, 1.0),
        (2, 1.0, 60.0, None, 1.0, 2.0, 2.0),
        (6, 1.0, 60.0, None, 1.0, 2.0, 32.0),
        (7, 1.0, 60.0, None, 1.0, 2.0, 60.0),  # capped
        (0, 1.0, 60.0, None, 1.0, 2.0, 1.0),  # no attempt yet counts as the first
        (-3, 1.0, 60.0, None, 1.0, 2.0, 1.0),
        (5000, 1.0, 60.0, None, 1.0, 2.0, 60.0),  # far past any float: still the cap
        (5000, 0.0, 60.0, None, 1.0, 2.0, 0.0),  # no delay stays none
        (3, 0.0, 60.0, None, 1.0, 2.0, 0.0),
        (3, 5.0, 60.0, None, 1.0, 1.5, 11.25),  # another growth factor
        (3, 5.0, 60.0, None, 1.0, 1.0, 5.0),  # factor 1: a fixed pause
        (4, 0.5, 8.0, None, 0.5, 2.0, 2.0),  # jitter scales the grown delay
        (9, 0.5, 8.0, None, 0.0, 2.0, 0.0),
        (1, 0.5, 8.0, 3.0, 0.1, 2.0, 3.0),  # Retry-After wins over growth and jitter
        (1, 0.5, 8.0, 600.0, 1.0, 2.0, 8.0),  # ... capped
        (1, 0.5, 8.0, -4.0, 1.0, 2.0, 0.0),  # ... never negative
    ],
)
def test_backoff_table(
    attempt: int,
    base: float,
    cap: float,
    retry_after: float | None,
    rand: float,
    factor: float,
    expected: float,
) -> None:
    assert backoff_delay(attempt, base, cap, retry_after, rand, factor=factor) == expected


def test_each_retry_of_the_bot_uses_the_one_backoff_with_its_own_pace() -> None:
    """The outbox, the inbox, the credential refresh and the tracker keep the delays they had
    before they shared the one function (no jitter: each row waits exactly this long)."""
    attempts = range(1, 9)
    assert [
        backoff_delay(a, outbox.RETRY_FIRST_SECONDS, outbox.RETRY_CAP_SECONDS) for a in attempts
    ] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert [
        backoff_delay(a, inbox.RETRY_FIRST_SECONDS, inbox.RETRY_CAP_SECONDS) for a in attempts
    ] == [2, 4, 8, 16, 32, 60, 60, 60]
    assert [retry_delay(a) for a in attempts] == [
        timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 30, 30, 30)
    ]
    assert [TrackerPolicy().wait(n) for n in range(6)] == [5, 10, 20, 40, 60, 60]
    assert [TrackerPolicy(first=1.0, factor=3.0, cap=100.0).wait(n) for n in range(6)] == [
        1,
        3,
        9,
        27,
        81,
        100,
    ]
