"""The HTTP core shared by the SDRS and ECS clients: one ``httpx.AsyncClient`` per endpoint,
safe retries (decided by the pure :mod:`bot.core.retry`), and the conversion of every failure
into the :mod:`bot.core.errors` tree (:mod:`bot.huaweicloud.errors`).

Connections: the pool is the :class:`AiohttpTransport`'s (``max_connections``); httpx ignores
``limits=`` when a transport is given, so none is passed.

Paths are built by :func:`api_path`, which refuses empty, ``.`` and ``..`` segments (a
ValueError, nothing sent): quoting leaves dots alone, and a dot segment would move the request
to another documented path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from bot.core.errors import ApiError, OutcomeUnknownError, ResponseFormatError, TransportError
from bot.core.retry import Failure, backoff_delay, decide_retry
from bot.huaweicloud.aiohttp_transport import AiohttpTransport
from bot.huaweicloud.errors import error_for
from bot.huaweicloud.signing import canonical_query

log = logging.getLogger(__name__)

USER_AGENT = "sdrs-bot/0.1 (+httpx)"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"  # as the SDK sends with a body
PLAIN_JSON_CONTENT_TYPE = "application/json"  # as the SDK sends on GET
M = TypeVar("M", bound=BaseModel)


def path_param(value: str) -> str:
    """Quote one path parameter the way the official SDK does (nothing left unescaped);
    refuse what would not stay one segment of the documented path."""
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(
            f"{text!r} is not a valid id for a URL path segment (empty, '.' and '..' would "
            "change which API is called); nothing was sent"
        )
    return quote(text, safe="")


def api_path(*segments: str) -> str:
    """``/seg1/seg2/...`` with each segment checked and quoted by :func:`path_param`."""
    return "/" + "/".join(path_param(s) for s in segments)


def parse_model(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ResponseFormatError(
            f"{what}: unexpected answer shape ({exc.error_count()} errors)"
        ) from None


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
        not_found_codes: frozenset[str] = frozenset(),
    ) -> None:
        """``max_connections`` sizes the default transport's pool (with your own
        ``transport``, size its pool yourself); ``not_found_codes`` are the service's error
        codes that mean "does not exist" whatever the status."""
        self._observe = observe
        self._not_found_codes = not_found_codes
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
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
                    if method != "GET":
                        log.info(
                            "cloud change accepted: %s %s (HTTP %d, request id %s)",
                            method,
                            path,
                            response.status_code,
                            response.headers.get("X-Request-Id", "unknown"),
                            extra={"request_id": response.headers.get("X-Request-Id")},
                        )
                    return self._decode(response, method, full_url)
                error = error_for(
                    response.status_code, response.content, response.headers, method, full_url,
                    not_found_codes=self._not_found_codes,
                )  # fmt: skip
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
