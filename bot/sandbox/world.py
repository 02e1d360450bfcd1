"""The emulated cloud: protection groups, protected instances, ECS servers, drills and jobs.

All state lives in one :class:`World`, guarded by a lock (the HTTP server and a test may touch
it from different threads). Time comes from an injected ``now()``; jobs advance lazily, on every
read, so a test can move a fake clock instead of sleeping.

Rules enforced on resize, in this order, with the documented error codes (the SDRS error-code
table says which code exists; which of 1316/1319/1342 and of 1367-1370 the service picks for
each case is not documented, so the mapping below is this emulator's, stated here):

* unknown protected instance: 404 SDRS.1320
* malformed body or no flavor at all: 400 SDRS.0201
* protection group not available/protected: 400 SDRS.1024
* instance not available/protected/error-resizing: 400 SDRS.1328
* unknown flavor: 400 SDRS.1378; flavor not sold in the server's AZ (offered only in other
  zones, or ``sellout``/``abandon`` there, :meth:`World.set_flavor_status`): 400 SDRS.1379
* yearly/monthly (prePaid) server: 400 SDRS.1376
* a resized server not SHUTOFF: SDRS.1316 (production site), SDRS.1319 (DR site),
  SDRS.1342 (both sites running, when both are resized)
* every resized server already has the flavor: 400 SDRS.1341
* dedicated hosts: server on a DeH but no DeH id for its site: SDRS.1367; unknown DeH id:
  SDRS.1368; DeH in another AZ than the server: SDRS.1369; DeH id for a site not resized:
  SDRS.1370; a DeH whose type does not take the new flavor, or without the free vCPUs/memory
  for it: 400 ``SANDBOX.DEH_FLAVOR`` / ``SANDBOX.DEH_CAPACITY`` (no SDRS code is documented for
  these; :mod:`bot.sandbox.deh`). An accepted resize to another host moves the server there
  when its job succeeds.

DeH (``GET /v1.0/{project_id}/dedicated-hosts/{id}``): :mod:`bot.sandbox.deh`.

ECS batch stop / start (``POST /v1/{project_id}/cloudservers/action``, ``os-stop``/``os-start``)
and ECS jobs (``GET /v1/{project_id}/jobs/{job_id}``), as the ECS API reference describes them:

* a body that is not ``{"os-stop": {...}}`` or ``{"os-start": {...}}`` (one of them), without a
  non-empty ``servers`` list of ``{"id": "<string>"}``, the same id twice, or an ``os-stop``
  ``type`` other than SOFT/HARD: 400 ``Ecs.0005`` (the ECS error-code table's code whose remedy
  is "adjust the request structure"); an unknown server: 404 ``Ecs.0114`` ("Instance[...] could
  not be found", as for a read). Nothing is changed then.
* otherwise an ECS job, ``job_type`` ``batchStopServers`` / ``batchStartServers`` (the
  reference's job-type list names only some types - createServer, resizeServer, deleteVMs...;
  these two names, and the sub-jobs' ``stopServer`` / ``startServer``, are this emulator's),
  with one sub-job per server (``entities.server_id``). It is INIT, then RUNNING, for the
  world's job duration; while it runs each server keeps its status (a stopping server is ACTIVE
  with ``OS-EXT-STS:task_state`` ``powering-off``, a starting one SHUTOFF with
  ``powering-on``); at the end each sub-job's server becomes SHUTOFF (stop) or ACTIVE (start).
* a server not in the state the action needs (stop: ACTIVE; start: SHUTOFF) when the job is
  created: its sub-job FAILs with ``Ecs.0100`` ("The ECS status does not meet requirements" in
  the ECS error-code table; the reference does not say what a batch stop of a stopped server
  does, so this is the emulator's reading) and the server is left as it is.
* any failed sub-job makes the job FAIL, with the first failure's ``error_code`` and
  ``fail_reason``; power faults (:class:`bot.sandbox.faults.PowerFault`) make sub-jobs fail or
  a started server end in ERROR.

ECS capacity reads, as huaweicloudsdkecs models them:

* ``GET /v1/{project_id}/cloudservers/flavors?availability_zone=`` (``ListFlavors``): every
  flavor of the world, by id, paged by ``limit`` (default 1000) and ``marker`` (the id after
  which to go on), each with ``os_extra_specs`` ``cond:operation:status`` (``abandon`` for a
  flavor offered only in some zones) and ``cond:operation:az`` (``"az(status), ..."``: its
  zones and each per-zone status set). Withdrawn flavors are listed too (with their status);
  whether ECS lists them is not documented, and the bot reads both cases the same way.
* ``GET /v1/{project_id}/cloudservers/limits`` (``ShowServerLimits``): ``absolute`` with the
  quota (``maxTotalCores``, ``maxTotalRAMSize`` in MiB) and what is used: the vCPUs and RAM of
  every server of the world (running or not) plus what the world says other servers of the
  project use. A resize past the quota is not refused here: the code ECS or SDRS answers it
  with is not documented (``docs/refusals.md``).
* ``GET .../cloudservers/resize_flavors`` lists what a server may be resized to whatever the
  flavors' sale status (this emulator's reading: the sale status is the zone list's), less the
  flavors offered only in other zones.

SDRS and ECS jobs share the path ``/v1/{project_id}/jobs/{job_id}`` and, in this emulator, one
host; their ids come from one space (random UUID hex), so the id says which service's job it is
and each is answered in its own service's shape. An id neither has is answered as SDRS does.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from bot.core.rules import (
    RESIZABLE_GROUP_STATUSES,
    RESIZABLE_INSTANCE_STATUSES,
    drill_name_problem,
)
from bot.sandbox.deh import NOT_FOUND_CODE as DEH_NOT_FOUND
from bot.sandbox.deh import DedicatedHost
from bot.sandbox.faults import PowerFault

JOB_TYPE_RESIZE = "resizeProtectedInstanceNew"
SUB_JOB_TYPE_RESIZE = "resizeServer"
ECS_JOB_TYPES = {"stop": "batchStopServers", "start": "batchStartServers"}
ECS_SUB_JOB_TYPES = {"stop": "stopServer", "start": "startServer"}
POWER_ACTIONS = {"os-stop": "stop", "os-start": "start"}
NEEDED_STATUS = {"stop": "ACTIVE", "start": "SHUTOFF"}
TASK_STATES = {"stop": "powering-off", "start": "powering-on"}
ECS_BAD_REQUEST = "Ecs.0005"
ECS_NOT_FOUND = "Ecs.0114"
ECS_WRONG_STATUS = "Ecs.0100"


class SdrsApiError(Exception):
    """An error answer: HTTP status, error code, message, and the outer JSON key."""

    def __init__(self, status: int, code: str, message: str, outer: str = "error") -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.outer = outer

    def body(self) -> dict[str, Any]:
        return {self.outer: {"code": self.code, "message": self.message}}


def _bad(code: str, message: str) -> SdrsApiError:
    return SdrsApiError(400, code, message, "error")


def _not_found(code: str, message: str) -> SdrsApiError:
    return SdrsApiError(404, code, message, "itemNotFound")


@lru_cache(maxsize=1024)  # a job's times are read on every poll
def _ts(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass
class Flavor:
    id: str
    vcpus: int
    ram: int  # MiB
    azs: frozenset[str] | None = None  # None: offered in every zone
    status: str = "normal"  # cond:operation:status where azs and az_status say nothing
    az_status: dict[str, str] = field(default_factory=dict)  # zone -> its status there

    def ecs(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.id, "vcpus": str(self.vcpus), "ram": str(self.ram)}

    def status_in(self, az: str) -> str:
        if az in self.az_status:
            return self.az_status[az]
        return self.status if self.azs is None or az in self.azs else "abandon"

    def extra_specs(self) -> dict[str, str]:
        """``os_extra_specs`` (``FlavorExtraSpec``) with the two sale-status keys."""
        specs = {
            "ecs:performancetype": "normal",
            "cond:operation:status": self.status if self.azs is None else "abandon",
        }
        named = sorted(set(self.azs or ()) | set(self.az_status))
        if named:
            specs["cond:operation:az"] = ", ".join(f"{z}({self.status_in(z)})" for z in named)
        return specs


@dataclass
class Server:
    id: str
    name: str
    az: str
    flavor: str
    status: str = "SHUTOFF"
    dedicated_host_id: str | None = None
    charging_mode: str = "postPaid"


@dataclass
class Group:
    id: str
    name: str
    status: str
    source_az: str
    target_az: str
    priority_station: str = "source"


@dataclass
class Instance:
    id: str
    name: str
    status: str
    group_id: str
    source_server: str
    target_server: str
    priority_station: str = "source"


@dataclass
class Drill:
    id: str
    name: str
    group_id: str
    status: str = "available"
    drill_vpc_id: str = "vpc-drill-0001"
    created_at: str = "2026-01-05T08:00:00.000Z"
    updated_at: str = "2026-01-05T08:00:00.000Z"
    drill_servers: list[dict[str, str]] = field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "drill_vpc_id": self.drill_vpc_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "server_group_id": self.group_id,
            "drill_servers": list(self.drill_servers),
        }


@dataclass
class JobPlan:
    """How the next resize job behaves."""

    seconds: float | None = None  # total duration; None: the world's default
    fail: tuple[str, str] | None = None  # (error_code, fail_reason)
    hang: bool = False  # stays RUNNING forever


@dataclass
class Job:
    id: str
    instance_id: str
    group_id: str
    created: datetime
    run_after: float
    done_after: float
    changes: dict[str, str]  # server id -> new flavor
    moves: dict[str, str] = field(default_factory=dict)  # server id -> the DeH it moves to
    fail: tuple[str, str] | None = None
    hang: bool = False
    status: str = "INIT"
    ended: datetime | None = None
    restore_status: str = "protected"

    def wire(self) -> dict[str, Any]:
        error_code = self.fail[0] if self.status == "FAIL" and self.fail else None
        reason = self.fail[1] if self.status == "FAIL" and self.fail else None
        sub_jobs = [
            {
                "status": self.status,
                "job_id": f"{self.id}-{i}",
                "job_type": SUB_JOB_TYPE_RESIZE,
                "begin_time": _ts(self.created),
                "end_time": _ts(self.ended) if self.ended else "",
                "error_code": error_code,
                "fail_reason": reason,
                "entities": {"protected_instance_id": self.instance_id, "native_server_id": sid},
            }
            for i, sid in enumerate(sorted(self.changes))
        ]
        return {
            "status": self.status,
            "job_id": self.id,
            "job_type": JOB_TYPE_RESIZE,
            "begin_time": _ts(self.created),
            "end_time": _ts(self.ended) if self.ended else "",
            "error_code": error_code,
            "fail_reason": reason,
            "entities": {
                "server_group_id": self.group_id,
                "protected_instance_id": self.instance_id,
                "sub_jobs": sub_jobs,
            },
        }


@dataclass
class EcsSubJob:
    server_id: str
    fail: tuple[str, str] | None = None  # (error_code, fail_reason)
    to_error: bool = False  # a start that leaves the server in ERROR


@dataclass
class EcsJob:
    """A batch stop or start: one sub-job per server."""

    id: str
    action: str  # "stop" | "start"
    created: datetime
    run_after: float
    done_after: float
    subs: list[EcsSubJob]
    status: str = "INIT"
    ended: datetime | None = None

    def _failure(self) -> tuple[str, str] | None:
        return next((s.fail for s in self.subs if s.fail), None)

    def wire(self) -> dict[str, Any]:
        done = self.status in ("SUCCESS", "FAIL")
        failure = self._failure() if self.status == "FAIL" else None
        sub_jobs = []
        for i, sub in enumerate(self.subs):
            sub_status = ("FAIL" if sub.fail else "SUCCESS") if done else self.status
            sub_fail = sub.fail if done else None
            entities: dict[str, Any] = {"server_id": sub.server_id}
            if sub_fail:
                entities["errorcode_message"] = sub_fail[1]
            sub_jobs.append(
                {
                    "status": sub_status,
                    "entities": entities,
                    "job_id": f"{self.id}-{i}",
                    "job_type": ECS_SUB_JOB_TYPES[self.action],
                    "begin_time": _ts(self.created),
                    "end_time": _ts(self.ended) if self.ended else "",
                    "error_code": sub_fail[0] if sub_fail else None,
                    "fail_reason": sub_fail[1] if sub_fail else None,
                }
            )
        return {
            "status": self.status,
            "entities": {"sub_jobs_total": len(sub_jobs), "sub_jobs": sub_jobs},
            "job_id": self.id,
            "job_type": ECS_JOB_TYPES[self.action],
            "begin_time": _ts(self.created),
            "end_time": _ts(self.ended) if self.ended else "",
            "error_code": failure[0] if failure else None,
            "fail_reason": failure[1] if failure else None,
        }


def _ecs_bad(message: str) -> SdrsApiError:
    return SdrsApiError(400, ECS_BAD_REQUEST, message, "error")


def _ecs_server_missing(server_id: str) -> SdrsApiError:
    return SdrsApiError(404, ECS_NOT_FOUND, f"Instance[{server_id}] could not be found.", "error")


def _str_field(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad("SDRS.0201", f"Invalid request parameters: {key} must be a string")
    return value


class World:
    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        job_init_seconds: float = 0.2,
        job_seconds: float = 1.0,
    ) -> None:
        self.now = now or (lambda: datetime.now(UTC))
        self.job_init_seconds = job_init_seconds
        self.job_seconds = job_seconds
        self.lock = threading.RLock()
        self.flavors: dict[str, Flavor] = {}
        self.servers: dict[str, Server] = {}
        self.hosts: dict[str, DedicatedHost] = {}
        self.groups: dict[str, Group] = {}
        self.instances: dict[str, Instance] = {}
        self.drills: dict[str, Drill] = {}
        self.jobs: dict[str, Job] = {}
        self._jobs_of: dict[str, list[Job]] = {}  # instance id -> its jobs (SDRS), in order
        self.job_plans: list[JobPlan] = []
        self.ecs_jobs: dict[str, EcsJob] = {}
        self.power_faults: list[PowerFault] = []
        self.credentials: dict[str, str] = {}  # AK -> SK
        # the project's ECS quota (ShowServerLimits) and what servers outside this world use
        self.max_total_cores = 100_000
        self.max_total_ram = 400 * 1024 * 1024  # MiB
        self.other_cores_used = 0
        self.other_ram_used = 0  # MiB
        self.tokens: set[str] = set()

    # ---- building the world -------------------------------------------------------------
    def add_flavor(self, fid: str, vcpus: int, ram: int, azs: set[str] | None = None) -> None:
        with self.lock:
            self.flavors[fid] = Flavor(fid, vcpus, ram, frozenset(azs) if azs else None)

    def set_flavor_status(self, fid: str, status: str, az: str | None = None) -> None:
        """The flavor's sale status (normal, sellout, abandon, obt, promotion) in every zone
        (``az`` None) or in one."""
        with self.lock:
            flavor = self.flavors[fid]
            if az is None:
                flavor.status = status
            else:
                flavor.az_status[az] = status

    def add_server(self, server: Server) -> None:
        with self.lock:
            self.servers[server.id] = server

    def add_group(self, group: Group) -> None:
        with self.lock:
            self.groups[group.id] = group

    def add_instance(self, instance: Instance) -> None:
        with self.lock:
            self.instances[instance.id] = instance

    def add_drill(self, drill: Drill) -> None:
        with self.lock:
            self.drills[drill.id] = drill

    def add_host(self, host: DedicatedHost) -> None:
        with self.lock:
            self.hosts[host.id] = host

    def plan_next_job(self, plan: JobPlan) -> None:
        with self.lock:
            self.job_plans.append(plan)

    def add_power_fault(self, fault: PowerFault) -> None:
        with self.lock:
            self.power_faults.append(fault)

    def clear_power_faults(self) -> None:
        with self.lock:
            self.power_faults.clear()

    def set_power(self, server_id: str, status: str) -> None:
        with self.lock:
            self._server(server_id).status = status

    # ---- SDRS ---------------------------------------------------------------------------
    def resize(self, instance_id: str, body: Any) -> str:
        with self.lock:
            # what this resize depends on: the servers' power (ECS jobs) and this instance's
            # earlier resizes (its status, its servers' flavors); not every job of the world,
            # which made N submissions cost N^2 steps
            self._advance_for(instance_id)
            inst = self.instances.get(instance_id)
            if inst is None:
                raise _not_found(
                    "SDRS.1320", f"The protected instance {instance_id} does not exist"
                )
            if not isinstance(body, dict) or not isinstance(body.get("resize"), dict):
                raise _bad("SDRS.0201", "Invalid request parameters: 'resize' object required")
            spec = body["resize"]
            flavor_ref = _str_field(spec, "flavorRef")
            prod_flavor = flavor_ref or _str_field(spec, "production_flavorRef")
            dr_flavor = flavor_ref or _str_field(spec, "dr_flavorRef")
            prod_host = _str_field(spec, "production_dedicated_host_id")
            dr_host = _str_field(spec, "dr_dedicated_host_id")
            if not (prod_flavor or dr_flavor):
                raise _bad(
                    "SDRS.0201",
                    "Invalid request parameters: give flavorRef, production_flavorRef or "
                    "dr_flavorRef",
                )
            group = self.groups[inst.group_id]
            if group.status not in RESIZABLE_GROUP_STATUSES:
                raise _bad(
                    "SDRS.1024",
                    f"The protection group status is {group.status}; this operation needs "
                    "available or protected",
                )
            if inst.status not in RESIZABLE_INSTANCE_STATUSES:
                raise _bad(
                    "SDRS.1328",
                    f"The protected instance status is {inst.status}; resize needs available, "
                    "protected or error-resizing",
                )
            prod_id, dr_id = (
                (inst.target_server, inst.source_server)
                if inst.priority_station == "target"
                else (inst.source_server, inst.target_server)
            )
            sites = [
                (site, self._server(sid), flv, host)
                for site, sid, flv, host in (
                    ("production", prod_id, prod_flavor, prod_host),
                    ("dr", dr_id, dr_flavor, dr_host),
                )
            ]
            for site, _srv, flv, host in sites:
                if host and not flv:
                    raise _bad(
                        "SDRS.1370",
                        f"A dedicated host was given for the {site} site, which is not resized",
                    )
            targets = [(site, srv, flv, host) for site, srv, flv, host in sites if flv]
            for _site, srv, flv, _host in targets:
                flavor = self.flavors.get(flv or "")
                if flavor is None:
                    raise _bad("SDRS.1378", f"The flavor {flv} does not exist")
                if flavor.status_in(srv.az) in ("sellout", "abandon"):
                    raise _bad("SDRS.1379", f"The flavor {flv} is not available in {srv.az}")
            for _site, srv, _flv, _host in targets:
                if srv.charging_mode == "prePaid":
                    raise _bad(
                        "SDRS.1376",
                        f"Server {srv.id} is billed yearly/monthly; change its specifications "
                        "in the ECS console",
                    )
            running = [(site, srv) for site, srv, _f, _h in targets if srv.status != "SHUTOFF"]
            if len(running) == 2:
                raise _bad("SDRS.1342", "The production-site and DR-site servers are not stopped")
            if running:
                site, srv = running[0]
                code = "SDRS.1316" if site == "production" else "SDRS.1319"
                where = "production-site" if site == "production" else "DR-site"
                raise _bad(code, f"The {where} server {srv.id} is {srv.status}, not stopped")
            if all(srv.flavor == flv for _s, srv, flv, _h in targets):
                raise _bad("SDRS.1341", "The new flavor is the same as the current flavor")
            for site, srv, flv, host in targets:
                self._check_host(site, srv, host, flv or "")
            plan = self.job_plans.pop(0) if self.job_plans else JobPlan()
            total = self.job_seconds if plan.seconds is None else plan.seconds
            job = Job(
                id=uuid.uuid4().hex,
                instance_id=inst.id,
                group_id=group.id,
                created=self.now(),
                run_after=min(self.job_init_seconds, total),
                done_after=total,
                changes={srv.id: flv for _s, srv, flv, _h in targets if flv},
                moves={srv.id: h for _s, srv, _f, h in targets if h and h != srv.dedicated_host_id},
                fail=plan.fail,
                hang=plan.hang,
                restore_status=inst.status if inst.status != "error-resizing" else "protected",
            )
            self.jobs[job.id] = job
            self._jobs_of.setdefault(inst.id, []).append(job)
            inst.status = "resizing"
            return job.id

    def _check_host(self, site: str, srv: Server, host: str | None, flavor: str) -> None:
        if srv.dedicated_host_id and not host:
            raise _bad(
                "SDRS.1367",
                f"The {site}-site server {srv.id} runs on a dedicated host; give the dedicated "
                "host id for that site",
            )
        if host:
            deh = self.hosts.get(host)
            if deh is None:
                raise _bad("SDRS.1368", f"The dedicated host {host} does not exist")
            if deh.az != srv.az:
                raise _bad(
                    "SDRS.1369",
                    f"The dedicated host {host} is in {deh.az}, the server is in {srv.az}",
                )
            refused = deh.refusal(srv, flavor, self.servers.values(), self.flavors)
            if refused is not None:
                raise _bad(*refused)

    def dedicated_host(self, host_id: str, project_id: str = "") -> dict[str, Any]:
        """``ShowDedicatedHost``'s ``dedicated_host`` (404 for an unknown host)."""
        with self.lock:
            self._advance()
            host = self.hosts.get(host_id)
            if host is None:
                raise _not_found(DEH_NOT_FOUND, f"The dedicated host {host_id} does not exist")
            return host.wire(self.servers.values(), self.flavors, project_id)

    def job(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None:
                self._advance_job(job, self.now())
            if job is None:
                raise _not_found("SDRS.0201", f"The job {job_id} does not exist")
            return job.wire()

    def instance(self, instance_id: str) -> dict[str, Any]:
        with self.lock:
            self._advance()
            inst = self.instances.get(instance_id)
            if inst is None:
                raise _not_found(
                    "SDRS.1320", f"The protected instance {instance_id} does not exist"
                )
            return self._instance_wire(inst)

    def list_instances(self, group_id: str | None, name: str | None = None) -> list[dict[str, Any]]:
        """``name`` matches fuzzily, as the API reference says (here: a case-insensitive
        substring)."""
        with self.lock:
            self._advance()
            return [
                self._instance_wire(i)
                for i in self.instances.values()
                if (group_id is None or i.group_id == group_id)
                and (not name or name.lower() in i.name.lower())
            ]

    def _instance_wire(self, inst: Instance) -> dict[str, Any]:
        return {
            "id": inst.id,
            "name": inst.name,
            "description": "",
            "status": inst.status,
            "source_server": inst.source_server,
            "target_server": inst.target_server,
            "server_group_id": inst.group_id,
            "created_at": "2026-01-05T08:00:00.000Z",
            "updated_at": "2026-01-05T08:00:00.000Z",
            "metadata": {},
            "attachment": [],
            "tags": [],
            "progress": 100,
            "priority_station": inst.priority_station,
        }

    def group(self, group_id: str) -> dict[str, Any]:
        with self.lock:
            grp = self.groups.get(group_id)
            if grp is None:
                raise _not_found("SDRS.0207", f"The protection group {group_id} does not exist")
            return {
                "id": grp.id,
                "name": grp.name,
                "description": "",
                "status": grp.status,
                "progress": 100,
                "source_availability_zone": grp.source_az,
                "target_availability_zone": grp.target_az,
                "priority_station": grp.priority_station,
                "protected_instance_num": sum(
                    1 for i in self.instances.values() if i.group_id == grp.id
                ),
                "protected_status": "started" if grp.status == "protected" else "stopped",
                "dr_type": "migration",
            }

    def drill(self, drill_id: str) -> dict[str, Any]:
        with self.lock:
            return self._drill(drill_id).wire()

    def list_drills(self, filters: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            wanted = {
                k: v
                for k, v in filters.items()
                if k in ("server_group_id", "name", "status", "drill_vpc_id")
            }
            wires = [d.wire() for d in self.drills.values()]
            items = [w for w in wires if all(w.get(k) == v for k, v in wanted.items())]
            offset = int(filters.get("offset", 0))
            limit = int(filters.get("limit", 1000))
            page = items[offset : offset + limit]
            return {"disaster_recovery_drills": page, "count": len(page)}

    def rename_drill(self, drill_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            drill = self._drill(drill_id)
            spec = body.get("disaster_recovery_drill") if isinstance(body, dict) else None
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise _bad("SDRS.0201", "Invalid request parameters: disaster_recovery_drill.name")
            problem = drill_name_problem(spec["name"])
            if problem:
                raise _bad("SDRS.0202", f"Invalid name: {problem}")
            drill.name = spec["name"]
            drill.updated_at = _ts(self.now())
            return drill.wire()

    def _drill(self, drill_id: str) -> Drill:
        drill = self.drills.get(drill_id)
        if drill is None:
            raise _not_found("SDRS.1902", f"The disaster recovery drill {drill_id} does not exist")
        return drill

    # ---- ECS ----------------------------------------------------------------------------
    def server_wire(self, server_id: str) -> dict[str, Any]:
        with self.lock:
            self._advance()
            srv = self.servers.get(server_id)
            if srv is None:
                raise SdrsApiError(
                    404, "Ecs.0114", f"Instance[{server_id}] could not be found.", "error"
                )
            flavor = self.flavors.get(srv.flavor) or Flavor(srv.flavor, 0, 0)
            return {
                "id": srv.id,
                "name": srv.name,
                "status": srv.status,
                "OS-EXT-STS:task_state": self._task_state(srv.id),
                "flavor": flavor.ecs(),
                "OS-EXT-AZ:availability_zone": srv.az,
                # The host the server runs on (every server has one), not a DeH id; DeH
                # placement is os:scheduler_hints, as ECS documents it.
                "OS-EXT-SRV-ATTR:host": f"cna-{srv.az}-{sum(map(ord, srv.id)) % 16:02d}",
                "os:scheduler_hints": (
                    {"tenancy": ["dedicated"], "dedicated_host_id": [srv.dedicated_host_id]}
                    if srv.dedicated_host_id
                    else {}
                ),
                "metadata": {"charging_mode": "1" if srv.charging_mode == "prePaid" else "0"},
            }

    def _task_state(self, server_id: str) -> str:
        """``powering-off`` / ``powering-on`` while a job stops / starts the server, else ""."""
        for job in self.ecs_jobs.values():
            if job.status in ("INIT", "RUNNING") and any(
                s.server_id == server_id and not s.fail for s in job.subs
            ):
                return TASK_STATES[job.action]
        return ""

    def power_action(self, body: Any) -> str:
        """``POST .../cloudservers/action`` with ``os-stop`` or ``os-start``: the ECS job id."""
        with self.lock:
            self._advance()
            if not isinstance(body, dict):
                raise _ecs_bad("Invalid request parameters: the body must be a JSON object")
            actions = [k for k in body if k in POWER_ACTIONS]
            if len(actions) != 1 or len(body) != 1:
                raise _ecs_bad("Invalid request parameters: give exactly one of os-stop, os-start")
            action = POWER_ACTIONS[actions[0]]
            spec = body[actions[0]]
            if not isinstance(spec, dict):
                raise _ecs_bad(f"Invalid request parameters: {actions[0]} must be an object")
            servers = spec.get("servers")
            if not isinstance(servers, list) or not servers:
                raise _ecs_bad(f"Invalid request parameters: {actions[0]}.servers is required")
            ids: list[str] = []
            for ref in servers:
                if not isinstance(ref, dict) or not isinstance(ref.get("id"), str) or not ref["id"]:
                    raise _ecs_bad("Invalid request parameters: each server needs an id")
                ids.append(ref["id"])
            if len(set(ids)) != len(ids):
                raise _ecs_bad("Invalid request parameters: a server is given twice")
            if action == "stop" and spec.get("type", "SOFT") not in ("SOFT", "HARD"):
                raise _ecs_bad("Invalid request parameters: os-stop.type must be SOFT or HARD")
            if action == "start" and set(spec) - {"servers"}:
                raise _ecs_bad("Invalid request parameters: os-start takes only servers")
            for sid in ids:
                if sid not in self.servers:
                    raise _ecs_server_missing(sid)
            fault = next((f for f in self.power_faults if f.applies_to(action, ids)), None)
            if fault is not None:
                self.power_faults.remove(fault)
            subs = []
            for sid in ids:
                sub = EcsSubJob(sid)
                status = self.servers[sid].status
                hit = fault is not None and fault.server_id in (None, sid)
                if status != NEEDED_STATUS[action]:
                    sub.fail = (
                        ECS_WRONG_STATUS,
                        f"The ECS status does not meet requirements: server {sid} is {status}, "
                        f"{action} needs {NEEDED_STATUS[action]}",
                    )
                elif hit and fault is not None and fault.kind == "start_to_error":
                    sub.to_error = True
                elif hit and fault is not None:
                    sub.fail = (fault.error_code, fault.reason())
                subs.append(sub)
            total = self.job_seconds
            job = EcsJob(
                id=uuid.uuid4().hex,
                action=action,
                created=self.now(),
                run_after=min(self.job_init_seconds, total),
                done_after=total,
                subs=subs,
            )
            self.ecs_jobs[job.id] = job
            return job.id

    def is_ecs_job(self, job_id: str) -> bool:
        with self.lock:
            return job_id in self.ecs_jobs

    def ecs_job(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            job = self.ecs_jobs.get(job_id)
            if job is None:
                raise _not_found("SDRS.0201", f"The job {job_id} does not exist")
            self._advance_ecs_job(job, self.now())
            return job.wire()

    def resize_flavors(self, server_id: str) -> list[dict[str, Any]]:
        with self.lock:
            srv = self.servers.get(server_id)
            if srv is None:
                raise SdrsApiError(
                    404, "Ecs.0114", f"Instance[{server_id}] could not be found.", "error"
                )
            return [
                {
                    **f.ecs(),
                    "ram": f.ram,
                    "disk": "0",
                    "swap": "",
                    "OS-FLV-DISABLED:disabled": False,
                }
                for f in sorted(self.flavors.values(), key=lambda f: (f.vcpus, f.ram, f.id))
                if f.id != srv.flavor and (f.azs is None or srv.az in f.azs)
            ]

    def zone_flavors(self, limit: int, marker: str | None) -> list[dict[str, Any]]:
        """``ListFlavors``' ``flavors``: by id, after ``marker``, at most ``limit``."""
        with self.lock:
            ids = sorted(self.flavors)
            if marker:
                if marker not in self.flavors:
                    raise SdrsApiError(400, ECS_BAD_REQUEST, f"Invalid marker {marker}")
                ids = ids[ids.index(marker) + 1 :]
            return [
                {
                    **self.flavors[fid].ecs(),
                    "ram": self.flavors[fid].ram,
                    "disk": "0",
                    "swap": "",
                    "OS-FLV-EXT-DATA:ephemeral": 0,
                    "OS-FLV-DISABLED:disabled": False,
                    "rxtx_factor": 1.0,
                    "os-flavor-access:is_public": True,
                    "links": [],
                    "os_extra_specs": self.flavors[fid].extra_specs(),
                }
                for fid in ids[:limit]
            ]

    def used(self) -> tuple[int, int]:
        """(vCPUs, RAM MiB) the project uses: every server of the world, and the others."""
        with self.lock:
            self._advance()
            cores, ram = self.other_cores_used, self.other_ram_used
            for srv in self.servers.values():
                flavor = self.flavors.get(srv.flavor)
                if flavor is not None:
                    cores, ram = cores + flavor.vcpus, ram + flavor.ram
            return cores, ram

    def limits_wire(self) -> dict[str, Any]:
        """``ShowServerLimitsResponse``: ``absolute`` (``ServerLimits``)."""
        with self.lock:
            cores, ram = self.used()
            return {
                "absolute": {
                    "maxTotalCores": self.max_total_cores,
                    "totalCoresUsed": cores,
                    "maxTotalRAMSize": self.max_total_ram,
                    "totalRAMUsed": ram,
                    "maxTotalInstances": 10_000,
                    "totalInstancesUsed": len(self.servers),
                }
            }

    # ---- time ---------------------------------------------------------------------------
    def _advance(self) -> None:
        now = self.now()
        for job in self.jobs.values():
            self._advance_job(job, now)
        for ecs_job in self.ecs_jobs.values():
            self._advance_ecs_job(ecs_job, now)

    def _advance_for(self, instance_id: str) -> None:
        """:meth:`_advance` for what one instance's state depends on (the same outcome for
        it): every ECS job, and the SDRS jobs of that instance."""
        now = self.now()
        for job in self._jobs_of.get(instance_id, ()):
            self._advance_job(job, now)
        for ecs_job in self.ecs_jobs.values():
            self._advance_ecs_job(ecs_job, now)

    def _advance_ecs_job(self, job: EcsJob, now: datetime) -> None:
        if job.status in ("SUCCESS", "FAIL"):
            return
        age = (now - job.created).total_seconds()
        if age >= job.run_after:
            job.status = "RUNNING"
        if age < job.done_after:
            return
        job.ended = job.created + timedelta(seconds=job.done_after)
        for sub in job.subs:
            if sub.fail:
                continue
            srv = self.servers[sub.server_id]
            if job.action == "stop":
                srv.status = "SHUTOFF"
            else:
                srv.status = "ERROR" if sub.to_error else "ACTIVE"
        job.status = "FAIL" if any(s.fail for s in job.subs) else "SUCCESS"

    def _advance_job(self, job: Job, now: datetime) -> None:
        if job.status in ("SUCCESS", "FAIL"):
            return
        age = (now - job.created).total_seconds()
        if age >= job.run_after:
            job.status = "RUNNING"
        if job.hang or age < job.done_after:
            return
        job.ended = job.created + timedelta(seconds=job.done_after)
        inst = self.instances[job.instance_id]
        if job.fail:
            job.status = "FAIL"
            inst.status = "error-resizing"
        else:
            job.status = "SUCCESS"
            for sid, flv in job.changes.items():
                self.servers[sid].flavor = flv
            for sid, host in job.moves.items():
                self.servers[sid].dedicated_host_id = host
            inst.status = job.restore_status

    def _server(self, server_id: str) -> Server:
        srv = self.servers.get(server_id)
        if srv is None:
            raise KeyError(f"no server {server_id} in the emulated world")
        return srv

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain data (for the playground's side panel and for tests)."""
        with self.lock:
            self._advance()
            return copy.deepcopy(
                {
                    "groups": {k: vars(v) for k, v in self.groups.items()},
                    "instances": {k: vars(v) for k, v in self.instances.items()},
                    "servers": {
                        k: vars(v) | {"task_state": self._task_state(k)}
                        for k, v in self.servers.items()
                    },
                    "jobs": {k: v.wire() for k, v in self.jobs.items()},
                    "ecs_jobs": {k: v.wire() for k, v in self.ecs_jobs.items()},
                    "power_faults": [vars(f) for f in self.power_faults],
                    "drills": {k: v.wire() for k, v in self.drills.items()},
                }
            )
