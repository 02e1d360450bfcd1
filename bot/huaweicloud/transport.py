"""What the HTTP core needs from a transport.

A :class:`Sender` sends one request as built and signed (method, absolute URL, headers, body)
and returns the :class:`Answer`, or raises :class:`NotSent` (the request never left: connection
refused, connect or pool timeout) or :class:`MaybeSent` (it may have reached the service: read
timeout, connection lost after writing). The retry decision (:mod:`bot.core.retry`) reasons
about exactly these two.

The sender is :class:`bot.huaweicloud.aiohttp_transport.AiohttpSender` (the one HTTP client
library the bot uses: Bolt and slack_sdk run on aiohttp too; ``bench/http_clients.py``); tests
pass their own (``tests/support/httpx_sender.py`` answers with an ``httpx.MockTransport``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


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
