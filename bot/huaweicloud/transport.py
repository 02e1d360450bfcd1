"""What the HTTP core needs from a transport, and an adapter for ``httpx`` transports.

A :class:`Sender` sends one request as built and signed (method, absolute URL, headers, body)
and returns the :class:`Answer`, or raises :class:`NotSent` (the request never left: connection
refused, connect or pool timeout) or :class:`MaybeSent` (it may have reached the service: read
timeout, connection lost after writing). The retry decision (:mod:`bot.core.retry`) reasons
about exactly these two.

The default sender is :class:`bot.huaweicloud.aiohttp_transport.AiohttpSender`; tests may pass
any ``httpx.AsyncBaseTransport`` (``httpx.MockTransport``...) through :class:`HttpxSender`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True)
class Timeouts:
    connect: float  # opening a connection
    read: float  # waiting for the answer (and for a free pooled connection)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # case-insensitive lookups
    body: bytes


class NotSent(Exception):
    """The request never left (``cause`` says why)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


class MaybeSent(Exception):
    """The request may have reached the service; no answer came back."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


def describe(cause: BaseException) -> str:
    name = type(cause).__name__
    text = str(cause)
    return f"{name}: {text}" if text else name


class Sender(Protocol):
    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, timeouts: Timeouts
    ) -> Answer: ...

    async def aclose(self) -> None: ...


class HttpxSender:
    """Sends through an ``httpx`` transport (tests: ``httpx.MockTransport``)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, timeouts: Timeouts
    ) -> Answer:
        request = httpx.Request(
            method,
            url,
            headers=dict(headers),
            content=body,
            extensions={
                "timeout": {
                    "connect": timeouts.connect,
                    "read": timeouts.read,
                    "write": timeouts.read,
                    "pool": timeouts.read,
                }
            },
        )
        try:
            response = await self._transport.handle_async_request(request)
            content = await response.aread()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSent(exc) from exc
        except httpx.TransportError as exc:
            raise MaybeSent(exc) from exc
        return Answer(response.status_code, response.headers, content)

    async def aclose(self) -> None:
        await self._transport.aclose()
