"""The default :class:`~bot.huaweicloud.transport.Sender`: one ``aiohttp`` connection pool.

Why not httpx: under concurrency httpcore's pool spends most of its time in bookkeeping, and
httpx's ``Request``/``Response``/``URL``/``Headers`` objects cost more CPU per call than the
signing itself: ``bench/http_clients.py`` measured 6.2-6.5x aiohttp's CPU per job check at the
tracker's concurrency, 2.3-2.5x sequentially. aiohttp is a dependency anyway (Bolt's HTTP mode,
slack_sdk's async clients): it is the bot's one HTTP client library. The pool size is
``max_connections`` (the only connection limit).

Failures are mapped to what the retry logic reasons about: a connection that could not be made
is :class:`NotSent`; a timeout while waiting for the answer or a connection lost after sending
is :class:`MaybeSent`.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping

import aiohttp
from yarl import URL

from bot.huaweicloud.transport import Answer, MaybeSent, NotSent, Timeouts


class AiohttpSender:
    def __init__(self, max_connections: int = 50) -> None:
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None
        # HTTP(S)_PROXY / NO_PROXY, read once: aiohttp's trust_env re-reads the environment
        # and ~/.netrc on every request, which halved throughput.
        self._proxies = urllib.request.getproxies()
        self._bypass: dict[str, bool] = {}
        self._timeouts: dict[Timeouts, aiohttp.ClientTimeout] = {}

    def proxy_for(self, scheme: str, host: str) -> str | None:
        proxy = self._proxies.get(scheme)
        if not proxy:
            return None
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

    def _timeout(self, timeouts: Timeouts) -> aiohttp.ClientTimeout:
        found = self._timeouts.get(timeouts)
        if found is None:
            found = aiohttp.ClientTimeout(
                total=None,
                connect=timeouts.read,  # waiting for a pooled connection, and connecting
                sock_connect=timeouts.connect,
                sock_read=timeouts.read,
            )
            self._timeouts[timeouts] = found
        return found

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, timeouts: Timeouts
    ) -> Answer:
        session = self._get_session()
        # encoded=True: send the path and query exactly as built and signed (yarl would
        # otherwise re-quote them, e.g. turn %3D back into "=").
        target = URL(url, encoded=True)
        try:
            async with session.request(
                method,
                target,
                headers=headers,
                data=body or None,
                timeout=self._timeout(timeouts),
                proxy=self.proxy_for(target.scheme, target.host or ""),
                allow_redirects=False,
                compress=None,
            ) as response:
                content = await response.read()
                return Answer(response.status, response.headers, content)
        except aiohttp.ConnectionTimeoutError as exc:
            raise NotSent(exc) from exc
        except aiohttp.ClientConnectorError as exc:
            raise NotSent(exc) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise MaybeSent(exc) from exc
        except aiohttp.ClientError as exc:
            raise MaybeSent(exc) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
