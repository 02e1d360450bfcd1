"""Least privilege, tried: for one account's clients, make the harmless reads the bot's calls
have in common with what IAM must allow, and report per call whether IAM allows it, what is
missing (the action or role to add, from :func:`bot.core.permissions.refused_grant`), or why it
was not tried. Only reads are sent: a resize, a rename, an ECS stop or start would change the
cloud, so those are reported as not tested, with what the reads imply about them (for the ECS
power actions: nothing, their actions are their own).

The reads, in order: list protected instances (limit 1); show the first one and its protection
group; list drills (limit 1) and show the first; show a job whose id cannot exist (an answer
"does not exist" means IAM let the call through); ECS: list servers (limit 1), show the first
protected instance's production server and list its resize flavors and the flavors of its
availability zone, read the project's ECS limits; DeH: show a dedicated host whose id cannot
exist (a "does not exist" answer means IAM let it through; no DeH endpoint for the region: not
tried). A read that needs an object
the project does not have (no protected instance, no drill) is not tested, and says so. The ECS
job read (``ShowJob``) is not sent: Huawei names no action for it and the table maps it to
``ecs:cloudServers:get``, so ShowServer's answer is reported for it (and the emulator, serving
SDRS and ECS jobs on one host, could not tell an ECS probe from an SDRS one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.errors import ApiError, AuthError, CloudError, NotFoundError
from bot.core.permissions import (
    BY_OPERATION,
    SDRS_ADMIN,
    AccessResult,
    AccessState,
    refused_grant,
)
from bot.huaweicloud.deh import DehClient
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient

# A job id no SDRS job has: the read is harmless and its "does not exist" answer shows that IAM
# let the request through to the service.
PROBE_JOB_ID = "sdrs-bot-access-check-no-such-job"
PROBE_HOST_ID = "sdrs-bot-access-check-no-such-host"

Read = Callable[[], Awaitable[Any]]


async def check_access(
    sdrs: SdrsClient, ecs: EcsClient, deh: DehClient | None = None
) -> list[AccessResult]:
    """One result per call the bot makes (``bot.core.permissions.PERMISSIONS``), for the account
    these clients are built for (``deh``: None without a DeH endpoint). Never raises for a
    cloud answer: each one is a row."""
    results: list[AccessResult] = []

    async def attempt(operation: str, read: Read, *, absent_ok: bool = False) -> Any:
        row, value = await _try(operation, read, absent_ok=absent_ok)
        results.append(row)
        return value

    instances = await attempt(
        "ListProtectedInstances", lambda: sdrs.list_protected_instances(limit=1)
    )
    instance = instances[0] if instances else None
    no_instance = (
        "no protected instance in the project"
        if instances is not None
        else "the list of protected instances above gave none to read"
    )
    if instance is None:
        results.append(_untested("ShowProtectedInstance", no_instance))
        results.append(_untested("ShowProtectionGroup", no_instance))
    else:
        await attempt("ShowProtectedInstance", lambda: sdrs.get_protected_instance(instance.id))
        group_id = instance.server_group_id
        if group_id:
            await attempt("ShowProtectionGroup", lambda: sdrs.get_protection_group(group_id))
        else:
            results.append(_untested("ShowProtectionGroup", "the instance names no group"))
    drills = await attempt("ListDisasterRecoveryDrills", lambda: sdrs.list_drills(limit=1))
    listed = drills.disaster_recovery_drills if drills else []
    drill = listed[0] if listed else None
    if drill is None:
        why = "no DR drill in the project" if drills is not None else "the drill list gave none"
        results.append(_untested("ShowDisasterRecoveryDrill", why))
    else:
        await attempt("ShowDisasterRecoveryDrill", lambda: sdrs.get_drill(drill.id))
    await attempt("ShowJobStatus", lambda: sdrs.get_job(PROBE_JOB_ID), absent_ok=True)

    await attempt("ListServersDetails", ecs.count_servers)
    server_id = instance.production_server() if instance is not None else None
    if not server_id:
        why = f"no server to read ({no_instance})" if instance is None else "the instance has none"
        results.append(_untested("ShowServer", why))
        results.append(_untested("ListResizeFlavors", why))
        results.append(_untested("ListFlavors", why))
    else:
        server = await attempt("ShowServer", lambda: ecs.get_server(server_id))
        await attempt("ListResizeFlavors", lambda: ecs.list_resize_flavors(server_id))
        zone = server.availability_zone if server is not None else None
        # the server's zone, as the preflight asks; the region's flavors when it was not read
        await attempt("ListFlavors", lambda: ecs.list_zone_flavors(zone or None))
    await attempt("ShowServerLimits", ecs.get_limits)

    if deh is None:
        why = "no DeH endpoint for this region (set DEH_ENDPOINT / deh_endpoint)"
        results.append(_untested("ShowDedicatedHost", why))
    else:
        probe = deh.get_dedicated_host
        await attempt("ShowDedicatedHost", lambda: probe(PROBE_HOST_ID), absent_ok=True)

    results.append(_ecs_job(results))
    results.append(_changes("ResizeProtectedInstance", results, "a resize changes servers"))
    results.append(_changes("UpdateDisasterRecoveryDrillName", results, "a rename changes a drill"))
    results.append(_power("BatchStopServers", "a stop powers servers off"))
    results.append(_power("BatchStartServers", "a start powers servers on"))
    return results


async def _try(operation: str, read: Read, *, absent_ok: bool) -> tuple[AccessResult, Any]:
    grant = BY_OPERATION[operation].grant
    try:
        value = await read()
    except NotFoundError as exc:
        if absent_ok:
            detail = f"allowed (the probe's id does not exist, as intended: {exc.code})"
            return AccessResult(operation, grant, AccessState.OK, detail), None
        return _error(operation, exc), None
    except ApiError as exc:
        missing = refused_grant(exc.status, exc.message, grant)
        if missing is None:
            return _error(operation, exc), None
        detail = f"refused: {exc.code} (HTTP {exc.status}): {exc.message}"
        return AccessResult(operation, missing, AccessState.MISSING, detail, missing.remedy()), None
    except CloudError as exc:
        return _error(operation, exc), None
    return AccessResult(operation, grant, AccessState.OK, "allowed"), value


def _error(operation: str, exc: CloudError) -> AccessResult:
    grant = BY_OPERATION[operation].grant
    if isinstance(exc, AuthError):  # 401 or an APIGW code: the credentials, not a permission
        return AccessResult(
            operation,
            grant,
            AccessState.ERROR,
            f"credentials refused: {exc}",
            "check the account's credentials, project id and region",
        )
    if isinstance(exc, ApiError):
        return AccessResult(operation, grant, AccessState.ERROR, f"could not tell: {exc}")
    return AccessResult(
        operation,
        grant,
        AccessState.ERROR,
        f"not reachable: {exc}",
        "check the endpoint and the network",
    )


def _untested(operation: str, why: str) -> AccessResult:
    grant = BY_OPERATION[operation].grant
    return AccessResult(operation, grant, AccessState.UNTESTED, f"not tried: {why}")


def _ecs_job(done: list[AccessResult]) -> AccessResult:
    grant = BY_OPERATION["ShowJob"].grant
    shown = next((r for r in done if r.operation == "ShowServer"), None)
    base = f"not tried (Huawei names no action for it; mapped to {grant.label()}); "
    if shown is None or shown.state in (AccessState.UNTESTED, AccessState.ERROR):
        return AccessResult("ShowJob", grant, AccessState.UNTESTED, base + "ShowServer: unknown")
    if shown.state is AccessState.MISSING:
        return AccessResult(
            "ShowJob",
            grant,
            AccessState.MISSING,
            base + f"ShowServer was {shown.detail}",
            grant.remedy(),
        )
    return AccessResult("ShowJob", grant, AccessState.UNTESTED, base + "ShowServer was allowed it")


def _power(operation: str, why: str) -> AccessResult:
    """An ECS power action: its action is its own, so no read says anything about it."""
    grant = BY_OPERATION[operation].grant
    detail = (
        f"not tried ({why}); no read tells whether {grant.label()} is allowed: make sure the "
        "custom policy has it"
    )
    return AccessResult(operation, grant, AccessState.UNTESTED, detail)


def _changes(operation: str, done: list[AccessResult], why: str) -> AccessResult:
    """A call that cannot be tried harmlessly: what the SDRS reads imply about it. IAM allows
    every SDRS call with the same role, so the reads decide the IAM side; what SDRS then does
    with the caller's token (the resize runs on ECS) no read can show."""
    grant = BY_OPERATION[operation].grant
    sdrs_reads = [r for r in done if r.grant == SDRS_ADMIN and r.state is not AccessState.UNTESTED]
    base = f"not tried ({why}); "
    if any(r.state is AccessState.MISSING for r in sdrs_reads):
        detail = base + f"missing too: it needs the same {grant.label()} the refused reads need"
        return AccessResult(operation, grant, AccessState.MISSING, detail, grant.remedy())
    if sdrs_reads and all(r.state is AccessState.OK for r in sdrs_reads):
        detail = base + f"IAM allows it: the {grant.label()} that allowed the reads covers it"
    else:
        detail = base + "the SDRS reads did not answer, so nothing is known"
    if operation == "ResizeProtectedInstance":
        detail += (
            "; SDRS resizes the servers through ECS as this identity, which no read can show "
            "(the role's documented dependency Server Administrator)"
        )
    return AccessResult(operation, grant, AccessState.UNTESTED, detail)
