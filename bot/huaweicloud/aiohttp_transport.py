"""An ``httpx`` transport that sends through an ``aiohttp`` connection pool.

Why: under concurrency, httpcore's pool spends most of its time in bookkeeping (it rescans every
connection on each request and re-detects the async library), so 20 concurrent calls were
slower than sequential ones in ``bench/client_vs_sdk.py``. aiohttp is already a dependency (Bolt's
async HTTP mode runs on it) and its pool does not have that cost. Everything above the transport
- ``httpx.Auth`` signing, ``Request``/``Response``, timeouts, our retry loop - stays httpx.

Failures are mapped to the httpx exceptions the retry logic reasons about: a connection that
could not be made is ``ConnectError``/``ConnectTimeout`` (nothing was sent); a timeout while
waiting for the answer is ``ReadTimeout``; a connection lost after sending is ``ReadError``.
"""

from __future__ import annotations

import urllib.request

import aiohttp
import httpx
from yarl import URL


def _timeout_value(request: httpx.Request, key: str) -> float | None:
    timeouts = request.extensions.get("timeout", {})
    value = timeouts.get(key)
    return float(value) if value is not None else None


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int = 50) -> None:
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None
        # HTTP(S)_PROXY / NO_PROXY, read once: aiohttp's trust_env re-reads the environment
        # and ~/.netrc on every request, which halved throughput.
        self._proxies = urllib.request.getproxies()
        self._bypass: dict[str, bool] = {}

    def _proxy_for(self, url: httpx.URL) -> str | None:
        proxy = self._proxies.get(url.scheme)
        if not proxy:
            return None
        host = url.host
        if host not in self._bypass:
            self._bypass[host] = bool(urllib.request.proxy_bypass(host))
        return None if self._bypass[host] else proxy

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, enable_cleanup_closed=False)
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._get_session()
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_timeout_value(request, "pool"),
            sock_connect=_timeout_value(request, "connect"),
            sock_read=_timeout_value(request, "read"),
        )
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        headers.append(("Host", request.headers["Host"]))
        # encoded=True: send the path and query exactly as built and signed (yarl would
        # otherwise re-quote them, e.g. turn %3D back into "=").
        url = URL(str(request.url), encoded=True)
        try:
            async with session.request(
                request.method,
                url,
                headers=headers,
                data=request.content or None,
                timeout=timeout,
                proxy=self._proxy_for(request.url),
                allow_redirects=False,
                compress=None,
            ) as response:
                body = await response.read()
                return httpx.Response(
                    status_code=response.status,
                    headers=list(response.raw_headers),
                    content=body,
                    request=request,
                    extensions={"http_version": b"HTTP/1.1"},
                )
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or "disconnected", request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
