"""Async SDRS API client (v1). Paths, bodies and headers follow the API reference and
``huaweicloudsdksdrs``; transport, retries and errors come from :mod:`bot.cloud_http`."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot.cloud_http import CloudHttp, path_param
from bot.config import Settings
from bot.core.errors import ConfigError, ResponseFormatError
from bot.core.wire.sdrs import (
    Drill,
    DrillList,
    Job,
    JobCreated,
    ProtectedInstance,
    ProtectionGroup,
    ResizeParams,
)
from bot.sdrs.signing import AkSkAuth, TokenAuth

M = TypeVar("M", bound=BaseModel)


def build_auth(settings: Settings) -> httpx.Auth:
    """AK/SK signing when AK/SK are set, else the IAM token; ConfigError when neither is."""
    project = settings.huaweicloud_sdk_project_id
    if settings.huaweicloud_sdk_ak and settings.huaweicloud_sdk_sk:
        return AkSkAuth(settings.huaweicloud_sdk_ak, settings.huaweicloud_sdk_sk, project)
    if settings.huaweicloud_sdk_auth_token:
        return TokenAuth(settings.huaweicloud_sdk_auth_token, project)
    raise ConfigError(
        ["set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN)"]
    )


def http_for(settings: Settings, base_url: str, **kwargs: Any) -> CloudHttp:
    return CloudHttp(
        base_url,
        build_auth(settings),
        connect_timeout=settings.http_connect_timeout,
        read_timeout=settings.http_read_timeout,
        max_attempts=settings.http_max_attempts,
        backoff_base=settings.http_backoff_base,
        backoff_cap=settings.http_backoff_cap,
        **kwargs,
    )


def parse_model(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ResponseFormatError(
            f"{what}: unexpected answer shape ({exc.error_count()} errors)"
        ) from None


def _require_project(settings: Settings) -> str:
    if not settings.huaweicloud_sdk_project_id:
        raise ConfigError(["HUAWEICLOUD_SDK_PROJECT_ID is required to call SDRS"])
    return settings.huaweicloud_sdk_project_id


class SdrsClient:
    def __init__(self, http: CloudHttp, project_id: str) -> None:
        self._http = http
        self._prefix = f"/v1/{path_param(project_id)}"

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> SdrsClient:
        project = _require_project(settings)
        return cls(http_for(settings, settings.sdrs_base_url, **kwargs), project)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SdrsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def resize_protected_instance(self, instance_id: str, params: ResizeParams) -> str:
        """Submit a resize; returns the job id. Never retried once it may have been sent."""
        path = f"{self._prefix}/protected-instances/{path_param(instance_id)}/resize"
        data = await self._http.request(
            "POST",
            path,
            body=params.body(),
            unknown_outcome_hint=(
                f"Check protected instance {instance_id} in SDRS before asking again: a status "
                "of 'resizing' (or a new resize job) means the request was accepted."
            ),
        )
        return parse_model(JobCreated, data, "resize").job_id

    async def rename_drill(self, drill_id: str, name: str) -> Drill:
        path = f"{self._prefix}/disaster-recovery-drills/{path_param(drill_id)}"
        data = await self._http.request(
            "PUT", path, body={"disaster_recovery_drill": {"name": name}}
        )
        return parse_model(Drill, data.get("disaster_recovery_drill"), "rename drill")

    async def get_job(self, job_id: str) -> Job:
        data = await self._http.request("GET", f"{self._prefix}/jobs/{path_param(job_id)}")
        return parse_model(Job, data, "show job")

    async def get_protected_instance(self, instance_id: str) -> ProtectedInstance:
        path = f"{self._prefix}/protected-instances/{path_param(instance_id)}"
        data = await self._http.request("GET", path)
        return parse_model(ProtectedInstance, data.get("protected_instance"), "protected instance")

    async def list_protected_instances(
        self,
        *,
        server_group_id: str | None = None,
        name: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ProtectedInstance]:
        """``name`` matches fuzzily (the API reference: 支持模糊查询)."""
        query = _query(
            server_group_id=server_group_id, name=name or None, limit=limit, offset=offset or None
        )
        data = await self._http.request("GET", f"{self._prefix}/protected-instances", query=query)
        items = data.get("protected_instances")
        if not isinstance(items, list):
            raise ResponseFormatError("list protected instances: no 'protected_instances' list")
        return [parse_model(ProtectedInstance, i, "protected instance") for i in items]

    async def get_protection_group(self, group_id: str) -> ProtectionGroup:
        path = f"{self._prefix}/server-groups/{path_param(group_id)}"
        data = await self._http.request("GET", path)
        return parse_model(ProtectionGroup, data.get("server_group"), "protection group")

    async def get_drill(self, drill_id: str) -> Drill:
        path = f"{self._prefix}/disaster-recovery-drills/{path_param(drill_id)}"
        data = await self._http.request("GET", path)
        return parse_model(Drill, data.get("disaster_recovery_drill"), "drill")

    async def list_drills(
        self,
        *,
        server_group_id: str | None = None,
        name: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> DrillList:
        query = _query(
            server_group_id=server_group_id,
            name=name,
            status=status,
            limit=limit,
            offset=offset or None,
        )
        data = await self._http.request(
            "GET", f"{self._prefix}/disaster-recovery-drills", query=query
        )
        return parse_model(DrillList, data, "list drills")


def _query(**params: object) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in params.items() if v is not None]
