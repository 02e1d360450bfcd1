"""Huawei Cloud AK/SK request signing (``SDK-HMAC-SHA256``) of a request given as parts
(method, quoted path, query pairs, headers, body): ``sign_headers`` adds the headers.

The algorithm (the reference is ``huaweicloudsdkcore.signer.Signer``):

1. ``X-Sdk-Date`` = UTC time ``%Y%m%dT%H%M%SZ`` (the gateway refuses more than 15 min of skew).
2. Signed headers: every header the caller set, lower-cased and sorted, except names containing
   ``_`` (the SDK skips those) and the transport headers the HTTP library adds after signing in
   the SDK too (``accept``, ``accept-encoding``, ``connection``, ``content-length``...).
   ``host`` is always signed.
3. Canonical request = method, canonical URI (path unquoted, each segment quoted with
   ``safe='~'``, a trailing ``/`` added for signing only), canonical query (pairs sorted, each
   part quoted with ``safe='~'``), ``name:value\\n`` per signed header, the signed-header list,
   and the hex SHA-256 of the body (``UNSIGNED-PAYLOAD`` for non-JSON bodies, as the SDK does).
4. String to sign = ``SDK-HMAC-SHA256\\n<date>\\n<hex sha256(canonical request)>``; signature =
   hex HMAC-SHA256 keyed with the SK.

The pure functions here are shared by the client (to sign) and the SDRS emulator (to verify),
so both sides of a test speak the same canonical form; the tests check that form against the
official SDK's signer independently.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote, unquote

from pydantic import SecretStr

from bot.huaweicloud.credentials import AuthToken, Credential, CredentialProvider

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
HEADER_DATE = "X-Sdk-Date"
HEADER_CONTENT_SHA = "X-Sdk-Content-Sha256"
HEADER_PROJECT = "X-Project-Id"
HEADER_SECURITY_TOKEN = "X-Security-Token"  # temporary keys; signed like every other header
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()

# Added by the HTTP library at send time; the SDK (on requests) never signs them either, and a
# proxy may legitimately rewrite them.
UNSIGNED_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "authorization",
        "connection",
        "content-length",
        "transfer-encoding",
    }
)


def encode(part: str) -> str:
    """Percent-encode one URI segment or query part the way the gateway canonicalises it."""
    return quote(part, safe="~")


@lru_cache(maxsize=4096)  # the same few paths are signed over and over (job polling)
def canonical_uri(raw_path: str) -> str:
    path = "/".join(encode(seg) for seg in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(pairs))


def signed_header_names(headers: Iterable[str]) -> list[str]:
    names = {h.lower() for h in headers}
    return sorted(n for n in names if "_" not in n and n not in UNSIGNED_HEADERS)


def body_digest(body: bytes, headers: Mapping[str, str]) -> str:
    if not body:
        return EMPTY_BODY_SHA256
    lowered = {k.lower(): v for k, v in headers.items()}
    preset = lowered.get(HEADER_CONTENT_SHA.lower())
    if preset:
        return preset
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    raw_path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed: list[str],
    body: bytes,
) -> str:
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    header_lines = "".join(f"{name}:{lowered.get(name, '')}\n" for name in signed)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(query),
            header_lines,
            ";".join(signed),
            body_digest(body, headers),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.digest(secret_key.encode("utf-8"), to_sign.encode("utf-8"), "sha256").hex()


def authorization_header(access_key: str, signed: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={sig}"


def parse_authorization(value: str) -> tuple[str, list[str], str] | None:
    """Split an ``SDK-HMAC-SHA256`` Authorization header into (AK, signed headers, signature)."""
    algorithm, _, rest = value.partition(" ")
    if algorithm != ALGORITHM:
        return None
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = val
    try:
        return parts["Access"], parts["SignedHeaders"].split(";"), parts["Signature"]
    except KeyError:
        return None


def needs_unsigned_payload(headers: Mapping[str, str]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return bool(content_type) and not content_type.startswith(
        ("application/json", "application/bson")
    )


class AkSkAuth:
    """Signs each request with AK/SK; adds ``X-Project-Id`` when a project id is given.

    Temporary keys come with a ``security_token``: it is sent as ``X-Security-Token`` and, being
    set before signing, is one of the signed headers (the SDK's ``Credentials.sign_request``).
    """

    def __init__(
        self,
        access_key: str,
        secret_key: SecretStr,
        project_id: str | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        security_token: SecretStr | None = None,
    ) -> None:
        self._ak = access_key
        self._sk = secret_key
        self._secret = secret_key.get_secret_value()
        self._security_token = security_token
        self._project_id = project_id
        self._now = now or (lambda: datetime.now(UTC))
        self._date_second = -1
        self._date_text = ""

    def __repr__(self) -> str:
        return f"AkSkAuth(access_key={self._ak!r}, secret_key=SecretStr('**********'))"

    def _date(self) -> str:
        """``X-Sdk-Date`` for now (formatted once per second)."""
        now = self._now()
        second = int(now.timestamp())
        if second != self._date_second:
            self._date_second, self._date_text = second, now.strftime(DATE_FORMAT)
        return self._date_text

    def sign_headers(
        self,
        method: str,
        raw_path: str,
        query: Sequence[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None:
        """Sign a request given as parts: ``headers`` (with ``Host``) gets ``X-Project-Id``,
        ``X-Sdk-Date`` and ``Authorization``. ``raw_path`` is the path as sent (quoted)."""
        if self._project_id and HEADER_PROJECT not in headers:
            headers[HEADER_PROJECT] = self._project_id
        if self._security_token is not None:
            headers[HEADER_SECURITY_TOKEN] = self._security_token.get_secret_value()
        if HEADER_DATE not in headers:
            headers[HEADER_DATE] = self._date()
        if body and needs_unsigned_payload(headers):
            headers[HEADER_CONTENT_SHA] = "UNSIGNED-PAYLOAD"
        signed = signed_header_names(headers.keys())
        canonical = canonical_request(method, raw_path, query, headers, signed, body)
        sig = signature(self._secret, string_to_sign(canonical, headers[HEADER_DATE]))
        headers["Authorization"] = authorization_header(self._ak, signed, sig)


class TokenAuth:
    """IAM token authentication: ``X-Auth-Token`` (plus ``X-Project-Id``)."""

    def __init__(self, token: SecretStr, project_id: str | None = None) -> None:
        self._token = token
        self._project_id = project_id

    def __repr__(self) -> str:
        return "TokenAuth(token=SecretStr('**********'))"

    def sign_headers(
        self,
        method: str,
        raw_path: str,
        query: Sequence[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None:
        headers["X-Auth-Token"] = self._token.get_secret_value()
        if self._project_id and HEADER_PROJECT not in headers:
            headers[HEADER_PROJECT] = self._project_id


class ProviderAuth:
    """Signs with whatever a :class:`~bot.huaweicloud.credentials.CredentialProvider` holds:
    :meth:`signer` awaits one snapshot and returns the signer for it (``AkSkAuth`` with the
    security token, or ``TokenAuth``), to sign one attempt of one request with.
    ``CloudHttp`` calls it per attempt."""

    def __init__(
        self,
        provider: CredentialProvider,
        project_id: str | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """``now`` is the clock for ``X-Sdk-Date`` (tests share one fake clock)."""
        self.provider = provider
        self._project_id = project_id
        self._now = now
        self._for: Credential | None = None
        self._signer: AkSkAuth | TokenAuth | None = None

    def __repr__(self) -> str:
        return f"ProviderAuth({self.provider!r})"

    async def signer(self) -> AkSkAuth | TokenAuth:
        return (await self.snapshot())[0]

    async def snapshot(self) -> tuple[AkSkAuth | TokenAuth, Credential]:
        """The signer for one snapshot, and that snapshot (the gateway's verdict on the
        request goes back to the provider: :meth:`CredentialProvider.judged`)."""
        credential = await self.provider.keys()
        if credential is not self._for or self._signer is None:
            self._signer = self._build(credential)
            self._for = credential
        return self._signer, credential

    def _build(self, credential: Credential) -> AkSkAuth | TokenAuth:
        if isinstance(credential, AuthToken):
            return TokenAuth(credential.token, self._project_id)
        return AkSkAuth(
            credential.ak,
            credential.sk,
            self._project_id,
            now=self._now,
            security_token=credential.security_token,
        )
