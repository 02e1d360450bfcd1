"""From a source spec (:mod:`bot.config.credentials`) to a
:class:`~bot.huaweicloud.credentials.CredentialProvider`.

Environment variables read here (names and precedence as the official SDK):

- ``environment`` source: ``HUAWEICLOUD_SDK_IDP_ID`` + ``HUAWEICLOUD_SDK_ID_TOKEN_FILE`` (OIDC)
  win over ``HUAWEICLOUD_SDK_AK`` + ``HUAWEICLOUD_SDK_SK`` (+ ``HUAWEICLOUD_SDK_SECURITY_TOKEN``);
  else the bot's ``HUAWEICLOUD_SDK_AUTH_TOKEN`` (an IAM token); ``HUAWEICLOUD_SDK_PROJECT_ID``
  becomes the provider's ``project_id``. The bot hands the AK/SK, tokens and project id in as
  the settings' values (:class:`~bot.config.credentials.EnvironmentCredentials`, so ``.env``
  counts); without them they are read from ``env``;
- ``profile`` source: ``HUAWEICLOUD_SDK_CREDENTIALS_FILE`` when the spec names no file;
- the IAM endpoint, when ``iam_endpoint`` is not given: ``HUAWEICLOUD_SDK_IAM_ENDPOINT``, else
  a profile's ``iam_endpoint``, else the SDK's IAM region table (:mod:`bot.core.regions`), the
  global ``https://iam.myhuaweicloud.com`` outside it;
- the STS endpoint of ``oidc`` with ``via = "sts"``, when the spec gives no ``sts_endpoint``:
  ``HUAWEICLOUD_SDK_STS_ENDPOINT``, else the SDK's STS region table, else the SDK's default
  ``https://sts.cn-north-4.myhuaweicloud.com`` (``StsHelper.get_sts_endpoint(region)``).

Files and variables are read once, when the provider is built (a bad profile is a
:class:`ConfigError` at start-up); only the OIDC id token file is read at every refresh.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from bot.config.credentials import (
    CredentialSource,
    EcsMetadata,
    EnvironmentCredentials,
    EnvironmentKeys,
    IamToken,
    Oidc,
    Profile,
    StaticKeys,
    describe,
)
from bot.core.errors import ConfigError
from bot.core.regions import endpoint_for
from bot.huaweicloud.aiohttp_transport import AiohttpSender
from bot.huaweicloud.credential_profile import read_profile
from bot.huaweicloud.credentials import (
    AuthToken,
    Clock,
    CredentialProvider,
    Fetch,
    SigningKeys,
    utcnow,
)
from bot.huaweicloud.iam import (
    AgencyFetcher,
    MetadataFetcher,
    OidcFetcher,
    StsOidcFetcher,
    discover_project_id,
)
from bot.huaweicloud.transport import Sender

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_IDP_ID = "HUAWEICLOUD_SDK_IDP_ID"
ENV_ID_TOKEN_FILE = "HUAWEICLOUD_SDK_ID_TOKEN_FILE"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
ENV_STS_ENDPOINT = "HUAWEICLOUD_SDK_STS_ENDPOINT"
ENV_AUTH_TOKEN = "HUAWEICLOUD_SDK_AUTH_TOKEN"  # the bot's setting; the SDK has no such variable

__all__ = [
    "build_provider",
    "discover_project_id",
    "environment_credentials",
    "iam_endpoint_for",
    "sts_endpoint_for",
]


def iam_endpoint_for(region: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get(ENV_IAM_ENDPOINT) or str(endpoint_for("iam", region))


def sts_endpoint_for(region: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    if env.get(ENV_STS_ENDPOINT):
        return env[ENV_STS_ENDPOINT].rstrip("/")
    return str(endpoint_for("sts", region))


def build_provider(
    spec: CredentialSource,
    *,
    region: str,
    iam_endpoint: str | None = None,
    sender: Sender | None = None,
    env: Mapping[str, str] | None = None,
    environment: EnvironmentCredentials | None = None,
    now: Clock = utcnow,
) -> CredentialProvider:
    """The provider for ``spec``. ``sender`` carries the IAM/metadata calls (default: its own
    aiohttp pool, closed by ``aclose``); ``env`` defaults to ``os.environ``; ``environment``:
    the keys of the ``environment`` kind as the settings hold them (default: read from
    ``env``); ``now`` is the clock for expiry decisions and ``X-Sdk-Date`` of the IAM calls.
    Nothing is fetched yet: the first ``keys()`` does (``sdrs-bot check`` should call it)."""
    environ: Mapping[str, str] = os.environ if env is None else env
    keys = environment_credentials(environ) if environment is None else environment
    owned = sender is None
    http: Sender = AiohttpSender(max_connections=4) if sender is None else sender
    provider = _build(spec, region, iam_endpoint, http, environ, keys, now)
    if owned:
        provider.close_with(http.aclose)
    return provider


def _build(
    spec: CredentialSource,
    region: str,
    iam_endpoint: str | None,
    sender: Sender,
    env: Mapping[str, str],
    environment: EnvironmentCredentials,
    now: Clock,
) -> CredentialProvider:
    iam = iam_endpoint or iam_endpoint_for(region, env)
    name = describe(spec)
    if isinstance(spec, StaticKeys):
        keys = SigningKeys(spec.ak, spec.sk, spec.security_token)
        return CredentialProvider.fixed(spec.kind, keys, description=name)
    if isinstance(spec, IamToken):
        return CredentialProvider.fixed(spec.kind, AuthToken(spec.token), description=name)
    if isinstance(spec, EcsMetadata):
        fetch: Fetch = MetadataFetcher(spec.endpoint, sender)
        return CredentialProvider(spec.kind, fetch, description=name, now=now)
    if isinstance(spec, Oidc) and spec.via == "sts":
        assert spec.provider_urn is not None and spec.agency_urn is not None  # the spec checked
        fetch = StsOidcFetcher(
            provider_urn=spec.provider_urn,
            agency_urn=spec.agency_urn,
            session_name=spec.session_name,
            id_token_file=spec.id_token_file,
            duration_seconds=spec.duration_seconds,
            sts_endpoint=spec.sts_endpoint or sts_endpoint_for(region, env),
            sender=sender,
        )
        return CredentialProvider(spec.kind, fetch, description=name, now=now)
    if isinstance(spec, Oidc):
        assert spec.idp_id is not None  # the spec checked
        fetch = OidcFetcher(spec.idp_id, spec.id_token_file, spec.duration_seconds, iam, sender)
        return CredentialProvider(spec.kind, fetch, description=name, now=now)
    if isinstance(spec, EnvironmentKeys):
        return _from_env(env, environment, iam, sender, now)
    if isinstance(spec, Profile):
        return _from_profile(spec, env, iam_endpoint, region, sender, now)
    base = _build(spec.base, region, iam_endpoint, sender, env, environment, now)
    fetch = AgencyFetcher(
        base,
        agency_name=spec.agency_name,
        domain_name=spec.domain_name,
        domain_id=spec.domain_id,
        duration_seconds=spec.duration_seconds,
        iam_endpoint=iam,
        sender=sender,
        now=now,
    )
    return CredentialProvider(spec.kind, fetch, description=name, now=now, on_close=base.aclose)


def environment_credentials(env: Mapping[str, str]) -> EnvironmentCredentials:
    """The ``environment`` kind's keys as the variables ``env`` holds them (empty: unset)."""

    def secret(name: str) -> SecretStr | None:
        return SecretStr(env[name]) if env.get(name) else None

    return EnvironmentCredentials(
        ak=env.get(ENV_AK) or None,
        sk=secret(ENV_SK),
        security_token=secret(ENV_SECURITY_TOKEN),
        auth_token=secret(ENV_AUTH_TOKEN),
        project_id=env.get(ENV_PROJECT_ID) or None,
    )


def _given(value: SecretStr | None) -> SecretStr | None:
    return value if value is not None and value.get_secret_value() else None


def _from_env(
    env: Mapping[str, str],
    given: EnvironmentCredentials,
    iam: str,
    sender: Sender,
    now: Clock,
) -> CredentialProvider:
    """OIDC from the environment's ``HUAWEICLOUD_SDK_IDP_ID`` + ``_ID_TOKEN_FILE`` first (as the
    SDK), else the settings' AK/SK, else their IAM token."""
    project = given.project_id or None
    idp_id, token_file = env.get(ENV_IDP_ID), env.get(ENV_ID_TOKEN_FILE)
    if idp_id and token_file:
        fetch = OidcFetcher(idp_id, Path(token_file), 6 * 60 * 60, iam, sender)
        return CredentialProvider(
            "environment", fetch, description="environment (oidc)", now=now, project_id=project
        )
    ak, sk, auth_token = given.ak, _given(given.sk), _given(given.auth_token)
    if (not ak or sk is None) and auth_token is not None:
        iam_token = AuthToken(auth_token)
        provider = CredentialProvider.fixed("environment", iam_token, description="environment")
        provider.project_id = project
        return provider
    if not ak or sk is None:
        raise ConfigError(
            [
                f"environment credentials: set {ENV_AK} and {ENV_SK} "
                f"(or {ENV_IDP_ID} and {ENV_ID_TOKEN_FILE}, or {ENV_AUTH_TOKEN})"
            ]
        )
    keys = SigningKeys(ak, sk, _given(given.security_token))
    provider = CredentialProvider.fixed("environment", keys, description="environment")
    provider.project_id = project
    return provider


def _from_profile(
    spec: Profile,
    env: Mapping[str, str],
    iam_endpoint: str | None,
    region: str,
    sender: Sender,
    now: Clock,
) -> CredentialProvider:
    values = read_profile(spec.file, spec.name, env)
    iam = iam_endpoint or env.get(ENV_IAM_ENDPOINT) or values.iam_endpoint
    iam = iam or iam_endpoint_for(region, env)
    name = f"profile [{spec.name}] of {values.path}"
    if values.idp_id and values.id_token_file:
        fetch = OidcFetcher(values.idp_id, values.id_token_file, 6 * 60 * 60, iam, sender)
        return CredentialProvider(
            "profile", fetch, description=name, now=now, project_id=values.project_id
        )
    assert values.ak is not None and values.sk is not None  # read_profile checked
    keys = SigningKeys(values.ak, values.sk, values.security_token)
    provider = CredentialProvider.fixed("profile", keys, description=name)
    provider.project_id = values.project_id
    return provider
