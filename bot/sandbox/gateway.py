"""How the emulated API gateway authenticates a request: shared by the SDRS/ECS emulator
(:mod:`bot.sandbox.server`) and the IAM emulator (``tests/support/iam.py``).

- ``X-Auth-Token``: a token the world knows (and, for tokens IAM issued, not expired);
- ``SDK-HMAC-SHA256``: the AK is permanent (``World.credentials``) or temporary
  (:class:`TemporaryKeys`, issued by the IAM emulator); ``X-Sdk-Date`` within 15 minutes; every
  signed header present, ``host`` signed; the signature recomputed with the SK.
- Temporary keys must come with their ``X-Security-Token``, unexpired, and signed (the official
  signer always signs it). The refusals follow the documented gateway form (401,
  ``APIGW.0301``, "Incorrect IAM authentication information: ..."); the documentation lists
  no exact text for a missing, wrong or expired security token, so these follow the wording of
  the documented token cases ("x-auth-token not found", "decrypt token fail", "token expires,
  expires_at: ...").
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from bot.huaweicloud import signing

MAX_CLOCK_SKEW_SECONDS = 15 * 60
PREFIX = "Incorrect IAM authentication information"
Refusal = tuple[int, str, str]  # (HTTP status, error_code, error_msg)


def _refuse(detail: str = "") -> Refusal:
    return 401, "APIGW.0301", f"{PREFIX}: {detail}" if detail else PREFIX


@lru_cache(maxsize=256)  # clients send the same X-Sdk-Date for a whole second
def sdk_date(text: str) -> datetime:
    return datetime.strptime(text, signing.DATE_FORMAT).replace(tzinfo=UTC)


def iam_time(when: datetime) -> str:
    """IAM's ``expires_at`` form: ``2026-11-25T10:41:45.123000Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TemporaryKey:
    ak: str
    sk: str
    security_token: str
    expires_at: datetime
    issued_for: str  # "metadata", "agency ops@acct-b", "token"...


class TemporaryKeys:
    """Temporary AK/SK/security tokens (and IAM tokens) issued by the IAM emulator, checked by
    every emulated gateway. Thread-safe: the servers run on their own loops."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self._lock = threading.Lock()
        self._keys: dict[str, TemporaryKey] = {}
        self._tokens: dict[str, datetime] = {}  # IAM token -> expires_at

    def issue(self, lifetime: timedelta, issued_for: str) -> TemporaryKey:
        key = TemporaryKey(
            ak="TMP" + secrets.token_hex(8).upper(),
            sk=secrets.token_hex(20),
            security_token="st-" + secrets.token_urlsafe(48),
            expires_at=self.now() + lifetime,
            issued_for=issued_for,
        )
        with self._lock:
            self._keys[key.ak] = key
        return key

    def get(self, ak: str) -> TemporaryKey | None:
        with self._lock:
            return self._keys.get(ak)

    def issue_token(self, lifetime: timedelta) -> tuple[str, datetime]:
        token = "MII" + secrets.token_urlsafe(64)
        expires = self.now() + lifetime
        with self._lock:
            self._tokens[token] = expires
        return token, expires

    def token_expiry(self, token: str) -> datetime | None:
        with self._lock:
            return self._tokens.get(token)

    def issued(self) -> list[TemporaryKey]:
        with self._lock:
            return list(self._keys.values())


@dataclass(frozen=True)
class Caller:
    """Who a request authenticated as (for IAM: whose keys asked)."""

    ak: str | None
    token: str | None


def authenticate(
    method: str,
    raw_path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    *,
    permanent: Mapping[str, str],
    tokens: set[str],
    temporary: TemporaryKeys,
    now: datetime,
) -> Caller | Refusal:
    """The caller, or the gateway's refusal. ``headers`` lower-cased."""
    token = headers.get("x-auth-token")
    if token is not None:
        if token in tokens:
            return Caller(None, token)
        expires = temporary.token_expiry(token)
        if expires is None:
            return _refuse("decrypt token fail")
        if now >= expires:
            return _refuse(f"token expires, expires_at: {iam_time(expires)}")
        return Caller(None, token)
    parsed = signing.parse_authorization(headers.get("authorization", ""))
    if parsed is None:
        return _refuse("Authorization missing")
    ak, signed, given = parsed
    sk = permanent.get(ak)
    if sk is None:
        temp = temporary.get(ak)
        if temp is None:
            return _refuse("Get secretKey failed,ak:******,err:ak not exist")
        refusal = _check_security_token(temp, headers, signed, now)
        if refusal is not None:
            return refusal
        sk = temp.sk
    date = headers.get(signing.HEADER_DATE.lower(), "")
    try:
        when = sdk_date(date)
    except ValueError:
        return _refuse("bad X-Sdk-Date")
    if abs((now - when).total_seconds()) > MAX_CLOCK_SKEW_SECONDS:
        return _refuse("the request time is more than 15 minutes away from the server time")
    if "host" not in signed or any(name not in headers for name in signed):
        return _refuse("signed header missing")
    canonical = signing.canonical_request(method, raw_path, query, headers, signed, body)
    expected = signing.signature(sk, signing.string_to_sign(canonical, date))
    if not hmac.compare_digest(expected, given):
        return _refuse("verify aksk signature fail")
    return Caller(ak, None)


def _check_security_token(
    temp: TemporaryKey, headers: Mapping[str, str], signed: Sequence[str], now: datetime
) -> Refusal | None:
    sent = headers.get("x-security-token")
    if sent is None:
        return _refuse("x-security-token not found")
    if not hmac.compare_digest(sent, temp.security_token):
        return _refuse("decrypt security token fail")
    if now >= temp.expires_at:
        return _refuse(f"security token expires, expires_at: {iam_time(temp.expires_at)}")
    if "x-security-token" not in signed:
        return _refuse("verify aksk signature fail")
    return None
