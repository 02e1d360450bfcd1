"""Fidelity: the official huaweicloudsdksdrs and huaweicloudsdkecs clients work against the
emulator, and our clients send the same method, path, JSON body, query and signed headers as the
SDK for each operation (ECS: batch stop, batch start, show job)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    BatchStartServersOption,
    BatchStartServersRequest,
    BatchStartServersRequestBody,
    BatchStopServersOption,
    BatchStopServersRequest,
    BatchStopServersRequestBody,
    ServerId,
    ShowJobRequest,
)
from huaweicloudsdkecs.v2 import EcsClient as SdkEcsClient
from huaweicloudsdksdrs.v1 import (
    ListDisasterRecoveryDrillsRequest,
    ResizeProtectedInstanceRequest,
    ResizeProtectedInstanceRequestBody,
    ResizeProtectedInstanceRequestParams,
    ShowJobStatusRequest,
    ShowProtectedInstanceRequest,
    ShowProtectionGroupRequest,
    UpdateDisasterRecoveryDrillNameRequest,
    UpdateDisasterRecoveryDrillNameRequestBody,
    UpdateDisasterRecoveryDrillNameRequestParams,
)
from huaweicloudsdksdrs.v1 import SdrsClient as SdkSdrsClient

from bot.core.errors import ClientError
from bot.core.wire.sdrs import ResizeParams
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.wiring import build_clients
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, sid
from bot.sandbox.server import CapturedRequest, EmulatorThread
from bot.sandbox.world import World
from tests.conftest import sandbox_settings


@pytest.fixture
def sdk(emulator: EmulatorThread) -> Iterator[SdkSdrsClient]:
    credentials = BasicCredentials(SANDBOX_AK, SANDBOX_SK, SANDBOX_PROJECT_ID)
    yield (
        SdkSdrsClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([emulator.url])
        .build()
    )


def ours(emulator: EmulatorThread, call: Callable[[SdrsClient], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with build_clients(sandbox_settings(emulator.url)).sdrs as client:
            return await call(client)

    return asyncio.run(run())


def last(emulator: EmulatorThread) -> CapturedRequest:
    return emulator.emulator.requests[-1]


def assert_same_wire(a: CapturedRequest, b: CapturedRequest) -> None:
    assert a.method == b.method
    assert a.path == b.path
    assert sorted(a.query) == sorted(b.query)
    assert a.json() == b.json()
    assert a.signed_headers() == b.signed_headers()
    assert a.headers["x-project-id"] == b.headers["x-project-id"] == SANDBOX_PROJECT_ID
    assert a.headers["content-type"].lower() == b.headers["content-type"].lower()


def test_sdk_resizes_and_reads_the_job(sdk: SdkSdrsClient, world: World) -> None:
    params = ResizeProtectedInstanceRequestParams(
        production_flavor_ref="s6.xlarge.2", dr_flavor_ref="s6.2xlarge.2"
    )
    response = sdk.resize_protected_instance(
        ResizeProtectedInstanceRequest(
            protected_instance_id=sid("pi-erp-db"),
            body=ResizeProtectedInstanceRequestBody(resize=params),
        )
    )
    assert response.job_id in world.jobs
    job = sdk.show_job_status(ShowJobStatusRequest(job_id=response.job_id))
    assert job.status in ("INIT", "RUNNING")
    assert job.job_type == "resizeProtectedInstanceNew"
    assert job.entities.protected_instance_id == sid("pi-erp-db")


def test_sdk_renames_a_drill_and_sees_sdrs_errors(sdk: SdkSdrsClient, world: World) -> None:
    body = UpdateDisasterRecoveryDrillNameRequestBody(
        disaster_recovery_drill=UpdateDisasterRecoveryDrillNameRequestParams(name="季度演练-b")
    )
    response = sdk.update_disaster_recovery_drill_name(
        UpdateDisasterRecoveryDrillNameRequest(
            disaster_recovery_drill_id=sid("drill-web"), body=body
        )
    )
    assert response.disaster_recovery_drill.name == "季度演练-b"
    assert world.drills[sid("drill-web")].name == "季度演练-b"
    bad = UpdateDisasterRecoveryDrillNameRequestBody(
        disaster_recovery_drill=UpdateDisasterRecoveryDrillNameRequestParams(name="no spaces")
    )
    with pytest.raises(ClientRequestException) as caught:
        sdk.update_disaster_recovery_drill_name(
            UpdateDisasterRecoveryDrillNameRequest(
                disaster_recovery_drill_id=sid("drill-web"), body=bad
            )
        )
    assert caught.value.error_code == "SDRS.0202"
    assert caught.value.request_id


def test_resize_request_matches_the_sdk(sdk: SdkSdrsClient, emulator: EmulatorThread) -> None:
    params = ResizeProtectedInstanceRequestParams(
        production_flavor_ref="s6.xlarge.2", dr_flavor_ref="s6.2xlarge.2"
    )
    sdk.resize_protected_instance(
        ResizeProtectedInstanceRequest(
            protected_instance_id=sid("pi-web-2"),
            body=ResizeProtectedInstanceRequestBody(resize=params),
        )
    )
    from_sdk = last(emulator)
    ours(
        emulator,
        lambda c: c.resize_protected_instance(
            sid("pi-erp-db"),
            ResizeParams(production_flavorRef="s6.xlarge.2", dr_flavorRef="s6.2xlarge.2"),
        ),
    )
    from_us = last(emulator)
    assert from_sdk.path.replace(sid("pi-web-2"), "X") == from_us.path.replace(
        sid("pi-erp-db"), "X"
    )
    assert (
        from_sdk.json()
        == from_us.json()
        == {"resize": {"production_flavorRef": "s6.xlarge.2", "dr_flavorRef": "s6.2xlarge.2"}}
    )
    assert from_sdk.signed_headers() == from_us.signed_headers()
    assert from_sdk.method == from_us.method == "POST"


def test_rename_request_matches_the_sdk(sdk: SdkSdrsClient, emulator: EmulatorThread) -> None:
    body = UpdateDisasterRecoveryDrillNameRequestBody(
        disaster_recovery_drill=UpdateDisasterRecoveryDrillNameRequestParams(name="演练_1")
    )
    sdk.update_disaster_recovery_drill_name(
        UpdateDisasterRecoveryDrillNameRequest(
            disaster_recovery_drill_id=sid("drill-erp"), body=body
        )
    )
    from_sdk = last(emulator)
    ours(emulator, lambda c: c.rename_drill(sid("drill-erp"), "演练_1"))
    assert_same_wire(from_sdk, last(emulator))


@pytest.mark.parametrize(
    ("sdk_call", "our_call"),
    [
        (
            lambda s: s.show_protected_instance(
                ShowProtectedInstanceRequest(protected_instance_id=sid("pi-erp-db"))
            ),
            lambda c: c.get_protected_instance(sid("pi-erp-db")),
        ),
        (
            lambda s: s.show_protection_group(
                ShowProtectionGroupRequest(server_group_id=sid("pg-erp"))
            ),
            lambda c: c.get_protection_group(sid("pg-erp")),
        ),
        (
            lambda s: s.list_disaster_recovery_drills(
                ListDisasterRecoveryDrillsRequest(server_group_id=sid("pg-erp"), limit=10)
            ),
            lambda c: c.list_drills(server_group_id=sid("pg-erp"), limit=10),
        ),
    ],
    ids=["show-instance", "show-group", "list-drills"],
)
def test_read_requests_match_the_sdk(
    sdk: SdkSdrsClient, emulator: EmulatorThread, sdk_call: Any, our_call: Any
) -> None:
    sdk_result = sdk_call(sdk)
    from_sdk = last(emulator)
    our_result = ours(emulator, our_call)
    assert_same_wire(from_sdk, last(emulator))
    assert sdk_result is not None and our_result is not None


def test_show_job_request_matches_the_sdk(
    sdk: SdkSdrsClient, emulator: EmulatorThread, world: World
) -> None:
    job_id = world.resize(sid("pi-erp-db"), {"resize": {"flavorRef": "s6.xlarge.2"}})
    sdk_job = sdk.show_job_status(ShowJobStatusRequest(job_id=job_id))
    from_sdk = last(emulator)
    our_job = ours(emulator, lambda c: c.get_job(job_id))
    assert_same_wire(from_sdk, last(emulator))
    assert our_job.job_id == sdk_job.job_id == job_id


def test_our_errors_carry_what_the_sdk_reports(
    sdk: SdkSdrsClient, emulator: EmulatorThread
) -> None:
    with pytest.raises(ClientRequestException) as sdk_error:
        sdk.resize_protected_instance(
            ResizeProtectedInstanceRequest(
                protected_instance_id=sid("pi-erp-app"),
                body=ResizeProtectedInstanceRequestBody(
                    resize=ResizeProtectedInstanceRequestParams(flavor_ref="s6.xlarge.2")
                ),
            )
        )
    with pytest.raises(ClientError) as our_error:
        ours(
            emulator,
            lambda c: c.resize_protected_instance(
                sid("pi-erp-app"), ResizeParams(flavorRef="s6.xlarge.2")
            ),
        )
    assert our_error.value.code == sdk_error.value.error_code == "SDRS.1316"
    assert our_error.value.message == sdk_error.value.error_msg
    assert our_error.value.status == sdk_error.value.status_code


@pytest.fixture
def sdk_ecs(emulator: EmulatorThread) -> Iterator[SdkEcsClient]:
    credentials = BasicCredentials(SANDBOX_AK, SANDBOX_SK, SANDBOX_PROJECT_ID)
    yield (
        SdkEcsClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([emulator.url])
        .build()
    )


def ours_ecs(emulator: EmulatorThread, call: Callable[[EcsClient], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        clouds = build_clients(sandbox_settings(emulator.url))
        try:
            return await call(clouds.ecs)
        finally:
            await clouds.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("hard", [False, True])
def test_batch_stop_request_matches_the_sdk(
    sdk_ecs: SdkEcsClient, emulator: EmulatorThread, world: World, hard: bool
) -> None:
    """Method, path, JSON body and signed headers of BatchStopServers equal the SDK's, and the
    SDK reads the emulator's ECS job for it."""
    servers = [sid("pi-erp-app-src"), sid("pi-web-1-tgt")]  # both ACTIVE
    response = sdk_ecs.batch_stop_servers(
        BatchStopServersRequest(
            body=BatchStopServersRequestBody(
                os_stop=BatchStopServersOption(
                    servers=[ServerId(id=s) for s in servers], type="HARD" if hard else "SOFT"
                )
            )
        )
    )
    from_sdk = last(emulator)
    our_job = ours_ecs(emulator, lambda c: c.batch_stop(servers, hard=hard))
    assert_same_wire(from_sdk, last(emulator))
    assert from_sdk.method == "POST"
    assert from_sdk.path == f"/v1/{SANDBOX_PROJECT_ID}/cloudservers/action"
    job = sdk_ecs.show_job(ShowJobRequest(job_id=response.job_id))
    assert job.job_type == "batchStopServers"
    assert [s.entities.server_id for s in job.entities.sub_jobs] == servers
    assert our_job in world.ecs_jobs


def test_batch_start_and_show_job_requests_match_the_sdk(
    sdk_ecs: SdkEcsClient, emulator: EmulatorThread, world: World
) -> None:
    servers = [sid("pi-erp-db-src")]
    response = sdk_ecs.batch_start_servers(
        BatchStartServersRequest(
            body=BatchStartServersRequestBody(
                os_start=BatchStartServersOption(servers=[ServerId(id=s) for s in servers])
            )
        )
    )
    from_sdk = last(emulator)
    our_job_id = ours_ecs(emulator, lambda c: c.batch_start([sid("pi-erp-db-tgt")]))
    from_us = last(emulator)
    assert from_sdk.json() == {"os-start": {"servers": [{"id": sid("pi-erp-db-src")}]}}
    assert from_us.json() == {"os-start": {"servers": [{"id": sid("pi-erp-db-tgt")}]}}
    assert (from_sdk.method, from_sdk.path) == (from_us.method, from_us.path)
    assert from_sdk.signed_headers() == from_us.signed_headers()
    sdk_job = sdk_ecs.show_job(ShowJobRequest(job_id=response.job_id))
    from_sdk = last(emulator)
    our_job = ours_ecs(emulator, lambda c: c.get_job(response.job_id))
    assert_same_wire(from_sdk, last(emulator))
    assert our_job.job_id == sdk_job.job_id == response.job_id
    assert our_job.job_type == sdk_job.job_type == "batchStartServers"
    assert our_job_id != response.job_id


def test_the_sdk_sees_ecs_errors_for_a_power_action(sdk_ecs: SdkEcsClient) -> None:
    with pytest.raises(ClientRequestException) as caught:
        sdk_ecs.batch_stop_servers(
            BatchStopServersRequest(
                body=BatchStopServersRequestBody(
                    os_stop=BatchStopServersOption(servers=[ServerId(id="no-such-server")])
                )
            )
        )
    assert (caught.value.status_code, caught.value.error_code) == (404, "Ecs.0114")
    assert caught.value.request_id
