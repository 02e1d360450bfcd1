"""Where the credentials of one account come from: plain, validated, frozen values.

The accounts file (TOML) describes each account's source as a table with a ``kind``; the
:data:`CredentialSource` union parses it (``SOURCE_ADAPTER.validate_python(table)``) and names every
problem. :func:`bot.huaweicloud.credential_sources.build_provider` turns a spec into a provider.

The kinds follow the official SDK's credential providers (``huaweicloudsdkcore.auth.provider``):

- ``static``: an AK/SK, optionally with a security token (temporary keys handed in from outside);
- ``token``: an IAM token (``X-Auth-Token``);
- ``environment``: ``HUAWEICLOUD_SDK_AK``/``_SK``/``_SECURITY_TOKEN``, or
  ``HUAWEICLOUD_SDK_IDP_ID`` + ``HUAWEICLOUD_SDK_ID_TOKEN_FILE`` (OIDC), as
  ``EnvCredentialProvider`` reads them;
- ``profile``: the SDK's INI credentials file (``HUAWEICLOUD_SDK_CREDENTIALS_FILE``, else
  ``~/.huaweicloud/credentials``), one section per profile (the SDK reads ``[basic]``);
- ``ecs-metadata``: the temporary keys of the ECS's agency from the metadata service;
- ``oidc``: an OpenID Connect id token exchanged for temporary keys, at IAM (``via = "iam"``,
  the default: ``idp_id``, as the SDK's ``FederalAccessor``) or at STS (``via = "sts"``:
  ``provider_urn`` + ``agency_urn``, as the SDK's ``OidcStsCredentialProvider``);
- ``assume-agency``: temporary keys of an agency in another account, obtained with the keys of
  another source (``base``).

Secrets are ``SecretStr``: they never show in ``repr`` or validation errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.core.errors import ConfigError

# IAM's documented bounds for duration_seconds of temporary keys (securitytokens API)
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 86400
# the SDK's FederalAccessor asks for 6 h
OIDC_DEFAULT_DURATION_SECONDS = 6 * 60 * 60
# STS AssumeAgencyWithOIDC: 900 s up to the trust agency's maximum session (1 h to 12 h);
# the SDK's OidcStsAccessor asks for 1 h (STS's default), as session "oidc-sts-session"
STS_MAX_DURATION_SECONDS = 12 * 60 * 60
STS_DEFAULT_DURATION_SECONDS = 60 * 60
STS_DEFAULT_SESSION_NAME = "oidc-sts-session"
_STS_ONLY = ("provider_urn", "agency_urn", "agency_session_name", "sts_endpoint")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _not_blank(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    if value != value.strip():
        raise ValueError(f"{what} has leading or trailing spaces")
    return value


class StaticKeys(_Spec):
    kind: Literal["static"] = "static"
    ak: str
    sk: SecretStr
    security_token: SecretStr | None = None

    @field_validator("ak")
    @classmethod
    def _ak(cls, v: str) -> str:
        return _not_blank(v, "ak")

    @field_validator("sk")
    @classmethod
    def _sk(cls, v: SecretStr) -> SecretStr:
        _not_blank(v.get_secret_value(), "sk")
        return v


class IamToken(_Spec):
    kind: Literal["token"] = "token"
    token: SecretStr

    @field_validator("token")
    @classmethod
    def _token(cls, v: SecretStr) -> SecretStr:
        _not_blank(v.get_secret_value(), "token")
        return v


class EnvironmentKeys(_Spec):
    kind: Literal["environment"] = "environment"


class EnvironmentCredentials(_Spec):
    """What the ``environment`` kind signs with, as the settings read it (the environment, or
    ``.env``): ``HUAWEICLOUD_SDK_AK``/``_SK`` (+ ``_SECURITY_TOKEN``), else the bot's
    ``HUAWEICLOUD_SDK_AUTH_TOKEN``; ``HUAWEICLOUD_SDK_PROJECT_ID``. Handed to the provider as
    values (:meth:`bot.config.settings.Settings.environment_credentials`), never written back
    into environment variables."""

    ak: str | None = None
    sk: SecretStr | None = None
    security_token: SecretStr | None = None
    auth_token: SecretStr | None = None
    project_id: str | None = None


class Profile(_Spec):
    kind: Literal["profile"] = "profile"
    # None: HUAWEICLOUD_SDK_CREDENTIALS_FILE, else ~/.huaweicloud/credentials
    file: Path | None = None
    name: str = "basic"  # the INI section; the SDK reads [basic] for regional services

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _not_blank(v, "name")


class EcsMetadata(_Spec):
    kind: Literal["ecs-metadata"] = "ecs-metadata"
    endpoint: str = "http://169.254.169.254"

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        return _url(v, "endpoint")


class Oidc(_Spec):
    """An id token (read from ``id_token_file`` at every refresh: projected tokens rotate)
    exchanged for temporary keys.

    ``via = "iam"`` (the default): IAM's identity provider ``idp_id`` (id token -> unscoped
    token -> ``securitytokens``). ``via = "sts"``: STS v5 ``AssumeAgencyWithOIDC`` with the
    IAM (new) OIDC provider ``provider_urn`` and the trust agency ``agency_urn``;
    ``sts_endpoint`` overrides ``HUAWEICLOUD_SDK_STS_ENDPOINT`` and the region's endpoint."""

    kind: Literal["oidc"] = "oidc"
    via: Literal["iam", "sts"] = "iam"
    idp_id: str | None = None  # via = "iam"
    id_token_file: Path
    duration_seconds: int = Field(ge=MIN_DURATION_SECONDS, le=MAX_DURATION_SECONDS)
    provider_urn: str | None = None  # via = "sts": iam::<account id>:identity-provider:<name>
    agency_urn: str | None = None  # via = "sts": iam::<account id>:agency:<name>
    agency_session_name: str | None = None  # via = "sts"; None: "oidc-sts-session" (the SDK's)
    sts_endpoint: str | None = None  # via = "sts"

    @model_validator(mode="before")
    @classmethod
    def _default_duration(cls, data: object) -> object:
        # the default depends on the route: 6 h at IAM (the SDK's), 1 h at STS (STS's and SDK's)
        if isinstance(data, dict) and "duration_seconds" not in data:
            sts = data.get("via") == "sts"
            default = STS_DEFAULT_DURATION_SECONDS if sts else OIDC_DEFAULT_DURATION_SECONDS
            return {**data, "duration_seconds": default}
        return data

    @field_validator("idp_id", "provider_urn", "agency_urn", "agency_session_name")
    @classmethod
    def _names(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else _not_blank(v, str(info.field_name))

    @field_validator("sts_endpoint")
    @classmethod
    def _sts_endpoint(cls, v: str | None) -> str | None:
        return None if v is None else _url(v, "sts_endpoint")

    @model_validator(mode="after")
    def _route(self) -> Oidc:
        if self.via == "iam":
            if self.idp_id is None:
                raise ValueError('idp_id is required (or via = "sts" with provider_urn)')
            given = [name for name in _STS_ONLY if getattr(self, name) is not None]
            if given:
                raise ValueError(f'{", ".join(given)}: only with via = "sts"')
            return self
        if self.idp_id is not None:
            raise ValueError('idp_id is for via = "iam"; STS names the provider by provider_urn')
        missing = [n for n in ("provider_urn", "agency_urn") if getattr(self, n) is None]
        if missing:
            raise ValueError(f'via = "sts" needs {" and ".join(missing)}')
        if self.duration_seconds > STS_MAX_DURATION_SECONDS:
            raise ValueError(
                f"duration_seconds: STS gives at most {STS_MAX_DURATION_SECONDS} (12 h, and "
                "no more than the trust agency's maximum session)"
            )
        return self

    @property
    def session_name(self) -> str:
        return self.agency_session_name or STS_DEFAULT_SESSION_NAME


class AssumeAgency(_Spec):
    kind: Literal["assume-agency"] = "assume-agency"
    base: CredentialSource
    agency_name: str
    domain_name: str | None = None  # the account that owns the agency: its name...
    domain_id: str | None = None  # ...or its id (exactly one)
    duration_seconds: int = Field(default=3600, ge=MIN_DURATION_SECONDS, le=MAX_DURATION_SECONDS)

    @field_validator("agency_name")
    @classmethod
    def _agency(cls, v: str) -> str:
        return _not_blank(v, "agency_name")

    @model_validator(mode="after")
    def _one_domain(self) -> AssumeAgency:
        if (self.domain_name is None) == (self.domain_id is None):
            raise ValueError("give exactly one of domain_name and domain_id")
        return self


def _url(value: str, what: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{what} must be an http(s) URL")
    return value.rstrip("/")


CredentialSource = Annotated[
    StaticKeys | IamToken | EnvironmentKeys | Profile | EcsMetadata | Oidc | AssumeAgency,
    Field(discriminator="kind"),
]
AssumeAgency.model_rebuild()

SOURCE_ADAPTER: TypeAdapter[CredentialSource] = TypeAdapter(CredentialSource)


def parse_source(data: object, where: str = "credentials") -> CredentialSource:
    """One source from a TOML table; ConfigError naming each problem (``where.field: why``)."""
    try:
        return SOURCE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = ".".join(str(p) for p in (where, *err["loc"]))
            problems.append(f"{loc}: {err['msg']}")
        raise ConfigError(problems) from None


def describe(spec: CredentialSource) -> str:
    """A short name of the source for status, logs and errors (no secrets)."""
    if isinstance(spec, StaticKeys):
        return "static" + (" (with security token)" if spec.security_token else "")
    if isinstance(spec, AssumeAgency):
        owner = spec.domain_name or spec.domain_id
        return f"assume-agency {spec.agency_name}@{owner} via {describe(spec.base)}"
    if isinstance(spec, Profile):
        return f"profile [{spec.name}]"
    if isinstance(spec, Oidc):
        if spec.via == "sts":
            return f"oidc via sts, agency {spec.agency_urn}"
        return f"oidc idp {spec.idp_id}"
    return spec.kind
