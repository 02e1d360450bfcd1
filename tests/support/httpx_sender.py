"""Test seams on ``httpx`` (a test dependency only; the bot sends with aiohttp):
:class:`HttpxSender` lets a test answer the cloud clients with an ``httpx.MockTransport`` (or
send through any other ``httpx`` transport, as ``bench/http_clients.py`` does), and
:func:`sign_request` signs an ``httpx.Request`` in place with the bot's signer (to compare the
signature with the official SDK's on the same request)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from bot.huaweicloud.signing import AkSkAuth, TokenAuth
from bot.huaweicloud.transport import Answer, MaybeSent, NotSent, Timeouts


class HttpxSender:
    """A :class:`~bot.huaweicloud.transport.Sender` on an ``httpx`` transport."""

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


def sign_request(auth: AkSkAuth | TokenAuth, request: httpx.Request) -> None:
    """Sign ``request`` in place, as the bot signs the same parts before sending them."""
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    query = list(request.url.params.multi_items())
    # httpx.Headers is a case-insensitive MutableMapping: signed in place
    auth.sign_headers(request.method, raw_path, query, request.headers, request.content)
