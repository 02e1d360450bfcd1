"""Least privilege, the table side: every request the SDRS, ECS and DeH clients send (driven against
the emulator, captured there) has a row in ``bot.core.permissions.PERMISSIONS``, every row is
sent by some client method, and ``deploy/iam-policy.json`` is exactly the actions those rows
need. The emulator refuses denied grants per access key as IAM does (HTTP 403)."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.core.errors import AuthError, CloudError
from bot.core.permissions import (
    PERMISSIONS,
    SDRS_ADMIN,
    Grant,
    GrantKind,
    permission_for,
    policy_actions,
    policy_document,
    refused_grant,
)
from bot.core.wire.sdrs import ResizeParams
from bot.huaweicloud.deh import DehClient
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.wiring import CloudClients, build_clients
from bot.sandbox.access_denial import DENIED_CODE
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.world import World
from tests.conftest import sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
OTHER_AK, OTHER_SK = "SANDBOXAKOTHERKEY0002", "another-sandbox-secret"

Drive = Callable[[SdrsClient, EcsClient, World], Awaitable[Any]]
# Every public client method, called with ids the seeded world has (an ECS job made in the world
# first, so the emulator knows the id as ECS's), and the row its request must match. A new
# client method without a line here fails test_every_client_method_is_driven.
DRIVERS: dict[str, tuple[str, Drive]] = {
    "SdrsClient.resize_protected_instance": (
        "ResizeProtectedInstance",
        lambda s, e, w: s.resize_protected_instance(
            sid("pi-erp-db"), ResizeParams(flavorRef="s6.xlarge.2")
        ),
    ),
    "SdrsClient.rename_drill": (
        "UpdateDisasterRecoveryDrillName",
        lambda s, e, w: s.rename_drill(sid("drill-web"), "web-drill-renamed"),
    ),
    "SdrsClient.get_job": ("ShowJobStatus", lambda s, e, w: s.get_job("no-such-job")),
    "SdrsClient.get_protected_instance": (
        "ShowProtectedInstance",
        lambda s, e, w: s.get_protected_instance(sid("pi-erp-db")),
    ),
    "SdrsClient.list_protected_instances": (
        "ListProtectedInstances",
        lambda s, e, w: s.list_protected_instances(limit=2),
    ),
    "SdrsClient.get_protection_group": (
        "ShowProtectionGroup",
        lambda s, e, w: s.get_protection_group(sid("pg-erp")),
    ),
    "SdrsClient.get_drill": (
        "ShowDisasterRecoveryDrill",
        lambda s, e, w: s.get_drill(sid("drill-erp")),
    ),
    "SdrsClient.list_drills": (
        "ListDisasterRecoveryDrills",
        lambda s, e, w: s.list_drills(limit=1),
    ),
    "EcsClient.get_server": ("ShowServer", lambda s, e, w: e.get_server(sid("pi-erp-db-src"))),
    "EcsClient.count_servers": ("ListServersDetails", lambda s, e, w: e.count_servers()),
    "EcsClient.list_zone_flavors": (
        "ListFlavors",
        lambda s, e, w: e.list_zone_flavors("cn-north-4a"),
    ),
    "EcsClient.get_limits": ("ShowServerLimits", lambda s, e, w: e.get_limits()),
    "EcsClient.list_resize_flavors": (
        "ListResizeFlavors",
        lambda s, e, w: e.list_resize_flavors(sid("pi-erp-db-src")),
    ),
    "EcsClient.batch_stop": (
        "BatchStopServers",
        lambda s, e, w: e.batch_stop([sid("pi-erp-app-src")]),
    ),
    "EcsClient.batch_start": (
        "BatchStartServers",
        lambda s, e, w: e.batch_start([sid("pi-erp-db-src")]),
    ),
    "EcsClient.get_job": (
        "ShowJob",
        lambda s, e, w: e.get_job(
            w.power_action({"os-start": {"servers": [{"id": sid("pi-erp-db-tgt")}]}})
        ),
    ),
}
NOT_API_CALLS = {"aclose"}
# the DeH client's calls (a host the seeded world has), and their rows
DEH_DRIVERS: dict[str, tuple[str, Callable[[DehClient], Awaitable[Any]]]] = {
    "DehClient.get_dedicated_host": (
        "ShowDedicatedHost",
        lambda d: d.get_dedicated_host(sid("deh-prod")),
    ),
}


def _public_methods(cls: type) -> set[str]:
    return {
        f"{cls.__name__}.{name}"
        for name, member in vars(cls).items()
        if inspect.iscoroutinefunction(member)
        and not name.startswith("_")
        and name not in NOT_API_CALLS
    }


@pytest.fixture
async def clouds(emulator: EmulatorThread) -> AsyncIterator[CloudClients]:
    clients = build_clients(sandbox_settings(emulator.url, http_max_attempts=1))
    yield clients
    await clients.aclose()


def test_every_client_method_is_driven() -> None:
    assert _public_methods(SdrsClient) | _public_methods(EcsClient) == set(DRIVERS)
    assert _public_methods(DehClient) == set(DEH_DRIVERS)


async def test_every_request_the_clients_send_has_a_row_and_every_row_is_sent(
    clouds: CloudClients, emulator: EmulatorThread, world: World
) -> None:
    served: set[str] = set()
    for name, (operation, drive) in DRIVERS.items():
        before = len(emulator.emulator.requests)
        try:
            await drive(clouds.sdrs, clouds.ecs, world)
        except CloudError:
            pass  # an error answer is still a request the bot sends
        sent = list(emulator.emulator.requests)[before:]
        assert sent, f"{name} sent nothing"
        service = "sdrs" if name.startswith("Sdrs") else "ecs"
        for request in sent:
            row = permission_for(request.method, request.path, service=service, body=request.json())
            assert row is not None, f"{name}: {request.method} {request.path} has no row"
            assert row.operation == operation, f"{name} matched {row.operation}"
            assert row.service == ("sdrs" if name.startswith("Sdrs") else "ecs"), name
            served.add(row.operation)
    assert clouds.deh is not None
    for name, (operation, call) in DEH_DRIVERS.items():
        before = len(emulator.emulator.requests)
        await call(clouds.deh)
        sent = list(emulator.emulator.requests)[before:]
        assert sent, f"{name} sent nothing"
        for request in sent:
            row = permission_for(request.method, request.path, service="deh")
            assert row is not None and row.operation == operation, name
            served.add(row.operation)
    assert served == {p.operation for p in PERMISSIONS}, "a row no client method sends"


def test_the_policy_file_is_exactly_the_actions_the_calls_need() -> None:
    shipped = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
    assert shipped == policy_document()
    assert shipped["Version"] == "1.1"
    (statement,) = shipped["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == [
        "deh:dedicatedHosts:get",
        "ecs:cloudServerFlavors:get",
        "ecs:cloudServerQuotas:get",
        "ecs:cloudServers:get",
        "ecs:cloudServers:list",
        "ecs:cloudServers:start",
        "ecs:cloudServers:stop",
    ]
    # every action is some call's grant; every call's grant is an action here or a role
    needed = {p.grant.name for p in PERMISSIONS if p.grant.kind is GrantKind.ACTION}
    assert set(statement["Action"]) == needed
    assert {p.grant for p in PERMISSIONS if p.grant.kind is GrantKind.ROLE} == {SDRS_ADMIN}


def test_the_policy_notes_cite_a_source_for_every_row_and_name_every_action() -> None:
    notes = (ROOT / "deploy" / "iam-policy.md").read_text()
    for row in PERMISSIONS:
        assert row.source in notes, row.operation
        assert f"`{row.method} {row.path}`" in notes, row.operation
        assert row.operation in notes
    for action in policy_actions():
        assert f"`{action}`" in notes
    assert "SDRS Administrator" in notes


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", f"/v1/{SANDBOX_PROJECT_ID}/cloudservers/detail", "ListServersDetails"),
        ("GET", f"/v1/{SANDBOX_PROJECT_ID}/cloudservers/resize_flavors", "ListResizeFlavors"),
        ("GET", f"/v1/{SANDBOX_PROJECT_ID}/cloudservers/abc", "ShowServer"),
        (
            "POST",
            f"/v1/{SANDBOX_PROJECT_ID}/protected-instances/x/resize",
            "ResizeProtectedInstance",
        ),
        (
            "PUT",
            f"/v1/{SANDBOX_PROJECT_ID}/disaster-recovery-drills/d",
            "UpdateDisasterRecoveryDrillName",
        ),
        (
            "GET",
            f"/v1/{SANDBOX_PROJECT_ID}/disaster-recovery-drills/d",
            "ShowDisasterRecoveryDrill",
        ),
        ("GET", f"/v1/{SANDBOX_PROJECT_ID}/protected-instances/x/resize", None),
        ("DELETE", f"/v1/{SANDBOX_PROJECT_ID}/protected-instances/x", None),
        ("GET", f"/v2/{SANDBOX_PROJECT_ID}/jobs/x", None),
        ("GET", f"/v1/{SANDBOX_PROJECT_ID}/jobs/x", "ShowJobStatus"),
    ],
)
def test_rows_match_their_method_and_template(
    method: str, path: str, operation: str | None
) -> None:
    row = permission_for(method, path)
    assert (row.operation if row else None) == operation


ACTION = f"/v1/{SANDBOX_PROJECT_ID}/cloudservers/action"
JOBS = f"/v1/{SANDBOX_PROJECT_ID}/jobs/x"


@pytest.mark.parametrize(
    ("method", "path", "service", "body", "operation"),
    [
        ("POST", ACTION, None, {"os-stop": {"servers": [{"id": "a"}]}}, "BatchStopServers"),
        ("POST", ACTION, "ecs", {"os-start": {"servers": [{"id": "a"}]}}, "BatchStartServers"),
        ("POST", ACTION, None, {"reboot": {"servers": [{"id": "a"}]}}, None),  # not ours
        ("POST", ACTION, None, None, None),
        ("POST", ACTION, "sdrs", {"os-stop": {}}, None),
        ("GET", JOBS, "ecs", None, "ShowJob"),
        ("GET", JOBS, "sdrs", None, "ShowJobStatus"),
    ],
)
def test_one_path_many_calls_are_told_apart_by_body_and_service(
    method: str, path: str, service: str | None, body: Any, operation: str | None
) -> None:
    row = permission_for(method, path, service=service, body=body)
    assert (row.operation if row else None) == operation


LIST = Grant(GrantKind.ACTION, "ecs:cloudServers:list")
GET = Grant(GrantKind.ACTION, "ecs:cloudServers:get")


@pytest.mark.parametrize(
    ("status", "message", "probed", "expected"),
    [
        (403, "anything", LIST, LIST),  # a refused read: the grant it needs
        (403, "anything", SDRS_ADMIN, SDRS_ADMIN),
        (403, "Policy doesn't allow ecs:cloudServers:get to be performed.", LIST, GET),
        (403, "Policy doesn't allow evs:volumes:list to be performed.", LIST, LIST),  # not ours
        (401, "Incorrect IAM authentication information", LIST, None),  # credentials
        (404, "does not exist", LIST, None),
        (400, "ecs:cloudServers:get", LIST, None),
        (500, "internal error", SDRS_ADMIN, None),
    ],
)
def test_what_a_refusal_says_is_missing(
    status: int, message: str, probed: Grant, expected: Grant | None
) -> None:
    assert refused_grant(status, message, probed) == expected


def test_remedies_name_the_grant() -> None:
    assert "add ecs:cloudServers:list to the custom policy" in LIST.remedy()
    assert "deploy/iam-policy.json" in LIST.remedy()
    assert "system role 'SDRS Administrator'" in SDRS_ADMIN.remedy()
    assert "Tenant Guest and Server Administrator" in SDRS_ADMIN.remedy()


async def test_the_emulator_refuses_a_denied_action_for_that_key_only(
    world: World, emulator: EmulatorThread
) -> None:
    world.credentials[OTHER_AK] = OTHER_SK
    other = build_clients(
        sandbox_settings(
            emulator.url, huaweicloud_sdk_ak=OTHER_AK, huaweicloud_sdk_sk=SecretStr(OTHER_SK)
        )
    )
    mine = build_clients(sandbox_settings(emulator.url))
    async with httpx.AsyncClient(base_url=emulator.url) as control:
        answer = await control.post(
            "/_sandbox/deny", json={"grants": ["ecs:cloudServers:get"], "ak": SANDBOX_AK}
        )
        assert answer.status_code == 200
        assert (await control.get("/_sandbox/deny")).json() == {
            SANDBOX_AK: ["ecs:cloudServers:get"]
        }
        try:
            server = sid("pi-erp-db-src")
            with pytest.raises(AuthError) as refused:
                await mine.ecs.get_server(server)
            assert refused.value.status == 403 and refused.value.code == DENIED_CODE
            assert "ecs:cloudServers:get" in refused.value.message
            assert refused.value.request_id
            body = emulator.emulator.requests[-1]
            assert body.path.endswith(server)
            await mine.ecs.count_servers()  # another action of the same key: allowed
            assert (await other.ecs.get_server(server)).id == server  # another key: allowed
            await control.delete("/_sandbox/deny")
            assert (await mine.ecs.get_server(server)).id == server
        finally:
            await mine.aclose()
            await other.aclose()


async def test_denying_the_sdrs_role_refuses_every_sdrs_call_and_no_ecs_call(
    clouds: CloudClients, emulator: EmulatorThread, world: World
) -> None:
    emulator.emulator.denials.deny(["SDRS Administrator"])  # every caller
    for name, (_, drive) in DRIVERS.items():
        if name.startswith("Sdrs"):
            with pytest.raises(AuthError) as refused:
                await drive(clouds.sdrs, clouds.ecs, world)
            assert refused.value.status == 403, name
            assert "SDRS Administrator is not granted" in refused.value.message
        else:
            await drive(clouds.sdrs, clouds.ecs, world)


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("ecs:cloudServers:stop", lambda e: e.batch_stop([sid("pi-erp-app-src")])),
        ("ecs:cloudServers:start", lambda e: e.batch_start([sid("pi-erp-db-src")])),
    ],
)
async def test_denying_stop_refuses_stops_only_and_start_starts_only(
    clouds: CloudClients, emulator: EmulatorThread, world: World, action: str, call: Any
) -> None:
    """One path, two actions: the emulator tells them apart by the body, as IAM does."""
    emulator.emulator.denials.deny([action])
    with pytest.raises(AuthError) as refused:
        await call(clouds.ecs)
    assert refused.value.status == 403 and action in refused.value.message
    assert world.ecs_jobs == {}
    other = "ecs:cloudServers:start" if action.endswith("stop") else "ecs:cloudServers:stop"
    emulator.emulator.denials.clear()
    emulator.emulator.denials.deny([other])
    assert await call(clouds.ecs) in world.ecs_jobs


async def test_a_bad_control_body_is_refused(emulator: EmulatorThread) -> None:
    async with httpx.AsyncClient(base_url=emulator.url) as control:
        answer = await control.post("/_sandbox/deny", json={"grants": "ecs:cloudServers:get"})
    assert answer.status_code == 400
    assert emulator.emulator.denials.snapshot() == {}
