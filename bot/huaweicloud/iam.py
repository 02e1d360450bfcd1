"""The calls that obtain temporary keys and the project id, as the official SDK makes them
(``huaweicloudsdkcore.auth.internal``: ``MetadataAccessor``, ``FederalAccessor``,
``IamHelper``; the IAM API reference for ``assume_role``):

- ECS metadata: ``PUT {endpoint}/meta-data/latest/api/token`` with
  ``X-Metadata-Token-Ttl-Seconds: 21600`` -> the session token (text); then
  ``GET {endpoint}/openstack/latest/securitykey`` with ``X-Metadata-Token`` ->
  ``{"credential": {access, secret, securitytoken, expires_at}}``. A 401 without "Please
  configure Cloud Service Agency first" means the session token expired: get a new one, ask once
  more.
- OIDC: ``POST {iam}/v3.0/OS-AUTH/id-token/tokens`` with ``X-Idp-Id`` and
  ``{"auth": {"id_token": {"id": <id token>}}}`` -> an unscoped IAM token in
  ``X-Subject-Token``; then ``POST {iam}/v3.0/OS-CREDENTIAL/securitytokens`` with
  ``{"auth": {"identity": {"methods": ["token"], "token": {"id", "duration_seconds"}}}}``.
  Neither request is signed (the SDK sends them as they are).
- OIDC at STS (``OidcStsAccessor``, ``IamHelper.get_assume_agency_with_oidc_request``):
  ``POST {sts}/v5/agencies/assume-with-oidc``, ``Content-Type: application/json;charset=UTF-8``,
  no query, not signed, body ``{"provider_urn", "agency_urn", "agency_session_name",
  "id_token", "duration_seconds"}`` -> 200 ``{"credentials": {access_key_id,
  secret_access_key, security_token, expiration}, "assumed_agency": ..., ...}``. ``{sts}`` is
  the spec's ``sts_endpoint``, else ``HUAWEICLOUD_SDK_STS_ENDPOINT``, else the region's STS
  endpoint (``StsHelper.get_sts_endpoint(region)``).
- Agency: ``POST {iam}/v3.0/OS-CREDENTIAL/securitytokens`` with ``{"auth": {"identity":
  {"methods": ["assume_role"], "assume_role": {"agency_name", "domain_name" | "domain_id",
  "duration_seconds"}}}}``, signed with the base source's keys (or its ``X-Auth-Token``).
- Project id: ``GET {iam}/v3/projects?name=<region>`` signed with the keys; exactly one project
  is expected (the SDK refuses none and several, naming the ids).

Non-2xx answers become the :mod:`bot.core.errors` tree (:func:`bot.huaweicloud.errors.error_for`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.core.errors import CloudError, ResponseFormatError
from bot.huaweicloud.aiohttp_transport import AiohttpSender
from bot.huaweicloud.credentials import (
    AuthToken,
    Clock,
    Credential,
    CredentialProvider,
    SigningKeys,
    utcnow,
)
from bot.huaweicloud.errors import error_for
from bot.huaweicloud.signing import AkSkAuth, TokenAuth, canonical_query
from bot.huaweicloud.transport import Answer, Sender, Timeouts

USER_AGENT = "sdrs-bot/0.1 (credentials)"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
METADATA_TOKEN_PATH = "/meta-data/latest/api/token"
METADATA_SECURITY_KEY_PATH = "/openstack/latest/securitykey"
METADATA_TOKEN_HEADER = "X-Metadata-Token"
METADATA_TTL_HEADER = "X-Metadata-Token-Ttl-Seconds"
METADATA_TOKEN_TTL_SECONDS = 6 * 60 * 60
AGENCY_NOT_CONFIGURED = "Please configure Cloud Service Agency first"
ID_TOKEN_PATH = "/v3.0/OS-AUTH/id-token/tokens"
SECURITY_TOKENS_PATH = "/v3.0/OS-CREDENTIAL/securitytokens"
PROJECTS_PATH = "/v3/projects"
ASSUME_WITH_OIDC_PATH = "/v5/agencies/assume-with-oidc"
METADATA_TIMEOUTS = Timeouts(connect=3.0, read=3.0)  # as the SDK
IAM_TIMEOUTS = Timeouts(connect=5.0, read=15.0)
# the names of a credential's parts, as the SDK's StsAccessor._process_credential reads them:
# IAM's and the metadata service's first, then STS v5's, then the camel-case ones
_ACCESS = ("access", "access_key_id", "accessKeyId")
_SECRET = ("secret", "secret_access_key", "secretAccessKey")
_TOKEN = ("securitytoken", "security_token", "securityToken")
_EXPIRES = ("expires_at", "expiration")


class CredentialSourceError(CloudError):
    """A credential source answered, but not with usable credentials."""


def parse_expires_at(text: str) -> datetime:
    """IAM's ``2026-11-25T10:41:45.123000Z`` (with or without fractions) as an aware UTC time."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_credential(body: bytes, what: str) -> SigningKeys:
    """``{"credential": {access, secret, securitytoken, expires_at}}`` (IAM, ECS metadata) or
    ``{"credentials": {access_key_id, secret_access_key, security_token, expiration}}`` (STS
    v5); like the SDK, also a bare object and the other's names."""
    try:
        data = json.loads(body)
    except ValueError:
        raise ResponseFormatError(f"{what}: answer is not JSON") from None
    if isinstance(data, dict):
        data = data.get("credential", data.get("credentials", data))
    if not isinstance(data, dict):
        raise ResponseFormatError(f"{what}: answer is not a credential object")
    access, secret = _first(data, _ACCESS), _first(data, _SECRET)
    token, expires = _first(data, _TOKEN), _first(data, _EXPIRES)
    missing = [
        names[0]
        for names, value in ((_ACCESS, access), (_SECRET, secret), (_EXPIRES, expires))
        if value is None
    ]
    if missing:
        raise ResponseFormatError(f"{what}: credential without {', '.join(missing)}")
    assert access is not None and secret is not None and expires is not None
    try:
        expires_at = parse_expires_at(expires)
    except ValueError:
        raise ResponseFormatError(f"{what}: expires_at is not a time") from None
    return SigningKeys(
        ak=access,
        sk=SecretStr(secret),
        security_token=SecretStr(token) if token else None,
        expires_at=expires_at,
    )


def _first(data: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return None


async def _send(
    sender: Sender,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    timeouts: Timeouts,
) -> Answer:
    answer = await sender.send(method, url, headers, body, timeouts)
    if not 200 <= answer.status < 300:
        raise error_for(answer.status, answer.body, answer.headers, method, url)
    return answer


def _base_headers(url: str, body: bytes) -> dict[str, str]:
    headers = {"Host": urlsplit(url).netloc, "User-Agent": USER_AGENT}
    if body:
        headers["Content-Type"] = JSON_CONTENT_TYPE
    return headers


def _sign(
    credential: Credential,
    method: str,
    url: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    now: Clock,
) -> None:
    if isinstance(credential, AuthToken):
        TokenAuth(credential.token).sign_headers(method, "", query, headers, body)
        return
    signer = AkSkAuth(
        credential.ak, credential.sk, now=now, security_token=credential.security_token
    )
    signer.sign_headers(method, urlsplit(url).path, query, headers, body)


class MetadataFetcher:
    """Temporary keys of the ECS's agency, from the metadata service (keeps its session
    token between refreshes, as the SDK's ``MetadataAccessor``)."""

    def __init__(self, endpoint: str, sender: Sender) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._sender = sender
        self._token: str | None = None

    async def __call__(self) -> Credential:
        if self._token is None:
            self._token = await self._session_token()
        answer = await self._security_key()
        if answer.status == 401 and AGENCY_NOT_CONFIGURED not in _text(answer.body):
            self._token = await self._session_token()
            answer = await self._security_key()
        url = self._endpoint + METADATA_SECURITY_KEY_PATH
        if answer.status >= 300:
            raise error_for(answer.status, answer.body, answer.headers, "GET", url)
        return parse_credential(answer.body, "ECS metadata securitykey")

    async def _session_token(self) -> str:
        url = self._endpoint + METADATA_TOKEN_PATH
        headers = {METADATA_TTL_HEADER: str(METADATA_TOKEN_TTL_SECONDS)}
        answer = await _send(self._sender, "PUT", url, headers, b"", METADATA_TIMEOUTS)
        return _text(answer.body).strip()

    async def _security_key(self) -> Answer:
        url = self._endpoint + METADATA_SECURITY_KEY_PATH
        headers = {METADATA_TOKEN_HEADER: self._token} if self._token else {}
        return await self._sender.send("GET", url, headers, b"", METADATA_TIMEOUTS)


class OidcFetcher:
    """Exchanges the id token (read from its file each time) for temporary keys."""

    def __init__(
        self,
        idp_id: str,
        id_token_file: Path,
        duration_seconds: int,
        iam_endpoint: str,
        sender: Sender,
    ) -> None:
        self._idp_id = idp_id
        self._file = id_token_file
        self._duration = duration_seconds
        self._iam = iam_endpoint.rstrip("/")
        self._sender = sender

    async def __call__(self) -> Credential:
        id_token = read_id_token(self._file)
        url = self._iam + ID_TOKEN_PATH
        body = _json({"auth": {"id_token": {"id": id_token}}})
        headers = {**_base_headers(url, body), "X-Idp-Id": self._idp_id}
        answer = await _send(self._sender, "POST", url, headers, body, IAM_TIMEOUTS)
        token = answer.headers.get("X-Subject-Token")
        if not token:
            raise CredentialSourceError(
                f"POST {ID_TOKEN_PATH}: no X-Subject-Token in the answer", method="POST", url=url
            )
        url = self._iam + SECURITY_TOKENS_PATH
        identity = {
            "methods": ["token"],
            "token": {"id": token, "duration_seconds": self._duration},
        }
        body = _json({"auth": {"identity": identity}})
        answer = await _send(
            self._sender, "POST", url, _base_headers(url, body), body, IAM_TIMEOUTS
        )
        return parse_credential(answer.body, f"POST {SECURITY_TOKENS_PATH}")


class StsOidcFetcher:
    """Exchanges the id token (read from its file each time) at STS for the temporary keys of
    a trust agency (``AssumeAgencyWithOIDC``, one unsigned call)."""

    def __init__(
        self,
        *,
        provider_urn: str,
        agency_urn: str,
        session_name: str,
        id_token_file: Path,
        duration_seconds: int,
        sts_endpoint: str,
        sender: Sender,
    ) -> None:
        self._fields = {
            "provider_urn": provider_urn,
            "agency_urn": agency_urn,
            "agency_session_name": session_name,
        }
        self._file = id_token_file
        self._duration = duration_seconds
        self._url = sts_endpoint.rstrip("/") + ASSUME_WITH_OIDC_PATH
        self._sender = sender

    async def __call__(self) -> Credential:
        id_token = read_id_token(self._file)
        # the SDK's key order: provider_urn, agency_urn, agency_session_name, id_token, duration
        payload = {**self._fields, "id_token": id_token, "duration_seconds": self._duration}
        body = _json(payload)
        headers = _base_headers(self._url, body)
        answer = await _send(self._sender, "POST", self._url, headers, body, IAM_TIMEOUTS)
        return parse_credential(answer.body, f"POST {ASSUME_WITH_OIDC_PATH}")


def read_id_token(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CredentialSourceError(
            f"id token file {path} cannot be read ({type(exc).__name__})"
        ) from None
    if not text:
        raise CredentialSourceError(f"id token file {path} is empty")
    return text


class AgencyFetcher:
    """Temporary keys of an agency (possibly in another account), asked for with the keys of
    the ``base`` provider."""

    def __init__(
        self,
        base: CredentialProvider,
        *,
        agency_name: str,
        domain_name: str | None,
        domain_id: str | None,
        duration_seconds: int,
        iam_endpoint: str,
        sender: Sender,
        now: Clock = utcnow,
    ) -> None:
        self._base = base
        role: dict[str, Any] = {"agency_name": agency_name, "duration_seconds": duration_seconds}
        if domain_name is not None:
            role["domain_name"] = domain_name
        if domain_id is not None:
            role["domain_id"] = domain_id
        self._body = _json(
            {"auth": {"identity": {"methods": ["assume_role"], "assume_role": role}}}
        )
        self._url = iam_endpoint.rstrip("/") + SECURITY_TOKENS_PATH
        self._sender = sender
        self._now = now

    async def __call__(self) -> Credential:
        base = await self._base.keys()
        headers = _base_headers(self._url, self._body)
        _sign(base, "POST", self._url, [], headers, self._body, self._now)
        answer = await _send(self._sender, "POST", self._url, headers, self._body, IAM_TIMEOUTS)
        return parse_credential(answer.body, f"POST {SECURITY_TOKENS_PATH} (assume_role)")


async def discover_project_id(
    provider: CredentialProvider,
    *,
    region: str,
    iam_endpoint: str,
    sender: Sender | None = None,
    now: Clock = utcnow,
) -> str:
    """The id of the project named ``region`` (``GET /v3/projects?name=<region>``), as the SDK
    finds it when no project id is configured; exactly one must match. Signed with the
    provider's current keys; ``sender`` defaults to a pool opened and closed for this call."""
    if sender is None:
        own = AiohttpSender(max_connections=1)
        try:
            return await discover_project_id(
                provider, region=region, iam_endpoint=iam_endpoint, sender=own, now=now
            )
        finally:
            await own.aclose()
    url = iam_endpoint.rstrip("/") + PROJECTS_PATH
    query = [("name", region)]
    full = f"{url}?{canonical_query(query)}"
    headers = _base_headers(url, b"")
    headers["Content-Type"] = "application/json"
    _sign(await provider.keys(), "GET", url, query, headers, b"", now)
    answer = await _send(sender, "GET", full, headers, b"", IAM_TIMEOUTS)
    trace = answer.headers.get("X-IAM-Trace-Id") or "none"
    try:
        data = json.loads(answer.body)
    except ValueError:
        raise ResponseFormatError(f"GET {PROJECTS_PATH}: answer is not JSON") from None
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, list):
        raise ResponseFormatError(f"GET {PROJECTS_PATH}: no projects list")
    ids = [str(p.get("id")) for p in projects if isinstance(p, Mapping) and p.get("id")]
    if not ids:
        raise CredentialSourceError(
            f"no project named {region!r} in this account (X-IAM-Trace-Id {trace}); "
            "set the project id explicitly",
            method="GET",
            url=full,
        )
    if len(ids) > 1:
        raise CredentialSourceError(
            f"several projects named {region!r}: {', '.join(ids)} (X-IAM-Trace-Id {trace}); "
            "set the project id explicitly",
            method="GET",
            url=full,
        )
    return ids[0]


def _json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data).encode("utf-8")


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
