"""What Huawei Cloud IAM must allow for each API call the bot makes, and what a refused read says
is missing. Pure: a table and two decisions, no I/O.

:data:`PERMISSIONS` has one row per (service, method, path template, body action) that
:class:`bot.huaweicloud.sdrs.SdrsClient`, :class:`bot.huaweicloud.ecs.EcsClient` and
:class:`bot.huaweicloud.deh.DehClient` call. Two
things a path alone does not tell: ECS's batch stop and start are one path (``POST
.../cloudservers/action``), told apart by the body's one key (``os-stop``, ``os-start``:
``body_key``); and SDRS and ECS both serve ``GET /v1/{project_id}/jobs/{job_id}``, told apart by
the endpoint (``service``). A test drives every client method against the emulator and matches each
request it captured to a row, so a new call without a row fails; ``deploy/iam-policy.json`` is
:func:`policy_document` (kept equal by a test), so no action is granted that no call needs.
``deploy/iam-policy.md`` cites the sources.

Two kinds of grant, because the two services are authorised differently (sources in
``deploy/iam-policy.md``):

* ECS supports policy-based authorisation: each call needs a named action
  (``ecs:cloudServers:get``, ``ecs:cloudServers:list``, ``ecs:cloudServers:stop``,
  ``ecs:cloudServers:start``, ``ecs:cloudServerFlavors:get``, ``ecs:cloudServerQuotas:get``)
  that a custom policy (``Version 1.1``) can allow. DeH too: the resize preflight's read of a
  dedicated host needs ``deh:dedicatedHosts:get``. Huawei's action
  tables name no action for the ECS job query (``ShowJob``); it is mapped to
  ``ecs:cloudServers:get``, which the policy grants anyway (``deploy/iam-policy.md`` says why).
* SDRS (BRS) supports only role-based authorisation: Huawei's permission references list one
  system role, ``SDRS Administrator`` (``SDRS:*:*``; depends on ``Tenant Guest`` and
  ``Server Administrator`` in the same project), and no custom-policy actions. Every SDRS call
  therefore needs that role; no custom policy can name one SDRS operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

POLICY_FILE = "deploy/iam-policy.json"
SDRS_ROLE = "SDRS Administrator"
SDRS_ROLE_DEPENDENCIES = ("Tenant Guest", "Server Administrator")

ECS_LIFECYCLE = "https://support.huaweicloud.com/en-us/api-ecs/ecs_06_0002.html"
ECS_FLAVORS = "https://support.huaweicloud.com/en-us/api-ecs/ecs_06_0008.html"
ECS_BATCH = (
    "https://support.huaweicloud.com/intl/en-us/eu-west-0-api-ecs/en-us_topic_0184167662.html"
)
ECS_BATCH_STOP = "https://support.huaweicloud.com/intl/en-us/api-ecs/ecs_02_0303.html"
ECS_SHOW_JOB = "https://support.huaweicloud.com/intl/en-us/api-ecs/ecs_02_0901.html"
SYSTEM_PERMISSIONS = "https://support.huaweicloud.com/usermanual-permissions/iam_01_0001.html"
DEH_API = "https://support.huaweicloud.com/intl/en-us/api-deh/deh_08_0002.html"


class GrantKind(StrEnum):
    ACTION = "action"  # an action a custom policy allows
    ROLE = "role"  # a system-defined role (the service has no custom-policy actions)


@dataclass(frozen=True)
class Grant:
    kind: GrantKind
    name: str

    def label(self) -> str:
        return self.name if self.kind is GrantKind.ACTION else f"role {self.name}"

    def remedy(self) -> str:
        if self.kind is GrantKind.ACTION:
            return f"add {self.name} to the custom policy attached to this identity ({POLICY_FILE})"
        needs = " and ".join(SDRS_ROLE_DEPENDENCIES)
        return (
            f"grant the system role '{self.name}' in this region's project (with {needs}, "
            "which it depends on): SDRS offers no custom-policy actions"
        )


SDRS_ADMIN = Grant(GrantKind.ROLE, SDRS_ROLE)
ECS_GET = Grant(GrantKind.ACTION, "ecs:cloudServers:get")
ECS_LIST = Grant(GrantKind.ACTION, "ecs:cloudServers:list")
ECS_STOP = Grant(GrantKind.ACTION, "ecs:cloudServers:stop")
ECS_START = Grant(GrantKind.ACTION, "ecs:cloudServers:start")
DEH_GET = Grant(GrantKind.ACTION, "deh:dedicatedHosts:get")
ECS_FLAVORS_GET = Grant(GrantKind.ACTION, "ecs:cloudServerFlavors:get")
ECS_QUOTAS_GET = Grant(GrantKind.ACTION, "ecs:cloudServerQuotas:get")
ECS_QUOTAS = "https://support.huaweicloud.com/intl/en-us/api-ecs/ecs_06_0012.html"


@dataclass(frozen=True)
class Permission:
    """One API call: where it goes, its name in the official SDK, what IAM must allow, and the
    page that says so."""

    service: str  # "sdrs" | "ecs" | "deh"
    method: str
    path: str  # the API reference's template; {name} is one path segment
    operation: str  # the huaweicloudsdk* operation name
    grant: Grant
    source: str
    body_key: str | None = None  # the body's key that names the action (one path, many actions)

    @property
    def changes(self) -> bool:
        """A call that changes the cloud (not tried by ``sdrs-bot check``)."""
        return self.method != "GET"

    def matches(
        self, method: str, path: str, *, service: str | None = None, body: Any = None
    ) -> bool:
        if service is not None and service != self.service:
            return False
        if self.body_key is not None and not (isinstance(body, dict) and self.body_key in body):
            return False
        return method.upper() == self.method and _pattern(self.path).fullmatch(path) is not None


_P = "/v1/{project_id}"
# Literal paths before the templates that would also match them (cloudservers/detail before
# cloudservers/{server_id}): the first matching row wins.
PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "sdrs",
        "POST",
        _P + "/protected-instances/{protected_instance_id}/resize",
        "ResizeProtectedInstance",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "sdrs",
        "GET",
        _P + "/protected-instances/{protected_instance_id}",
        "ShowProtectedInstance",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "sdrs",
        "GET",
        _P + "/protected-instances",
        "ListProtectedInstances",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "sdrs",
        "GET",
        _P + "/server-groups/{server_group_id}",
        "ShowProtectionGroup",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "sdrs", "GET", _P + "/jobs/{job_id}", "ShowJobStatus", SDRS_ADMIN, SYSTEM_PERMISSIONS
    ),
    Permission(
        "sdrs",
        "GET",
        _P + "/disaster-recovery-drills/{disaster_recovery_drill_id}",
        "ShowDisasterRecoveryDrill",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "sdrs",
        "PUT",
        _P + "/disaster-recovery-drills/{disaster_recovery_drill_id}",
        "UpdateDisasterRecoveryDrillName",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "sdrs",
        "GET",
        _P + "/disaster-recovery-drills",
        "ListDisasterRecoveryDrills",
        SDRS_ADMIN,
        SYSTEM_PERMISSIONS,
    ),
    Permission(
        "ecs", "GET", _P + "/cloudservers/detail", "ListServersDetails", ECS_LIST, ECS_LIFECYCLE
    ),
    Permission(
        "ecs",
        "GET",
        _P + "/cloudservers/resize_flavors",
        "ListResizeFlavors",
        ECS_LIST,
        ECS_FLAVORS,
    ),
    Permission(
        "ecs",
        "GET",
        _P + "/cloudservers/flavors",
        "ListFlavors",
        ECS_FLAVORS_GET,
        ECS_FLAVORS,
    ),
    Permission(
        "ecs",
        "GET",
        _P + "/cloudservers/limits",
        "ShowServerLimits",
        ECS_QUOTAS_GET,
        ECS_QUOTAS,
    ),
    Permission(
        "ecs", "GET", _P + "/cloudservers/{server_id}", "ShowServer", ECS_GET, ECS_LIFECYCLE
    ),
    Permission(
        "ecs",
        "POST",
        _P + "/cloudservers/action",
        "BatchStopServers",
        ECS_STOP,
        ECS_BATCH_STOP,
        body_key="os-stop",
    ),
    Permission(
        "ecs",
        "POST",
        _P + "/cloudservers/action",
        "BatchStartServers",
        ECS_START,
        ECS_BATCH,
        body_key="os-start",
    ),
    Permission("ecs", "GET", _P + "/jobs/{job_id}", "ShowJob", ECS_GET, ECS_SHOW_JOB),
    Permission(
        "deh",
        "GET",
        "/v1.0/{project_id}/dedicated-hosts/{dedicated_host_id}",
        "ShowDedicatedHost",
        DEH_GET,
        DEH_API,
    ),
)

BY_OPERATION: dict[str, Permission] = {p.operation: p for p in PERMISSIONS}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def permission_for(
    method: str, path: str, *, service: str | None = None, body: Any = None
) -> Permission | None:
    """The row for a request (``path`` without the query; ``body`` the decoded JSON body), or
    None if the bot never calls it. ``service`` ("sdrs"/"ecs") decides a path both services
    serve (the jobs path); without it the first matching row wins (SDRS's ShowJobStatus)."""
    return next(
        (p for p in PERMISSIONS if p.matches(method, path, service=service, body=body)), None
    )


def policy_actions() -> list[str]:
    """Every custom-policy action some call needs, sorted, each once."""
    return sorted({p.grant.name for p in PERMISSIONS if p.grant.kind is GrantKind.ACTION})


def policy_document() -> dict[str, Any]:
    """The custom policy (IAM ``Version 1.1``) with exactly the actions the bot uses."""
    return {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": policy_actions()}]}


# An action named in a refusal's message ("... doesn't allow ecs:cloudServers:list ..."):
# service:resourceType:operation, lower-case service.
_ACTION = re.compile(r"\b[a-z][a-z0-9]*:[A-Za-z][A-Za-z0-9]*:[A-Za-z][A-Za-z0-9]*\b")


def refused_grant(status: int, message: str, probed: Grant) -> Grant | None:
    """What a refused harmless read shows to be missing: ``None`` unless the answer is a
    permission refusal (HTTP 403; 401 means the credentials themselves were refused). A message
    that names a policy action the bot uses names what is missing; otherwise it is the grant the
    read needs (``probed``). The service's error code is not used: Huawei documents no single
    code for a policy refusal across SDRS and ECS (``deploy/iam-policy.md``)."""
    if status != 403:
        return None
    for named in _ACTION.findall(message):
        if named in policy_actions():
            return Grant(GrantKind.ACTION, named)
    return probed


class AccessState(StrEnum):
    OK = "ok"
    MISSING = "missing"
    UNTESTED = "not tested"
    ERROR = "error"


@dataclass(frozen=True)
class AccessResult:
    """One row of ``sdrs-bot check``'s least-privilege report for one account."""

    operation: str  # Permission.operation
    grant: Grant
    state: AccessState
    detail: str
    remedy: str = ""

    def summary(self) -> str:
        return f"{self.operation} ({self.grant.label()}): {self.detail}"
