"""Wire models for the SDRS API (v1), as the API reference and ``huaweicloudsdksdrs`` define them.

Response models ignore fields they do not know (the service adds fields over time); request
models dump with the documented JSON names and omit empty fields.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from bot.core.wire.base import Wire


class ResizeParams(Wire):
    """Body of ``POST /v1/{project_id}/protected-instances/{id}/resize`` (inside ``"resize"``).

    ``flavorRef`` applies to both sites and wins over the per-site flavors on the real API.
    """

    flavor_ref: str | None = Field(default=None, alias="flavorRef")
    production_flavor_ref: str | None = Field(default=None, alias="production_flavorRef")
    dr_flavor_ref: str | None = Field(default=None, alias="dr_flavorRef")
    production_dedicated_host_id: str | None = None
    dr_dedicated_host_id: str | None = None

    @model_validator(mode="after")
    def _some_flavor(self) -> ResizeParams:
        if not (self.flavor_ref or self.production_flavor_ref or self.dr_flavor_ref):
            raise ValueError("at least one of flavorRef, production_flavorRef, dr_flavorRef")
        return self

    def body(self) -> dict[str, Any]:
        fields = self.model_dump(by_alias=True, exclude_none=True)
        return {"resize": {k: v for k, v in fields.items() if v != ""}}


class JobStatus(StrEnum):
    INIT = "INIT"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.SUCCESS, JobStatus.FAIL)


class SubJobEntities(Wire):
    replication_pair_id: str | None = None
    volume_ids: str | None = None
    server_group_id: str | None = None
    protected_instance_id: str | None = None
    native_server_id: str | None = None
    nic_id: str | None = None


class SubJob(Wire):
    status: JobStatus | None = None
    entities: SubJobEntities | None = None
    job_id: str | None = None
    job_type: str | None = None
    begin_time: str | None = None
    end_time: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None


class JobEntities(SubJobEntities):
    sub_jobs: list[SubJob] = Field(default_factory=list)


class Job(Wire):
    """``GET /v1/{project_id}/jobs/{job_id}``."""

    status: JobStatus
    job_id: str
    job_type: str | None = None
    entities: JobEntities | None = None
    begin_time: str | None = None
    end_time: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None


class JobCreated(Wire):
    job_id: str


class ProtectedInstance(Wire):
    id: str
    name: str = ""
    description: str | None = None
    status: str
    source_server: str | None = None
    target_server: str | None = None
    server_group_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    progress: int | None = None
    priority_station: str | None = None

    def production_server(self) -> str | None:
        """The server currently at the production site (after a failover, the target)."""
        return self.target_server if self.priority_station == "target" else self.source_server

    def dr_server(self) -> str | None:
        return self.source_server if self.priority_station == "target" else self.target_server


class ProtectionGroup(Wire):
    id: str
    name: str = ""
    description: str | None = None
    status: str
    progress: int | None = None
    source_availability_zone: str | None = None
    target_availability_zone: str | None = None
    priority_station: str | None = None
    protected_instance_num: int | None = None
    protected_status: str | None = None
    replication_status: str | None = None
    health_status: str | None = None
    dr_type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class DrillServer(Wire):
    protected_instance: str | None = None
    drill_server_id: str | None = None


class Drill(Wire):
    id: str
    name: str
    status: str | None = None
    drill_vpc_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    server_group_id: str | None = None
    drill_servers: list[DrillServer] = Field(default_factory=list)


class DrillList(Wire):
    disaster_recovery_drills: list[Drill] = Field(default_factory=list)
    count: int | None = None
