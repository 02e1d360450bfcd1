"""Credentials for signing, handed out as snapshots, refreshed before they expire.

A :class:`CredentialProvider` owns one credential source (static keys, the ECS metadata
service, OIDC, an agency...: :mod:`bot.huaweicloud.credential_sources` builds them) and answers
:meth:`~CredentialProvider.keys` with an immutable snapshot, :class:`SigningKeys` (AK/SK and, for
temporary keys, the security token and ``expires_at``) or :class:`AuthToken`. A request signs
one attempt with one snapshot, so it never mixes an old AK with a new security token.

Refreshing (the SDK refreshes 40 min before expiry, synchronously, in every caller; Cloud
Custodian's Huawei provider likewise refreshes agency keys ahead of expiry):

- a snapshot with ``expires_at`` is *due* ``margin`` before it: ``min(10 min, lifetime / 5)``,
  so a 15-minute key is renewed 3 minutes early and a 6-hour one 10 minutes early;
- the first caller that finds it due starts one refresh (a task); every other caller meanwhile
  keeps using the current snapshot while it is still valid, and only callers without a valid
  snapshot wait for that same refresh (single flight: 100 concurrent callers, one fetch);
- a failed refresh is recorded (:meth:`~CredentialProvider.status`) and retried after a short
  back-off (1 s, doubling, at most 30 s) while the old snapshot keeps being used until it expires;
  after that, :meth:`~CredentialProvider.keys` raises :class:`CredentialsUnavailable` naming the
  source and the last failure (no request is sent with keys the gateway would refuse).

Renewing in the background: :func:`renew_ahead` (a task the runtime owns) renews every
refreshing provider when it is due, and retries a failed one after its back-off, without
waiting for a call to need keys - so a quiet bot keeps valid keys, and its status (readiness)
follows the source: once the token file or IAM is back, the next retry succeeds by itself.

The gateway's verdict counts too: a call answered 401 (``APIGW.0301``: keys refused, e.g. a
handed-in security token that has expired) marks the snapshot it was signed with as refused
(:meth:`~CredentialProvider.judged`): the status is not ok, with the gateway's reason, until a
call with that snapshot is accepted or the source hands out new keys (a refreshing source is
asked at once).

Time comes from ``now`` (timezone-aware), so tests move a clock instead of sleeping. One
provider belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from bot.core.credential_status import CredentialStatus
from bot.core.errors import BotError, CredentialsUnavailable
from bot.core.retry import backoff_delay
from bot.huaweicloud.transport import MaybeSent, NotSent

log = logging.getLogger(__name__)

MAX_MARGIN = timedelta(minutes=10)
MARGIN_FRACTION = 5  # refresh when 1/5 of the lifetime is left (at most MAX_MARGIN before)
FIRST_RETRY = timedelta(seconds=1)
MAX_RETRY = timedelta(seconds=30)

Clock = Callable[[], datetime]
# what a fetch may raise: our errors (HTTP answers, bad files), the sender's, file and parse errors
_SOURCE_FAILURES = (BotError, NotSent, MaybeSent, OSError, ValueError)


def utcnow() -> datetime:
    return datetime.now(UTC)


class StaleCredentials(ValueError):
    """A source answered keys that have already expired by our clock."""


@dataclass(frozen=True)
class SigningKeys:
    """AK/SK (and the security token of temporary keys). ``repr`` shows no secret."""

    ak: str
    sk: SecretStr
    security_token: SecretStr | None = None
    expires_at: datetime | None = None  # None: does not expire (permanent keys)


@dataclass(frozen=True)
class AuthToken:
    """An IAM token sent as ``X-Auth-Token``."""

    token: SecretStr
    expires_at: datetime | None = None


Credential = SigningKeys | AuthToken
Fetch = Callable[[], Awaitable[Credential]]


def refresh_margin(obtained_at: datetime, expires_at: datetime) -> timedelta:
    """How long before ``expires_at`` a snapshot obtained at ``obtained_at`` is renewed."""
    lifetime = max(expires_at - obtained_at, timedelta(0))
    return min(MAX_MARGIN, lifetime / MARGIN_FRACTION)


def retry_delay(failures: int) -> timedelta:
    """Back-off before the next refresh after ``failures`` consecutive failures (>= 1)."""
    return timedelta(
        seconds=backoff_delay(failures, FIRST_RETRY.total_seconds(), MAX_RETRY.total_seconds())
    )


class CredentialProvider:
    """Hands out credential snapshots from one source; see the module docstring."""

    def __init__(
        self,
        source: str,
        fetch: Fetch,
        *,
        description: str = "",
        now: Clock = utcnow,
        project_id: str | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``fetch`` obtains a fresh credential (raising on failure); ``project_id`` is the
        project the source named, if any (a profile's ``project_id``); ``on_close`` releases
        what the fetch uses (its HTTP pool)."""
        self.source = source
        self.description = description or source
        self.project_id = project_id
        self._fetch = fetch
        self._now = now
        self._closers: list[Callable[[], Awaitable[None]]] = [on_close] if on_close else []
        self._current: Credential | None = None
        self._due_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._retry_at: datetime | None = None
        self._failures = 0
        self._last_error: str | None = None
        self._refreshes = 0
        self._refused: str | None = None  # the gateway refused the current snapshot: why
        self.renews = True  # a source that hands out new keys (not fixed ones)

    @classmethod
    def fixed(
        cls, source: str, credential: Credential, *, description: str = ""
    ) -> CredentialProvider:
        """A provider that always answers ``credential`` (permanent keys, a given token)."""

        async def same() -> Credential:
            return credential

        provider = cls(source, same, description=description)
        provider._install(credential, utcnow())
        provider.renews = False
        return provider

    def __repr__(self) -> str:
        return f"CredentialProvider({self.description!r})"

    async def keys(self) -> Credential:
        """A snapshot valid now; raises :class:`CredentialsUnavailable` when there is none."""
        now = self._now()
        current = self._current
        if current is not None and (self._due_at is None or now < self._due_at):
            return current
        if self._task is None and (self._retry_at is None or now >= self._retry_at):
            self._task = asyncio.create_task(self._refresh(), name=f"refresh {self.source}")
        if current is not None and _valid(current, now):
            return current
        if self._task is not None:
            await asyncio.shield(self._task)
            current = self._current
            if current is not None and _valid(current, self._now()):
                return current
        raise CredentialsUnavailable(self.description, self._unavailable_reason(current))

    async def refreshed(self) -> None:
        """Wait for the refresh in flight, if any (tests, ``check``)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    def due_in(self) -> timedelta | None:
        """How long until this provider should be asked again in the background (renewal due,
        or a failed refresh's retry); None: never (fixed keys)."""
        if not self.renews:
            return None
        now = self._now()
        if self._retry_at is not None:
            return max(self._retry_at - now, timedelta(0))
        if self._current is None or self._due_at is None:
            return None if self._current is not None else timedelta(0)
        return max(self._due_at - now, timedelta(0))

    async def renew_if_due(self) -> None:
        """Renew now if due (or retry a failed refresh whose back-off is over), and wait for it:
        what :func:`renew_ahead` runs. Never raises for a source failure (it is recorded)."""
        wait = self.due_in()
        if wait is None or wait > timedelta(0):
            return
        if self._task is None:
            self._task = asyncio.create_task(self._refresh(), name=f"refresh {self.source}")
        await self.refreshed()

    def judged(self, credential: Credential, refusal: str | None) -> None:
        """The gateway's answer to a request signed with ``credential``: None accepted it;
        else why it refused the keys (a 401). Only the current snapshot is judged."""
        if credential is not self._current:
            return
        if refusal is None:
            if self._refused is not None:
                log.info("the gateway accepts the keys from %s again", self.description)
            self._refused = None
            return
        if self._refused is None:
            log.warning("the gateway refused the keys from %s: %s", self.description, refusal)
        self._refused = refusal
        if self.renews and credential.expires_at is not None:
            self._due_at = self._now()  # a source that issues keys: ask it for new ones

    def status(self) -> CredentialStatus:
        now = self._now()
        current = self._current
        valid = current is not None and _valid(current, now) and self._refused is None
        refused = f"refused by the gateway: {self._refused}" if self._refused else None
        return CredentialStatus(
            ok=valid or (current is None and self._failures == 0),
            source=self.source,
            description=self.description,
            expires_at=current.expires_at if current is not None else None,
            last_error=self._last_error or refused,
            consecutive_failures=self._failures,
            refreshes=self._refreshes,
        )

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for close in self._closers:
            await close()

    def close_with(self, close: Callable[[], Awaitable[None]]) -> None:
        """Also run ``close`` on :meth:`aclose` (after what is registered already)."""
        self._closers.append(close)

    # ---- internals ----------------------------------------------------------------------
    def _install(self, credential: Credential, obtained_at: datetime) -> None:
        if credential is not self._current:
            self._refused = None  # new keys: the gateway has not judged them yet
        self._current = credential
        expires = credential.expires_at
        self._due_at = None if expires is None else expires - refresh_margin(obtained_at, expires)

    async def _refresh(self) -> None:
        started = self._now()
        try:
            credential = await self._fetch()
            expires = credential.expires_at
            if expires is not None and expires <= self._now():
                raise StaleCredentials(
                    f"the source answered keys that expired at {expires.isoformat()} "
                    f"(our clock says {self._now().isoformat()}: clock skew?)"
                )
        except _SOURCE_FAILURES as exc:  # recorded, never raised to the caller from here
            self._failures += 1
            self._last_error = describe_failure(exc)
            self._retry_at = self._now() + retry_delay(self._failures)
            log.warning(
                "credential refresh failed (%s, %d in a row): %s",
                self.description,
                self._failures,
                self._last_error,
            )
        else:
            self._install(credential, started)
            self._failures = 0
            self._last_error = None
            self._retry_at = None
            self._refreshes += 1
            log.info(
                "credentials obtained from %s (expire %s)",
                self.description,
                credential.expires_at.isoformat() if credential.expires_at else "never",
            )
        finally:
            self._task = None

    def _unavailable_reason(self, current: Credential | None) -> str:
        error = self._last_error or "no credentials obtained yet"
        if current is not None and current.expires_at is not None:
            return f"the last keys expired at {current.expires_at.isoformat()}; last error: {error}"
        return error


RENEW_IDLE = timedelta(seconds=30)  # the longest the renewal loop sleeps between looks
RENEW_MIN = timedelta(milliseconds=100)  # and the shortest (a source failing at once)


async def renew_ahead(providers: list[CredentialProvider]) -> None:
    """Renew every refreshing provider ahead of expiry, and retry failed ones after their
    back-off, until cancelled (the runtime owns this task and cancels it at shutdown)."""
    renewing = [p for p in providers if p.renews]
    if not renewing:
        return
    while True:
        outcomes = await asyncio.gather(
            *(p.renew_if_due() for p in renewing), return_exceptions=True
        )
        waits = [w for p in renewing if (w := p.due_in()) is not None]
        wait = min([RENEW_IDLE, *waits])
        for provider, outcome in zip(renewing, outcomes, strict=True):
            if isinstance(outcome, Exception):  # not a source failure: a bug; do not spin
                log.error("renewing %s failed: %s", provider.description, describe_failure(outcome))
                wait = RENEW_IDLE
        await asyncio.sleep(max(wait, RENEW_MIN).total_seconds())


def _valid(credential: Credential, now: datetime) -> bool:
    return credential.expires_at is None or now < credential.expires_at


def describe_failure(exc: BaseException) -> str:
    """The failure's text for status and logs: our errors carry no secrets by construction."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
