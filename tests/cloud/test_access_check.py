"""Least privilege, tried (``bot.huaweicloud.access_check``) against the emulator with IAM
refusals: all
allowed -> every read ok and only the two changes untested; one grant denied -> exactly the
calls needing it are reported missing, with the remedy naming it; ``sdrs-bot check`` prints it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.permissions import (
    PERMISSIONS,
    SDRS_ADMIN,
    AccessResult,
    AccessState,
    policy_actions,
)
from bot.huaweicloud.access_check import check_access
from bot.huaweicloud.wiring import CloudClients, build_clients
from bot.sandbox.seed import SANDBOX_PROJECT_ID
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.world import World
from tests.conftest import sandbox_settings

SDRS_CHANGES = {"ResizeProtectedInstance", "UpdateDisasterRecoveryDrillName"}
ECS_POWER = {"BatchStopServers", "BatchStartServers"}
CHANGES = SDRS_CHANGES | ECS_POWER
# not sent: Huawei names no action for it; ShowServer's answer (the same mapped action) decides
DERIVED = {"ShowJob"}


@pytest.fixture
async def clouds(emulator: EmulatorThread) -> AsyncIterator[CloudClients]:
    clients = build_clients(sandbox_settings(emulator.url, http_max_attempts=1))
    yield clients
    await clients.aclose()


def by_state(rows: list[AccessResult]) -> dict[AccessState, set[str]]:
    states: dict[AccessState, set[str]] = {}
    for row in rows:
        states.setdefault(row.state, set()).add(row.operation)
    return states


async def test_all_allowed_every_read_is_ok_and_only_the_changes_are_untested(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    before = len(emulator.emulator.requests)
    rows = await check_access(clouds.sdrs, clouds.ecs, clouds.deh)
    assert [r.operation for r in rows].count("ShowServer") == 1
    assert {r.operation for r in rows} == {p.operation for p in PERMISSIONS}
    states = by_state(rows)
    assert states[AccessState.UNTESTED] == CHANGES | DERIVED
    assert states[AccessState.OK] == {p.operation for p in PERMISSIONS} - CHANGES - DERIVED
    assert set(states) == {AccessState.OK, AccessState.UNTESTED}
    for row in rows:
        if row.operation in SDRS_CHANGES:
            assert "IAM allows it" in row.detail and "role SDRS Administrator" in row.detail
        if row.operation in ECS_POWER:
            assert "no read tells" in row.detail and row.grant.name in row.detail
        if row.operation in DERIVED:
            assert "ShowServer was allowed it" in row.detail
    # harmless: nothing but reads was sent
    sent = list(emulator.emulator.requests)[before:]
    assert sent and {r.method for r in sent} == {"GET"}


@pytest.mark.parametrize("action", policy_actions())
async def test_one_denied_action_is_named_as_missing_with_its_remedy(
    clouds: CloudClients, emulator: EmulatorThread, action: str
) -> None:
    emulator.emulator.denials.deny([action], None)
    rows = await check_access(clouds.sdrs, clouds.ecs, clouds.deh)
    needing = {p.operation for p in PERMISSIONS if p.grant.name == action} - ECS_POWER
    states = by_state(rows)
    assert states.get(AccessState.MISSING, set()) == needing
    assert states[AccessState.OK] == (
        {p.operation for p in PERMISSIONS} - CHANGES - DERIVED - needing
    )
    for row in rows:
        if row.state is AccessState.MISSING:
            assert row.grant.name == action
            assert (
                row.remedy == f"add {action} to the custom policy attached to this "
                "identity (deploy/iam-policy.json)"
            )
            assert "HTTP 403" in row.detail


async def test_a_missing_sdrs_role_is_named_for_every_sdrs_call_and_the_changes(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    emulator.emulator.denials.deny(["SDRS Administrator"], None)
    rows = await check_access(clouds.sdrs, clouds.ecs, clouds.deh)
    states = by_state(rows)
    # reads that need an instance or a drill from a refused list cannot be tried
    assert states[AccessState.MISSING] == {
        "ListProtectedInstances",
        "ListDisasterRecoveryDrills",
        "ShowJobStatus",
        *SDRS_CHANGES,
    }
    assert states[AccessState.UNTESTED] == {
        "ShowProtectedInstance",
        "ShowProtectionGroup",
        "ShowDisasterRecoveryDrill",
        "ShowServer",
        "ListResizeFlavors",
        "ListFlavors",
        *ECS_POWER,
        *DERIVED,
    }
    assert states[AccessState.OK] == {"ListServersDetails", "ShowServerLimits", "ShowDedicatedHost"}
    for row in rows:
        if row.state is AccessState.MISSING:
            assert row.grant == SDRS_ADMIN
            assert "grant the system role 'SDRS Administrator'" in row.remedy
        if row.state is AccessState.UNTESTED and row.operation not in ECS_POWER | DERIVED:
            assert "gave none" in row.detail


async def test_wrong_credentials_are_an_error_not_a_missing_permission(
    emulator: EmulatorThread,
) -> None:
    from pydantic import SecretStr

    clients = build_clients(
        sandbox_settings(emulator.url, http_max_attempts=1, huaweicloud_sdk_sk=SecretStr("x"))
    )
    try:
        rows = await check_access(clients.sdrs, clients.ecs)
    finally:
        await clients.aclose()
    assert AccessState.MISSING not in by_state(rows)
    assert any("credentials refused" in r.detail and "APIGW.0301" in r.detail for r in rows)


async def test_an_empty_project_says_what_could_not_be_read() -> None:
    world = World()
    from bot.sandbox.seed import SANDBOX_AK, SANDBOX_SK

    world.credentials[SANDBOX_AK] = SANDBOX_SK
    with EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID)) as running:
        clients = build_clients(sandbox_settings(running.url, http_max_attempts=1))
        try:
            rows = await check_access(clients.sdrs, clients.ecs)
        finally:
            await clients.aclose()
    untested = {r.operation: r.detail for r in rows if r.state is AccessState.UNTESTED}
    assert "no protected instance in the project" in untested["ShowProtectedInstance"]
    assert "no DR drill in the project" in untested["ShowDisasterRecoveryDrill"]
    assert "no server to read" in untested["ShowServer"]
    assert by_state(rows)[AccessState.OK] == {
        "ListProtectedInstances",
        "ListDisasterRecoveryDrills",
        "ShowJobStatus",
        "ListServersDetails",
        "ShowServerLimits",
    }


async def test_a_refusal_naming_another_action_reports_that_action() -> None:
    """A service whose 403 names the refused action (e.g. ECS: "Policy doesn't allow ... to be
    performed") is believed over the table: the remedy names what the message names."""
    import httpx

    from tests.support.httpx_sender import HttpxSender

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/cloudservers/detail"):
            message = "Policy doesn't allow ecs:cloudServers:get to be performed."
            return httpx.Response(403, json={"error": {"code": "Ecs.0000", "message": message}})
        return httpx.Response(404, json={"error": {"code": "SDRS.1320", "message": "none"}})

    settings = sandbox_settings("https://cloud.example", http_max_attempts=1)
    clients = build_clients(settings, sender=HttpxSender(httpx.MockTransport(answer)))
    try:
        rows = await check_access(clients.sdrs, clients.ecs)
    finally:
        await clients.aclose()
    (listed,) = [r for r in rows if r.operation == "ListServersDetails"]
    assert listed.state is AccessState.MISSING
    assert listed.grant.name == "ecs:cloudServers:get"
    assert listed.remedy.startswith("add ecs:cloudServers:get to the custom policy")
