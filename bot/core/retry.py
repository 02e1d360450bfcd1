"""When to repeat a cloud call, and how long to wait first (pure; table-tested).

* nothing was sent (connection refused, connect timeout, pool timeout): retry any method;
* 429 or 5xx (500, 502, 503, 504), or the connection broke after sending: retry only idempotent
  methods (GET, and PUT - renaming a drill to the same name twice is harmless);
* a POST (the resize) that may have reached the service - read timeout, dropped connection, or a
  502/504 from the gateway - is never repeated: the outcome is unknown, so the operator checks
  the instance instead of getting two resize jobs.

Backoff is exponential with full jitter, capped; a ``Retry-After`` the server gave wins (capped).
:func:`backoff_delay` is the one backoff of the bot: the cloud calls here, the outbox's and the
inbox's retries, the credential refresh after a failure and the tracker's polling each use it
with their own first delay and cap (the last three without jitter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Gateway statuses after which a non-idempotent request may or may not have been applied.
AMBIGUOUS_STATUSES = frozenset({502, 504})


class Failure(Enum):
    NOT_SENT = "not-sent"  # connect error/timeout, pool timeout: the request never left
    MAYBE_SENT = "maybe-sent"  # read timeout, broken connection after writing
    STATUS = "status"  # an HTTP answer with an error status


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    outcome_unknown: bool = False


def decide_retry(
    method: str, failure: Failure, status: int | None, attempt: int, max_attempts: int
) -> RetryDecision:
    """What to do after attempt number ``attempt`` (1-based) failed this way."""
    idempotent = method.upper() in IDEMPOTENT_METHODS
    if failure is Failure.MAYBE_SENT and not idempotent:
        return RetryDecision(retry=False, outcome_unknown=True)
    if failure is Failure.STATUS and not idempotent:
        return RetryDecision(retry=False, outcome_unknown=status in AMBIGUOUS_STATUSES)
    if failure is Failure.STATUS and status not in RETRYABLE_STATUSES:
        return RetryDecision(retry=False)
    return RetryDecision(retry=attempt < max_attempts)


def backoff_delay(
    attempt: int,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rand: float = 1.0,
    *,
    factor: float = 2.0,
) -> float:
    """Seconds to wait after attempt ``attempt`` (1-based; 0 counts as 1) before the next:
    ``base * factor ** (attempt - 1)``, at most ``cap``, times ``rand`` (a uniform draw in
    [0, 1) gives full jitter; 1.0, none). A ``Retry-After`` the server gave wins, capped too."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    try:
        grown = base * factor ** max(attempt - 1, 0)
    except OverflowError:  # so many attempts that the cap was reached long ago
        grown = math.inf if base > 0 else 0.0
    return rand * min(cap, grown)
