"""Composition of the cloud clients: the one place that turns the app's :class:`Settings` into
explicit client values (endpoints, project id, credentials, timeouts, retry settings) and hooks
the metrics observers in. The clients themselves never read the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bot.accounts_file import AccountSpec, load_accounts, two_person_problems
from bot.config import Settings
from bot.core.bindings import Bindings, everywhere
from bot.core.errors import ConfigError
from bot.ecs import EcsClient
from bot.fleet import Account, Fleet
from bot.huaweicloud.credential_spec import StaticKeys
from bot.huaweicloud.http import CloudHttp, Signer, SleepFn
from bot.huaweicloud.signing import AkSkAuth, TokenAuth
from bot.metrics import Metrics
from bot.sdrs.client import NOT_FOUND_CODES as SDRS_NOT_FOUND_CODES
from bot.sdrs.client import SdrsClient


@dataclass(frozen=True)
class CloudClients:
    sdrs: SdrsClient
    ecs: EcsClient

    async def aclose(self) -> None:
        await self.sdrs.aclose()
        await self.ecs.aclose()


def build_auth(settings: Settings) -> AkSkAuth | TokenAuth:
    """AK/SK signing when AK/SK are set, else the IAM token; ConfigError when neither is."""
    project = settings.huaweicloud_sdk_project_id
    if settings.huaweicloud_sdk_ak and settings.huaweicloud_sdk_sk:
        return AkSkAuth(settings.huaweicloud_sdk_ak, settings.huaweicloud_sdk_sk, project)
    if settings.huaweicloud_sdk_auth_token:
        return TokenAuth(settings.huaweicloud_sdk_auth_token, project)
    raise ConfigError(
        ["set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN)"]
    )


def build_clients(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    sleep: SleepFn | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CloudClients:
    """The SDRS and ECS clients of the environment's account (each with its own connection
    pool); ``metrics`` observes every attempt; ``sleep``/``transport`` are for tests."""
    project = settings.huaweicloud_sdk_project_id
    if not project:
        raise ConfigError(["HUAWEICLOUD_SDK_PROJECT_ID is required to call SDRS and ECS"])
    return _clients(
        settings, build_auth(settings), project, settings.sdrs_base_url, settings.ecs_base_url,
        account=settings.account_name, metrics=metrics, sleep=sleep, transport=transport,
    )  # fmt: skip


def _clients(
    settings: Settings,
    auth: Signer,
    project: str,
    sdrs_url: str,
    ecs_url: str,
    *,
    account: str,
    metrics: Metrics | None = None,
    sleep: SleepFn | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
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
            transport=transport,
            observe=metrics.observer(service, account) if metrics is not None else None,
            **optional,
            **extra,
        )

    return CloudClients(
        sdrs=SdrsClient(http(sdrs_url, "sdrs", not_found_codes=SDRS_NOT_FOUND_CODES), project),
        ecs=EcsClient(http(ecs_url, "ecs"), project),
    )


def build_fleet(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Fleet, Bindings]:
    """Every account with its clients, and the channel bindings: from ACCOUNTS_FILE, or the
    environment's one account bound to every channel under the POLICY_* settings."""
    if settings.accounts_file is None:
        clouds = build_clients(settings, metrics=metrics, transport=transport)
        assert settings.huaweicloud_sdk_project_id is not None  # build_clients checked it
        account = Account(
            settings.account_name, settings.huaweicloud_sdk_region,
            settings.huaweicloud_sdk_project_id, clouds.sdrs, clouds.ecs,
            settings.sdrs_base_url, settings.ecs_base_url,
        )  # fmt: skip
        fleet = Fleet([account], legacy=settings.account_name)
        return fleet, everywhere(settings.account_name, settings.policy())
    parsed = load_accounts(settings.accounts_file)
    bindings = parsed.bindings_with(settings.policy())
    problems = two_person_problems(bindings)
    if problems:
        raise ConfigError(problems)
    accounts = []
    for name, spec in parsed.accounts.items():
        if spec.project_id is None:
            raise ConfigError([f"account {name}: project_id is required"])
        clouds = _clients(
            settings, _auth_of(settings, spec), spec.project_id, spec.base_url("sdrs"),
            spec.base_url("ecs"), account=name, metrics=metrics, transport=transport,
        )  # fmt: skip
        accounts.append(Account(name, spec.region, spec.project_id, clouds.sdrs, clouds.ecs,
                                spec.base_url("sdrs"), spec.base_url("ecs")))  # fmt: skip
    return Fleet(accounts), bindings


def _auth_of(settings: Settings, spec: AccountSpec) -> Signer:
    source = spec.credentials
    if isinstance(source, StaticKeys):
        return AkSkAuth(source.ak, source.sk, spec.project_id)
    return build_auth(settings)
