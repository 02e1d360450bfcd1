"""IAM, its token exchanges, STS and the ECS metadata service, as one local aiohttp server.

Paths and bodies as the official SDK sends them (:mod:`bot.huaweicloud.iam` lists them):

- ``PUT /meta-data/latest/api/token`` (``X-Metadata-Token-Ttl-Seconds``) -> a session token;
  ``GET /openstack/latest/securitykey`` (``X-Metadata-Token``) -> the ECS agency's temporary
  keys, ``{"credential": {access, secret, securitytoken, expires_at}}``; 401 without a valid
  session token;
- ``POST /v3.0/OS-AUTH/id-token/tokens`` (``X-Idp-Id``, an id token the identity provider
  accepts) -> 201, ``X-Subject-Token``;
- ``POST /v3.0/OS-CREDENTIAL/securitytokens``: ``methods: ["token"]`` (a token IAM issued or
  the world knows, in the body) or ``methods: ["assume_role"]`` (a known agency, the request
  authenticated like any API call, temporary keys included) -> 201 with the credential;
- ``GET /v3/projects?name=<region>`` (authenticated) -> the projects of that name;
- STS v5 ``POST /v5/agencies/assume-with-oidc`` (not signed; ``provider_urn``, ``agency_urn``,
  ``agency_session_name``, ``id_token``, ``duration_seconds`` 900..43200, 3600 when absent) ->
  200 ``{"credentials": {access_key_id, secret_access_key, security_token, expiration},
  "assumed_agency": {urn, id}, "provider", ...}`` when the provider accepts the id token (not
  expired by the emulator's clock) and the agency's trust names the provider. What this relies
  on: the request and the answer's names are the SDK's (``OidcStsAccessor``,
  ``IamHelper.get_assume_agency_with_oidc_request``; ``huaweicloudsdksts.v1``'s
  ``AssumeAgencyWithOIDCResponse`` / ``CredentialsDto`` / ``AssumedAgencyWithFederationDto``);
  errors have IAM (new)'s documented error body ``{"error_code", "error_msg", "request_id"}``
  (API reference "Error codes", ``support.huaweicloud.com/api-iam5/ErrorCode``) with the HTTP
  status of the case (400 bad request, 401 id token refused, 403 agency does not trust the
  provider, 404 no such provider). The ``STS5.*`` code numbers are the emulator's own: STS's
  table of codes for these cases was not in the material found, so nothing should match on
  the numbers.

Temporary keys live ``lifetime`` (when set; else the ``duration_seconds`` asked for, 900 s by
default as IAM) and are checked by every gateway that shares :class:`TemporaryKeys`.
``down`` makes a part answer 503 (``"metadata"``, ``"iam"``, ``"sts"``); ``counts`` counts what
was served (``"securitykey"``, ``"assume_role"``, ``"token"``, ``"id-token"``, ``"projects"``,
``"assume-with-oidc"``).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.sandbox import gateway
from bot.sandbox.gateway import TemporaryKey, TemporaryKeys, iam_time
from bot.sandbox.runner import AppThread

DEFAULT_DURATION = timedelta(seconds=900)
METADATA_TOKEN_TTL_MAX = 21600
STS_DEFAULT_DURATION_SECONDS = 3600
STS_DURATION_RANGE = range(900, 43200 + 1)
# the emulator's own code numbers (see the module docstring)
STS_BAD_REQUEST = "STS5.0400"
STS_ID_TOKEN_REFUSED = "STS5.0401"
STS_NOT_TRUSTED = "STS5.0403"
STS_NO_PROVIDER = "STS5.0404"
STS_UNAVAILABLE = "STS5.0503"


@dataclass
class IamState:
    """What IAM knows; edit it before or between requests (tests)."""

    permanent: dict[str, str] = field(default_factory=dict)  # AK -> SK
    tokens: set[str] = field(default_factory=set)  # permanent IAM tokens
    projects: dict[str, list[str]] = field(default_factory=dict)  # region name -> project ids
    agencies: set[tuple[str, str]] = field(default_factory=set)  # (domain name or id, agency)
    id_tokens: dict[str, set[str]] = field(default_factory=dict)  # idp id -> accepted id tokens
    ecs_agency: str | None = "ecs-agency"  # None: "Please configure Cloud Service Agency first"
    # STS: OIDC provider urn -> the id tokens it accepts and when each expires (None: never)
    oidc_providers: dict[str, dict[str, datetime | None]] = field(default_factory=dict)
    # STS: trust agency urn -> the provider urns its trust policy names
    trust_agencies: dict[str, set[str]] = field(default_factory=dict)


def _iam_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error_msg": message, "error_code": code},
        status=status,
        headers={"X-IAM-Trace-Id": uuid.uuid4().hex},
    )


def _sts_error(status: int, code: str, message: str) -> web.Response:
    request_id = uuid.uuid4().hex
    return web.json_response(
        {"error_code": code, "error_msg": message, "request_id": request_id},
        status=status,
        headers={"X-Request-Id": request_id},
    )


def _credential(key: TemporaryKey) -> dict[str, Any]:
    return {
        "credential": {
            "access": key.ak,
            "secret": key.sk,
            "securitytoken": key.security_token,
            "expires_at": iam_time(key.expires_at),
        }
    }


class IamEmulator:
    def __init__(
        self,
        temporary: TemporaryKeys,
        state: IamState | None = None,
        *,
        lifetime: timedelta | None = None,
    ) -> None:
        self.temporary = temporary
        self.state = state if state is not None else IamState()
        self.lifetime = lifetime
        self.down: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._metadata_tokens: set[str] = set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/meta-data/latest/api/token", self._metadata_token)
        app.router.add_get("/openstack/latest/securitykey", self._security_key)
        app.router.add_post("/v3.0/OS-AUTH/id-token/tokens", self._id_token)
        app.router.add_post("/v3.0/OS-CREDENTIAL/securitytokens", self._security_tokens)
        app.router.add_get("/v3/projects", self._projects)
        app.router.add_post("/v5/agencies/assume-with-oidc", self._assume_with_oidc)
        return app

    def _life(self, asked: int | None) -> timedelta:
        if self.lifetime is not None:
            return self.lifetime
        return timedelta(seconds=asked) if asked else DEFAULT_DURATION

    async def _record(self, request: web.Request) -> bytes:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.requests.append((request.method, request.path_qs, headers, body))
        return body

    # ---- metadata -----------------------------------------------------------------------
    async def _metadata_token(self, request: web.Request) -> web.Response:
        await self._record(request)
        if "metadata" in self.down:
            return web.Response(status=503, text="service unavailable")
        ttl = request.headers.get("X-Metadata-Token-Ttl-Seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= METADATA_TOKEN_TTL_MAX:
            return web.Response(status=400, text="invalid X-Metadata-Token-Ttl-Seconds")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._metadata_tokens.add(token)
        return web.Response(text=token)

    def forget_metadata_sessions(self) -> None:
        """The session tokens expire (the client must ask for a new one)."""
        with self._lock:
            self._metadata_tokens.clear()

    async def _security_key(self, request: web.Request) -> web.Response:
        await self._record(request)
        if "metadata" in self.down:
            return web.Response(status=503, text="service unavailable")
        with self._lock:
            known = request.headers.get("X-Metadata-Token") in self._metadata_tokens
        if not known:
            return web.Response(status=401, text="Unauthorized")
        agency = self.state.ecs_agency
        if agency is None:
            return web.Response(status=401, text="Please configure Cloud Service Agency first")
        self.counts["securitykey"] += 1
        key = self.temporary.issue(self._life(None), f"metadata {agency}")
        return web.json_response(_credential(key))

    # ---- IAM ----------------------------------------------------------------------------
    def _caller(self, request: web.Request, body: bytes) -> gateway.Caller | web.Response:
        outcome = gateway.authenticate(
            request.method,
            request.raw_path.split("?", 1)[0],
            parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True),
            {k.lower(): v for k, v in request.headers.items()},
            body,
            permanent=self.state.permanent,
            tokens=self.state.tokens,
            temporary=self.temporary,
            now=self.temporary.now(),
        )
        if isinstance(outcome, tuple):
            status, code, message = outcome
            return web.json_response(
                {"error_code": code, "error_msg": message, "request_id": uuid.uuid4().hex},
                status=status,
            )
        return outcome

    async def _id_token(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if "iam" in self.down:
            return _iam_error(503, "IAM.0006", "service unavailable")
        idp = request.headers.get("X-Idp-Id", "")
        data = _json(body)
        id_token = _dig(data, "auth", "id_token", "id")
        if idp not in self.state.id_tokens:
            return _iam_error(404, "IAM.0004", f"identity provider {idp!r} not found")
        if not isinstance(id_token, str) or id_token not in self.state.id_tokens[idp]:
            return _iam_error(401, "IAM.0001", "The id_token is invalid")
        self.counts["id-token"] += 1
        token, expires = self.temporary.issue_token(timedelta(hours=24))
        answer = {"token": {"expires_at": iam_time(expires), "methods": ["mapped"]}}
        return web.json_response(answer, status=201, headers={"X-Subject-Token": token})

    async def _security_tokens(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if "iam" in self.down:
            return _iam_error(503, "IAM.0006", "service unavailable")
        data = _json(body)
        methods = _dig(data, "auth", "identity", "methods")
        if methods == ["token"]:
            return self._by_token(request, data)
        if methods == ["assume_role"]:
            caller = self._caller(request, body)
            if isinstance(caller, web.Response):
                return caller
            return self._assume_role(data)
        return _iam_error(400, "IAM.0011", "Request parameter error: methods")

    def _by_token(self, request: web.Request, data: Any) -> web.Response:
        token = _dig(data, "auth", "identity", "token", "id")
        if not isinstance(token, str):
            token = request.headers.get("X-Auth-Token")
        expires = self.temporary.token_expiry(token) if isinstance(token, str) else None
        known = isinstance(token, str) and token in self.state.tokens
        if not known and (expires is None or self.temporary.now() >= expires):
            return _iam_error(401, "IAM.0001", "The token is invalid or expired")
        duration = _dig(data, "auth", "identity", "token", "duration_seconds")
        self.counts["token"] += 1
        key = self.temporary.issue(self._life(_int(duration)), "token")
        return web.json_response(_credential(key), status=201)

    def _assume_role(self, data: Any) -> web.Response:
        role = _dig(data, "auth", "identity", "assume_role")
        if not isinstance(role, Mapping):
            return _iam_error(400, "IAM.0011", "Request parameter error: assume_role")
        agency = role.get("agency_name")
        domain = role.get("domain_name") or role.get("domain_id")
        if not isinstance(agency, str) or not isinstance(domain, str):
            return _iam_error(400, "IAM.0011", "Request parameter error: agency or domain")
        if (domain, agency) not in self.state.agencies:
            return _iam_error(404, "IAM.0004", f"agency {agency!r} not found in {domain!r}")
        self.counts["assume_role"] += 1
        duration = _int(role.get("duration_seconds"))
        key = self.temporary.issue(self._life(duration), f"agency {agency}@{domain}")
        return web.json_response(_credential(key), status=201)

    async def _projects(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if "iam" in self.down:
            return _iam_error(503, "IAM.0006", "service unavailable")
        caller = self._caller(request, body)
        if isinstance(caller, web.Response):
            return caller
        self.counts["projects"] += 1
        name = request.query.get("name")
        regions = [name] if name else list(self.state.projects)
        projects = [
            {"id": pid, "name": region, "enabled": True, "is_domain": False}
            for region in regions
            for pid in self.state.projects.get(region, [])
        ]
        return web.json_response(
            {"projects": projects, "links": {"self": str(request.url)}},
            headers={"X-IAM-Trace-Id": uuid.uuid4().hex},
        )

    # ---- STS ----------------------------------------------------------------------------
    async def _assume_with_oidc(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if "sts" in self.down:
            return _sts_error(503, STS_UNAVAILABLE, "service unavailable")
        data = _json(body)
        if not isinstance(data, Mapping):
            return _sts_error(400, STS_BAD_REQUEST, "request body is not a JSON object")
        names = ("provider_urn", "agency_urn", "agency_session_name", "id_token")
        missing = [n for n in names if not isinstance(data.get(n), str) or not data.get(n)]
        if missing:
            return _sts_error(400, STS_BAD_REQUEST, f"missing or invalid: {', '.join(missing)}")
        duration = data.get("duration_seconds", STS_DEFAULT_DURATION_SECONDS)
        if _int(duration) is None or duration not in STS_DURATION_RANGE:
            return _sts_error(400, STS_BAD_REQUEST, "duration_seconds must be 900 to 43200")
        provider, agency = str(data["provider_urn"]), str(data["agency_urn"])
        accepted = self.state.oidc_providers.get(provider)
        if accepted is None:
            return _sts_error(404, STS_NO_PROVIDER, f"identity provider {provider!r} not found")
        id_token = str(data["id_token"])
        if id_token not in accepted:
            return _sts_error(401, STS_ID_TOKEN_REFUSED, "invalid id_token")
        expires = accepted[id_token]
        if expires is not None and self.temporary.now() >= expires:
            return _sts_error(401, STS_ID_TOKEN_REFUSED, "id_token has expired")
        if provider not in self.state.trust_agencies.get(agency, set()):
            return _sts_error(
                403, STS_NOT_TRUSTED, f"access denied: {agency!r} does not trust {provider!r}"
            )
        self.counts["assume-with-oidc"] += 1
        session = str(data["agency_session_name"])
        key = self.temporary.issue(self._life(int(duration)), f"sts {agency}/{session}")
        answer = {
            "credentials": {
                "access_key_id": key.ak,
                "secret_access_key": key.sk,
                "security_token": key.security_token,
                "expiration": iam_time(key.expires_at),
            },
            "assumed_agency": {
                "urn": agency.replace("iam::", "sts::", 1).replace(":agency:", ":assumed-agency:")
                + f"/{session}",
                "id": f"{uuid.uuid4().hex}:{session}",
            },
            "provider": provider,
        }
        return web.json_response(answer)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class IamThread(AppThread):
    """Runs an :class:`IamEmulator` on port 0 in a daemon thread."""

    def __init__(self, emulator: IamEmulator, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(emulator.app(), host, port)
        self.emulator = emulator
