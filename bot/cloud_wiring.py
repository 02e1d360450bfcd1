"""Composition of the cloud clients: the one place that turns the app's :class:`Settings` into
explicit client values (endpoints, project id, credentials, timeouts, retry settings) and hooks
the metrics observers in. The clients themselves never read the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bot.config import Settings
from bot.core.errors import ConfigError
from bot.ecs import EcsClient
from bot.huaweicloud.http import CloudHttp, SleepFn
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
    """The SDRS and ECS clients for these settings (each with its own connection pool);
    ``metrics`` observes every attempt; ``sleep``/``transport`` are for tests."""
    project = settings.huaweicloud_sdk_project_id
    if not project:
        raise ConfigError(["HUAWEICLOUD_SDK_PROJECT_ID is required to call SDRS and ECS"])
    auth = build_auth(settings)

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
            observe=metrics.observer(service) if metrics is not None else None,
            **optional,
            **extra,
        )

    return CloudClients(
        sdrs=SdrsClient(
            http(settings.sdrs_base_url, "sdrs", not_found_codes=SDRS_NOT_FOUND_CODES), project
        ),
        ecs=EcsClient(http(settings.ecs_base_url, "ecs"), project),
    )
