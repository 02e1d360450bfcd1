"""The HTTP core shared by the SDRS and ECS clients: one connection pool per endpoint, request
signing (:mod:`bot.huaweicloud.signing`), safe retries (decided by the pure
:mod:`bot.core.retry`), and the conversion of every failure into the :mod:`bot.core.errors` tree
(:mod:`bot.huaweicloud.errors`).

Each attempt builds its headers, signs them and hands them to a
:class:`~bot.huaweicloud.transport.Sender`: aiohttp's (``bench/http_clients.py`` measured it
against httpx on this workload; ``bench/client_vs_sdk.py`` against the official SDK).
Connections: the sender's pool, ``max_connections``. Tests may pass their own ``sender``.

Credentials: ``auth`` is a fixed signer (``AkSkAuth``, ``TokenAuth``) or a
:class:`~bot.huaweicloud.signing.ProviderAuth`, from which each attempt awaits one credential
snapshot (refreshed ahead of expiry by its provider) and signs with it alone. When the provider
has no valid keys the call raises :class:`~bot.core.errors.CredentialsUnavailable` and sends
nothing.

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
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ValidationError

from bot.core.errors import (
    ApiError,
    CredentialsUnavailable,
    OutcomeUnknownError,
    ResponseFormatError,
    TransportError,
)
from bot.core.retry import Failure, backoff_delay, decide_retry
from bot.core.wording import Wording
from bot.huaweicloud.aiohttp_transport import AiohttpSender
from bot.huaweicloud.credentials import Credential
from bot.huaweicloud.errors import error_for
from bot.huaweicloud.pace import turn
from bot.huaweicloud.signing import ProviderAuth, canonical_query
from bot.huaweicloud.transport import MaybeSent, NotSent, Sender, Timeouts

log = logging.getLogger(__name__)

USER_AGENT = "sdrs-bot/0.1 (+aiohttp)"  # signed, so set before signing: names the sender
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


class Signer(Protocol):
    """Adds the authentication headers (``AkSkAuth``, ``TokenAuth``)."""

    def sign_headers(
        self,
        method: str,
        raw_path: str,
        query: Sequence[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None: ...


class CloudHttp:
    """One connection pool to one Huawei Cloud service endpoint."""

    def __init__(
        self,
        base_url: str,
        auth: Signer | ProviderAuth,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sender: Sender | None = None,
        sleep: SleepFn = asyncio.sleep,
        max_connections: int = 50,
        observe: Observer | None = None,
        not_found_codes: frozenset[str] = frozenset(),
    ) -> None:
        """``max_connections`` sizes the default sender's pool (a given ``sender`` has its
        own); ``not_found_codes`` are the service's error codes that mean "does not
        exist" whatever the status."""
        parts = urlsplit(base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path.rstrip("/")
        self._host = parts.netloc
        self._auth = auth
        self._observe = observe
        self._not_found_codes = not_found_codes
        self._timeouts = Timeouts(connect=connect_timeout, read=read_timeout)
        self._sender: Sender = sender if sender is not None else AiohttpSender(max_connections)
        self._max_attempts = max_attempts
        self._base = backoff_base
        self._cap = backoff_cap
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._sender.aclose()

    def _observed(self, method: str, path: str, outcome: str, started: float) -> None:
        if self._observe is not None:
            self._observe(method, path, outcome, time.perf_counter() - started)

    async def _headers(
        self, method: str, raw_path: str, query: Sequence[tuple[str, str]], content: bytes
    ) -> tuple[dict[str, str], Credential | None]:
        """The signed headers, and the credential snapshot they were signed with (None: a
        fixed signer)."""
        headers = {
            "Host": self._host,
            "User-Agent": USER_AGENT,
            "Content-Type": JSON_CONTENT_TYPE if content else PLAIN_JSON_CONTENT_TYPE,
        }
        auth = self._auth
        # one snapshot for this attempt: its AK, SK and security token belong together
        credential: Credential | None = None
        signer: Signer
        if isinstance(auth, ProviderAuth):
            signer, credential = await auth.snapshot()
        else:
            signer = auth
        signer.sign_headers(method, raw_path, query, headers, content)
        return headers, credential

    def _judged(self, credential: Credential | None, status: int, error: ApiError | None) -> None:
        """Tell the provider what the gateway made of its keys: accepted (any answer but a
        401), or refused (401, e.g. APIGW.0301 for an expired security token)."""
        if credential is None or not isinstance(self._auth, ProviderAuth):
            return
        refusal = f"{error.code} (HTTP {status}): {error.message}" if error else f"HTTP {status}"
        self._auth.provider.judged(credential, refusal if status == 401 else None)

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        unknown_outcome_hint: Wording | None = None,
    ) -> dict[str, Any]:
        """Send, retrying where safe; return the decoded JSON object of a 2xx answer.
        ``path`` is already quoted (:func:`api_path`)."""
        raw_path = self._base_path + path
        full_url = self._origin + raw_path + (f"?{canonical_query(query)}" if query else "")
        content = json.dumps(body).encode("utf-8") if body is not None else b""
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            status: int | None = None
            cause: Exception
            await turn()  # signing and sending wait their turn behind acks (bot.huaweicloud.pace)
            started = time.perf_counter()
            # signed per attempt: X-Sdk-Date must be fresh on a retry
            try:
                headers, credential = await self._headers(method, raw_path, query, content)
            except CredentialsUnavailable as exc:
                raise CredentialsUnavailable(
                    exc.source, exc.reason, method=method, url=full_url
                ) from None
            try:
                answer = await self._sender.send(method, full_url, headers, content, self._timeouts)
            except NotSent as exc:
                failure, cause = Failure.NOT_SENT, exc
                self._observed(method, path, "not-sent", started)
            except MaybeSent as exc:
                failure, cause = Failure.MAYBE_SENT, exc
                self._observed(method, path, "no-answer", started)
            else:
                self._observed(method, path, str(answer.status), started)
                await turn()  # and so does what the caller does with the answer
                if 200 <= answer.status < 300:
                    self._judged(credential, answer.status, None)
                    if method != "GET":
                        request_id = answer.headers.get("X-Request-Id")
                        log.info(
                            "cloud change accepted: %s %s (HTTP %d, request id %s)",
                            method,
                            path,
                            answer.status,
                            request_id or "unknown",
                            extra={"request_id": request_id},
                        )
                    return self._decode(answer.body, method, full_url)
                error = error_for(
                    answer.status,
                    answer.body,
                    answer.headers,
                    method,
                    full_url,
                    not_found_codes=self._not_found_codes,
                )
                self._judged(credential, answer.status, error)
                failure, status, cause = Failure.STATUS, answer.status, error
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
                    f"{method} {path}: no reliable answer ({cause}); the request may "
                    "or may not have been applied",
                    hint=unknown_outcome_hint,
                    method=method,
                    url=full_url,
                ) from _underlying(cause)
            if not decision.retry:
                if isinstance(cause, ApiError):
                    raise cause
                raise TransportError(
                    f"{method} {path}: {cause}",
                    method=method,
                    url=full_url,
                    maybe_sent=failure is Failure.MAYBE_SENT,
                ) from _underlying(cause)
            await self._sleep(
                backoff_delay(attempt, self._base, self._cap, retry_after, random.random())
            )

    @staticmethod
    def _decode(content: bytes, method: str, url: str) -> dict[str, Any]:
        if not content:
            return {}
        try:
            data = json.loads(content)
        except ValueError:
            raise ResponseFormatError(
                f"{method} {url}: answer is not JSON", method=method, url=url
            ) from None
        if not isinstance(data, dict):
            raise ResponseFormatError(
                f"{method} {url}: answer is not a JSON object", method=method, url=url
            )
        return data


def _underlying(cause: Exception) -> BaseException | None:
    """The transport's own exception behind a failure (kept as ``__cause__``)."""
    if isinstance(cause, NotSent | MaybeSent):
        return cause.cause
    return None
