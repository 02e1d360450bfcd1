"""ECS wire models: a server's power state, flavor, placement and billing; a resize flavor; the
bodies of the batch stop/start actions and the ECS job they create.

Wire names and types follow huaweicloudsdkecs (``ServerDetail``, ``ServerFlavor``,
``ServerSchedulerHints``, ``ListResizeFlavorsResult``) and the ECS API reference:

* ``OS-EXT-SRV-ATTR:host`` is the name of the host a server runs on - every server has one - so
  it says nothing about dedicated hosts. Dedicated-host placement is ``os:scheduler_hints``:
  ``tenancy`` ``["dedicated"]`` and ``dedicated_host_id`` ``["<DeH id>"]`` (lists of strings).
* ``metadata.charging_mode``: ``"0"`` pay-per-use (postPaid), ``"1"`` yearly/monthly (prePaid),
  ``"2"`` spot.
* ``flavor.vcpus``/``flavor.ram`` arrive as strings in ``ServerFlavor``; ``ram`` is an int and
  ``vcpus`` a string in ``ListResizeFlavorsResult``. Both are read as ints here.

Power actions and jobs (huaweicloudsdkecs ``BatchStopServersRequestBody``,
``BatchStopServersOption``, ``BatchStartServersRequestBody``, ``BatchStartServersOption``,
``ServerId``, ``ShowJobResponse``, ``JobEntities``, ``SubJob``, ``SubJobEntities``; the ECS API
reference "Stopping ECSs in a Batch", "Starting ECSs in a Batch", "Querying Job Execution Status"
and "Responses (Jobs)"):

* ``POST /v1/{project_id}/cloudservers/action`` with ``{"os-stop": {"type": "SOFT"|"HARD",
  "servers": [{"id"}]}}`` (``type`` optional, default SOFT) or ``{"os-start": {"servers":
  [{"id"}]}}``; the answer is ``{"job_id"}`` (the request is asynchronous: accepted is not done).
* ``GET /v1/{project_id}/jobs/{job_id}`` -> ``{status: SUCCESS|RUNNING|FAIL|INIT
  (|PENDING_PAYMENT for yearly/monthly orders), job_id, job_type, begin_time, end_time,
  error_code, fail_reason, message, code, entities{server_id, nic_id, sub_jobs_total,
  sub_jobs[{status, job_id, job_type, begin_time, end_time, error_code, fail_reason,
  entities{server_id, nic_id, errorcode_message}}]}}``. Every field is a string in the SDK except
  ``sub_jobs_total`` (int). ``error_code``/``fail_reason`` are null after a success; ``code``/
  ``message`` describe a failure of the query itself. Finished jobs are deleted after a day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, field_validator

from bot.core.wire.base import Wire

POWERED_OFF = "SHUTOFF"
CHARGING_PREPAID = "1"
TENANCY_DEDICATED = "dedicated"


class Flavor(Wire):
    """A flavor as ECS describes it (``vcpus``/``ram`` arrive as strings in some answers)."""

    id: str
    name: str = ""
    vcpus: int = 0
    ram: int = Field(default=0, description="MiB")


class SchedulerHints(Wire):
    """``os:scheduler_hints`` of a server (``ServerSchedulerHints``)."""

    tenancy: list[str] = Field(default_factory=list)
    dedicated_host_id: list[str] = Field(default_factory=list)

    @field_validator("tenancy", "dedicated_host_id", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """The SDK types these as lists; accept a bare string too (older answers)."""
        if value is None or value == "":
            return []
        return [value] if isinstance(value, str) else value


class Server(Wire):
    id: str
    name: str = ""
    status: str
    flavor: Flavor
    availability_zone: str | None = Field(default=None, alias="OS-EXT-AZ:availability_zone")
    host_name: str | None = Field(default=None, alias="OS-EXT-SRV-ATTR:host")
    # what ECS is doing to it now (powering-off, powering-on, ...); None or "" when nothing
    task_state: str | None = Field(default=None, alias="OS-EXT-STS:task_state")
    scheduler_hints: SchedulerHints | None = Field(default=None, alias="os:scheduler_hints")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def powered_off(self) -> bool:
        return self.status == POWERED_OFF

    @property
    def on_dedicated_host(self) -> bool:
        hints = self.scheduler_hints
        return hints is not None and (
            TENANCY_DEDICATED in hints.tenancy or bool(hints.dedicated_host_id)
        )

    @property
    def dedicated_host_id(self) -> str | None:
        """The DeH the server runs on, when it runs on one (None on the shared pool)."""
        hints = self.scheduler_hints
        if not self.on_dedicated_host or hints is None:
            return None
        return hints.dedicated_host_id[0] if hints.dedicated_host_id else ""

    @property
    def prepaid(self) -> bool:
        """Billed yearly/monthly: SDRS refuses to resize it (SDRS.1376)."""
        return self.metadata.get("charging_mode") == CHARGING_PREPAID


# ---- power actions and ECS jobs ---------------------------------------------------------------
STOP_SOFT = "SOFT"
STOP_HARD = "HARD"
JOB_SUCCESS = "SUCCESS"
JOB_FAIL = "FAIL"
TERMINAL_JOB_STATUSES = frozenset({JOB_SUCCESS, JOB_FAIL})


def server_refs(server_ids: Sequence[str], what: str) -> list[dict[str, str]]:
    """``[{"id": ...}]`` (``ServerId``) for a batch action; refuses, before anything is sent, what
    cannot be a list of server ids: a bare string (a ``str`` is a sequence of characters), an
    empty list, an empty, ``.``, ``..`` or slash-containing id (ECS server ids are UUIDs), and
    the same id twice."""
    if isinstance(server_ids, str):
        raise ValueError(f"{what}: give a list of server ids, not one string; nothing was sent")
    ids = list(server_ids)
    if not ids:
        raise ValueError(f"{what}: no server ids; nothing was sent")
    for server_id in ids:
        if not isinstance(server_id, str) or server_id in ("", ".", "..") or "/" in server_id:
            raise ValueError(
                f"{what}: {server_id!r} is not a valid server id (empty, '.', '..' or a '/'); "
                "nothing was sent"
            )
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what}: a server id is given twice; nothing was sent")
    return [{"id": server_id} for server_id in ids]


def stop_body(server_ids: Sequence[str], *, hard: bool = False) -> dict[str, Any]:
    """``BatchStopServersRequestBody``: ``type`` is always sent (SOFT is also ECS's default)."""
    servers = server_refs(server_ids, "batch stop")
    return {"os-stop": {"type": STOP_HARD if hard else STOP_SOFT, "servers": servers}}


def start_body(server_ids: Sequence[str]) -> dict[str, Any]:
    """``BatchStartServersRequestBody``."""
    return {"os-start": {"servers": server_refs(server_ids, "batch start")}}


class EcsJobCreated(Wire):
    """``BatchStopServersResponse`` / ``BatchStartServersResponse``."""

    job_id: str


class EcsSubJobEntities(Wire):
    """``SubJobEntities``: ``errorcode_message`` is the sub-job's detailed failure reason."""

    server_id: str | None = None
    nic_id: str | None = None
    errorcode_message: str | None = None


class EcsSubJob(Wire):
    """``SubJob``: one server's part of a batch job."""

    status: str | None = None
    entities: EcsSubJobEntities | None = None
    job_id: str | None = None
    job_type: str | None = None
    begin_time: str | None = None
    end_time: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == JOB_FAIL

    @property
    def server_id(self) -> str | None:
        return self.entities.server_id if self.entities else None


class EcsJobEntities(Wire):
    """``JobEntities``."""

    server_id: str | None = None
    nic_id: str | None = None
    sub_jobs: list[EcsSubJob] = Field(default_factory=list)
    sub_jobs_total: int | None = None

    @field_validator("sub_jobs", mode="before")
    @classmethod
    def _no_sub_jobs(cls, value: Any) -> Any:
        return [] if value is None else value


class EcsJob(Wire):
    """``GET /v1/{project_id}/jobs/{job_id}`` on the ECS endpoint (``ShowJobResponse``)."""

    status: str
    job_id: str
    job_type: str | None = None
    begin_time: str | None = None
    end_time: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    entities: EcsJobEntities | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES

    @property
    def sub_jobs(self) -> list[EcsSubJob]:
        return self.entities.sub_jobs if self.entities else []

    def failed_server_ids(self) -> list[str]:
        return [s.server_id or "?" for s in self.sub_jobs if s.failed]

    def error_summary(self, names: Mapping[str, str] | None = None) -> str | None:
        """Why the job failed, short: the job's code and reason, then each failed sub-job's
        server (by its name in ``names``, else its id) with its code and reason where they
        differ from the job's; None when nothing failed (a job that is still running and has
        no failed sub-job yet, or a success)."""
        names = names or {}
        failed = [s for s in self.sub_jobs if s.failed]
        if self.status != JOB_FAIL and not failed:
            return None
        parts: list[str] = []
        head = _code_and_reason(self.error_code, self.fail_reason)
        if head:
            parts.append(head)
        for sub in failed:
            reason = sub.fail_reason or (sub.entities.errorcode_message if sub.entities else None)
            detail = _code_and_reason(sub.error_code, reason) or "failed, no reason given"
            server = names.get(sub.server_id or "", sub.server_id or "(unnamed)")
            parts.append(f"server {server}" if detail == head else f"server {server}: {detail}")
        if not parts:
            return f"ECS job {self.job_id} failed; ECS gave no error code or reason"
        return "; ".join(parts)


def _code_and_reason(code: str | None, reason: str | None) -> str:
    return ": ".join(part for part in (code, reason) if part)
