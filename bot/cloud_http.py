"""The HTTP core shared by the SDRS and ECS clients: one ``httpx.AsyncClient``, safe retries, and
the conversion of every failure into the :mod:`bot.core.errors` tree.

Retry rules (decided by the pure :func:`decide_retry`):

* nothing was sent (connection refused, connect timeout, pool timeout): retry any method;
* 429 or 5xx (500, 502, 503, 504), or the connection broke after sending: retry only idempotent
  methods (GET, and PUT - renaming a drill to the same name twice is harmless);
* a POST (the resize) that may have reached the service - read timeout, dropped connection, or a
  502/504 from the gateway - is never repeated: it raises :class:`OutcomeUnknownError` so the
  operator checks the instance instead of getting two resize jobs.

Backoff is exponential with full jitter, capped; a ``Retry-After`` header is honoured (capped).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

import httpx

from bot.aiohttp_transport import AiohttpTransport
from bot.core.errors import (
    ApiError,
    AuthError,
    ClientError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from bot.sdrs.signing import canonical_query

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Gateway statuses after which a non-idempotent request may or may not have been applied.
AMBIGUOUS_STATUSES = frozenset({502, 504})
NOT_FOUND_CODES = frozenset({"SDRS.1320", "SDRS.1902"})
USER_AGENT = "sdrs-bot/0.1 (+httpx)"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"  # as the SDK sends with a body
PLAIN_JSON_CONTENT_TYPE = "application/json"  # as the SDK sends on GET


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
    attempt: int, base: float, cap: float, retry_after: float | None, rand: float
) -> float:
    """Delay before attempt ``attempt + 1``: full jitter over base*2^(attempt-1), capped."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return rand * min(cap, base * 2.0 ** (attempt - 1))


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(float((when - datetime.now(UTC)).total_seconds()), 0.0)


def _find_code_message(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    for code_key, msg_key in (("error_code", "error_msg"), ("errorCode", "errorMsg")):
        if code_key in obj and msg_key in obj:
            return str(obj[code_key]), str(obj[msg_key])
    if "code" in obj and "message" in obj:
        return str(obj["code"]), str(obj["message"])
    for value in obj.values():
        if isinstance(value, Mapping):
            found = _find_code_message(value)
            if found:
                return found
    return None


def parse_error_body(status: int, body: bytes) -> tuple[str, str]:
    """(code, message) from any documented error shape; falls back to the status and text.

    Shapes: ``{"error": {"code", "message"}}`` and the same under another outer key
    (``badRequest``, ``itemNotFound``...), and the gateway's ``{"error_code", "error_msg"}``.
    """
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        found = _find_code_message(data)
        if found:
            return found
    return f"HTTP.{status}", text.strip()[:500] or f"HTTP {status} with an empty body"


def error_for(status: int, body: bytes, headers: httpx.Headers, method: str, url: str) -> ApiError:
    code, message = parse_error_body(status, body)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": headers.get("X-Request-Id"),
        "method": method,
        "url": url,
        "retry_after": parse_retry_after(headers.get("Retry-After")),
    }
    cls: type[ApiError]
    if status == 429:
        cls = RateLimitedError
    elif status in (401, 403) or (status < 500 and code.startswith("APIGW.")):
        cls = AuthError
    elif status == 404 or code in NOT_FOUND_CODES:
        cls = NotFoundError
    elif status < 500:
        cls = ClientError
    else:
        cls = ServerError
    return cls(message, **kwargs)


def path_param(value: str) -> str:
    """Quote a path parameter the way the official SDK does (nothing left unescaped)."""
    return quote(str(value), safe="")


SleepFn = Callable[[float], Awaitable[None]]
# (method, path, outcome: HTTP status or "not-sent"/"no-answer", seconds) for each attempt
Observer = Callable[[str, str, str, float], None]


class CloudHttp:
    """One connection pool to one Huawei Cloud service endpoint."""

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        max_connections: int = 50,
        observe: Observer | None = None,
    ) -> None:
        self._observe = observe
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": USER_AGENT},
            transport=transport or AiohttpTransport(max_connections),
        )
        self._max_attempts = max_attempts
        self._base = backoff_base
        self._cap = backoff_cap
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._client.aclose()

    def _observed(self, method: str, path: str, outcome: str, started: float) -> None:
        if self._observe is not None:
            self._observe(method, path, outcome, time.perf_counter() - started)

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        unknown_outcome_hint: str = "",
    ) -> dict[str, Any]:
        """Send, retrying where safe; return the decoded JSON object of a 2xx answer."""
        url = f"{path}?{canonical_query(query)}" if query else path
        content = json.dumps(body).encode("utf-8") if body is not None else b""
        headers = {
            "Content-Type": JSON_CONTENT_TYPE if body is not None else PLAIN_JSON_CONTENT_TYPE
        }
        full_url = f"{self._client.base_url}{url.lstrip('/')}"
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            status: int | None = None
            cause: Exception
            started = time.perf_counter()
            try:
                response = await self._client.request(method, url, content=content, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure, cause = Failure.NOT_SENT, exc
                self._observed(method, path, "not-sent", started)
            except httpx.TransportError as exc:
                failure, cause = Failure.MAYBE_SENT, exc
                self._observed(method, path, "no-answer", started)
            else:
                self._observed(method, path, str(response.status_code), started)
                if response.is_success:
                    return self._decode(response, method, full_url)
                error = error_for(
                    response.status_code, response.content, response.headers, method, full_url
                )
                failure, status, cause = Failure.STATUS, response.status_code, error
                retry_after = error.retry_after
            decision = decide_retry(method, failure, status, attempt, self._max_attempts)
            log.info(
                "cloud call failed: %s %s attempt %d (%s%s); retry=%s",
                method,
                path,
                attempt,
                failure.value,
                f" {status}" if status else "",
                decision.retry,
            )
            if decision.outcome_unknown:
                raise OutcomeUnknownError(
                    f"{method} {path}: no reliable answer ({_describe(cause)}); the request may "
                    "or may not have been applied",
                    hint=unknown_outcome_hint,
                    method=method,
                    url=full_url,
                ) from (cause if isinstance(cause, httpx.HTTPError) else None)
            if not decision.retry:
                if isinstance(cause, ApiError):
                    raise cause
                raise TransportError(
                    f"{method} {path}: {_describe(cause)}", method=method, url=full_url
                ) from cause
            await self._sleep(
                backoff_delay(attempt, self._base, self._cap, retry_after, random.random())
            )

    @staticmethod
    def _decode(response: httpx.Response, method: str, url: str) -> dict[str, Any]:
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:
            raise ResponseFormatError(
                f"{method} {url}: answer is not JSON", method=method, url=url
            ) from None
        if not isinstance(data, dict):
            raise ResponseFormatError(
                f"{method} {url}: answer is not a JSON object", method=method, url=url
            )
        return data


def _describe(cause: Exception) -> str:
    if isinstance(cause, ApiError):
        return str(cause)
    name = type(cause).__name__
    text = str(cause)
    return f"{name}: {text}" if text else name
