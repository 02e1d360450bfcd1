"""Composition of the cloud clients: the one place that turns the app's :class:`Settings` into
explicit client values (endpoints, project id, credentials, timeouts, retry settings) and hooks
the metrics observers in. The clients themselves never read the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.accounts import AccountsFile, two_person_problems
from bot.config.settings import Settings
from bot.core.bindings import Bindings
from bot.core.errors import CloudError, ConfigError
from bot.huaweicloud.credential_sources import build_provider, iam_endpoint_for
from bot.huaweicloud.credentials import CredentialProvider, SigningKeys
from bot.huaweicloud.deh import DehClient
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.fleet import Account, Fleet
from bot.huaweicloud.http import CloudHttp, Signer, SleepFn
from bot.huaweicloud.iam import discover_project_id
from bot.huaweicloud.sdrs import NOT_FOUND_CODES as SDRS_NOT_FOUND_CODES
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.signing import AkSkAuth, ProviderAuth, TokenAuth
from bot.huaweicloud.transport import Sender
from bot.metrics import Metrics


@dataclass(frozen=True)
class CloudClients:
    sdrs: SdrsClient
    ecs: EcsClient
    deh: DehClient | None = None  # no DeH endpoint: dedicated hosts are not read

    async def aclose(self) -> None:
        await self.sdrs.aclose()
        await self.ecs.aclose()
        if self.deh is not None:
            await self.deh.aclose()


def build_auth(settings: Settings) -> AkSkAuth | TokenAuth:
    """AK/SK signing when AK/SK are set, else the IAM token; ConfigError when neither is."""
    project = settings.huaweicloud_sdk_project_id
    if settings.huaweicloud_sdk_ak and settings.huaweicloud_sdk_sk:
        return AkSkAuth(
            settings.huaweicloud_sdk_ak,
            settings.huaweicloud_sdk_sk,
            project,
            security_token=settings.huaweicloud_sdk_security_token,
        )
    if settings.huaweicloud_sdk_auth_token:
        return TokenAuth(settings.huaweicloud_sdk_auth_token, project)
    raise ConfigError(
        ["set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN)"]
    )


def temporary_keys(settings: Settings) -> CredentialProvider | None:
    """The environment's temporary AK/SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN) as a provider
    holding them, so the gateway's verdict on them reaches readiness (they expire, and only
    the gateway says when); None for permanent keys and tokens."""
    ak, sk = settings.huaweicloud_sdk_ak, settings.huaweicloud_sdk_sk
    token = settings.huaweicloud_sdk_security_token
    if not (ak and sk and token):
        return None
    keys = SigningKeys(ak, sk, token)
    return CredentialProvider.fixed("environment", keys, description="environment")


def build_clients(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    sleep: SleepFn | None = None,
    sender: Sender | None = None,
    provider: CredentialProvider | None = None,
) -> CloudClients:
    """The SDRS and ECS clients of the environment's account (each with its own connection
    pool); ``metrics`` observes every attempt; ``sleep``/``sender`` are for tests (one
    ``sender`` serves both clients and is closed by each);
    ``provider`` holds the environment's temporary keys (:func:`temporary_keys`)."""
    project, auth, _ = _environment_auth(settings, provider or temporary_keys(settings))
    return _clients(
        settings,
        auth,
        project,
        settings.sdrs_base_url,
        settings.ecs_base_url,
        deh_url=settings.deh_base_url,
        account=settings.account_name,
        metrics=metrics,
        sleep=sleep,
        sender=sender,
    )


def _environment_auth(
    settings: Settings, provider: CredentialProvider | None
) -> tuple[str, Signer | ProviderAuth, CredentialProvider | None]:
    """The environment's account signs with the settings' AK/SK or IAM token; with a
    ``provider`` (its temporary keys) through that provider."""
    project = settings.huaweicloud_sdk_project_id
    if not project:
        raise ConfigError(["HUAWEICLOUD_SDK_PROJECT_ID is required to call SDRS and ECS"])
    auth = build_auth(settings) if provider is None else ProviderAuth(provider, project)
    return project, auth, provider


def _clients(
    settings: Settings,
    auth: Signer | ProviderAuth,
    project: str,
    sdrs_url: str,
    ecs_url: str,
    *,
    deh_url: str | None = None,
    account: str,
    metrics: Metrics | None = None,
    sleep: SleepFn | None = None,
    sender: Sender | None = None,
) -> CloudClients:

    def http(base_url: str, service: str, **extra: Any) -> CloudHttp:
        optional: dict[str, Any] = {}
        if sleep is not None:
            optional["sleep"] = sleep
        return CloudHttp(
            base_url,
            auth,
            connect_timeout=settings.http_connect_timeout,
            read_timeout=settings.http_read_timeout,
            max_attempts=settings.http_max_attempts,
            backoff_base=settings.http_backoff_base,
            backoff_cap=settings.http_backoff_cap,
            max_connections=settings.http_max_connections,
            sender=sender,
            observe=metrics.observer(service, account) if metrics is not None else None,
            **optional,
            **extra,
        )

    return CloudClients(
        sdrs=SdrsClient(http(sdrs_url, "sdrs", not_found_codes=SDRS_NOT_FOUND_CODES), project),
        ecs=EcsClient(http(ecs_url, "ecs"), project),
        deh=DehClient(http(deh_url, "deh"), project) if deh_url else None,
    )


def build_fleet(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    sender: Sender | None = None,
    project_ids: Mapping[str, str] | None = None,
    providers: Mapping[str, CredentialProvider] | None = None,
) -> tuple[Fleet, Bindings]:
    """Every account with its clients, and the channel bindings, from the one accounts
    configuration (:meth:`Settings.accounts`: ACCOUNTS_FILE, or the environment's one account
    bound to every channel under the POLICY_* settings). An account without a project id needs
    it in ``project_ids`` (:func:`open_fleet` finds them)."""
    accounts = settings.accounts()
    config = accounts.parsed()
    bindings = config.bindings_with(settings.policy())
    problems = two_person_problems(bindings)
    if problems:
        raise ConfigError(problems)
    from_environment = accounts.file is None
    given = {} if from_environment else providers or account_providers(settings, config)
    fleet = []
    for name, spec in config.accounts.items():
        if from_environment:
            project, auth, provider = _environment_auth(settings, temporary_keys(settings))
        else:
            provider = given[name]
            found = spec.project_id or provider.project_id or (project_ids or {}).get(name)
            if found is None:
                raise ConfigError([f"account {name}: no project_id, and it was not discovered"])
            project, auth = found, ProviderAuth(provider, found)
        setting = accounts.endpoint_setting
        sdrs_url = spec.base_url("sdrs", setting("sdrs"))
        ecs_url = spec.base_url("ecs", setting("ecs"))
        clouds = _clients(
            settings,
            auth,
            project,
            sdrs_url,
            ecs_url,
            deh_url=spec.deh_url(),
            account=name,
            metrics=metrics,
            sender=sender,
        )
        fleet.append(
            Account(
                name,
                spec.region,
                project,
                clouds.sdrs,
                clouds.ecs,
                sdrs_url,
                ecs_url,
                credentials=provider,
                windows=spec.window_specs(),
                deh=clouds.deh,
            )
        )
    # records stored before accounts existed belong to the environment's account
    return Fleet(fleet, legacy=settings.account_name if from_environment else None), bindings


def account_providers(settings: Settings, config: AccountsFile) -> dict[str, CredentialProvider]:
    """Each account's credential provider (nothing is fetched yet). The ``environment`` kind
    signs with the settings' values (so ``.env`` counts too), handed over as values."""
    environment = settings.environment_credentials()
    return {
        name: build_provider(
            spec.credentials,
            region=spec.region,
            iam_endpoint=spec.iam_endpoint,
            environment=environment,
        )
        for name, spec in config.accounts.items()
    }


async def open_fleet(
    settings: Settings, *, metrics: Metrics | None = None
) -> tuple[Fleet, Bindings]:
    """:func:`build_fleet`, after finding the project id of each account that names none
    (IAM's project named like the region, as the official SDK does). ConfigError if that
    fails: serve does not start acting on a guess."""
    accounts = settings.accounts()
    if accounts.file is None:
        return build_fleet(settings, metrics=metrics)
    parsed = accounts.parsed()
    providers = account_providers(settings, parsed)
    found: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in parsed.accounts.items():
        provider = providers[name]
        if spec.project_id or provider.project_id:
            continue
        iam = spec.iam_endpoint or iam_endpoint_for(spec.region)
        try:
            found[name] = await discover_project_id(provider, region=spec.region, iam_endpoint=iam)
        except CloudError as exc:
            problems.append(
                f"account {name}: project id not found for {spec.region} ({exc}); set project_id"
            )
    if problems:
        for provider in providers.values():
            await provider.aclose()
        raise ConfigError(problems)
    return build_fleet(settings, metrics=metrics, project_ids=found, providers=providers)
