"""Async SDRS API client (v1). Paths, bodies and headers follow the API reference and
``huaweicloudsdksdrs``; signing, transport, retries and errors come from :mod:`bot.huaweicloud`.
It takes explicit values (an HTTP core for the SDRS endpoint, the project id); it is built from
the settings in :mod:`bot.huaweicloud.wiring`."""

from __future__ import annotations

from bot.core.errors import ResponseFormatError
from bot.core.hints import instance_resize_hint
from bot.core.wire.sdrs import (
    Drill,
    DrillList,
    Job,
    JobCreated,
    ProtectedInstance,
    ProtectionGroup,
    ResizeParams,
)
from bot.huaweicloud.http import CloudHttp, api_path, parse_model

# SDRS codes meaning "does not exist" (answered with 400 as well as 404): instance, drill.
NOT_FOUND_CODES = frozenset({"SDRS.1320", "SDRS.1902"})


class SdrsClient:
    def __init__(self, http: CloudHttp, project_id: str) -> None:
        self._http = http
        self._project = project_id
        api_path(project_id)  # refuse a project id that is not one path segment, now

    def _path(self, *segments: str) -> str:
        return api_path("v1", self._project, *segments)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SdrsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def resize_protected_instance(self, instance_id: str, params: ResizeParams) -> str:
        """Submit a resize; returns the job id. Never retried once it may have been sent."""
        path = self._path("protected-instances", instance_id, "resize")
        data = await self._http.request(
            "POST",
            path,
            body=params.body(),
            unknown_outcome_hint=instance_resize_hint(instance_id),
        )
        return parse_model(JobCreated, data, "resize").job_id

    async def rename_drill(self, drill_id: str, name: str) -> Drill:
        path = self._path("disaster-recovery-drills", drill_id)
        data = await self._http.request(
            "PUT", path, body={"disaster_recovery_drill": {"name": name}}
        )
        return parse_model(Drill, data.get("disaster_recovery_drill"), "rename drill")

    async def get_job(self, job_id: str) -> Job:
        data = await self._http.request("GET", self._path("jobs", job_id))
        return parse_model(Job, data, "show job")

    async def get_protected_instance(self, instance_id: str) -> ProtectedInstance:
        path = self._path("protected-instances", instance_id)
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
        data = await self._http.request("GET", self._path("protected-instances"), query=query)
        items = data.get("protected_instances")
        if not isinstance(items, list):
            raise ResponseFormatError("list protected instances: no 'protected_instances' list")
        return [parse_model(ProtectedInstance, i, "protected instance") for i in items]

    async def get_protection_group(self, group_id: str) -> ProtectionGroup:
        path = self._path("server-groups", group_id)
        data = await self._http.request("GET", path)
        return parse_model(ProtectionGroup, data.get("server_group"), "protection group")

    async def get_drill(self, drill_id: str) -> Drill:
        path = self._path("disaster-recovery-drills", drill_id)
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
        data = await self._http.request("GET", self._path("disaster-recovery-drills"), query=query)
        return parse_model(DrillList, data, "list drills")


def _query(**params: object) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in params.items() if v is not None]
