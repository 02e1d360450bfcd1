"""Dedicated hosts at the cloud edge: the emulator's DeH answers against huaweicloudsdkdeh's
models, the DeH client against the emulator (path, signing, not-found), the preflight reads, and
the emulator refusing what the bot refuses before Confirm."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdeh.v1 import DeHClient as SdkDehClient
from huaweicloudsdkdeh.v1 import model as deh_model

from bot.core.errors import NotFoundError
from bot.core.intents import ResizeIntent
from bot.core.preflight import Warning, check_resize
from bot.core.wire.deh import DedicatedHost
from bot.huaweicloud.reads import read_resize_state
from bot.huaweicloud.wiring import CloudClients, build_clients
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world, sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.world import SdrsApiError, World
from tests.cloud.test_conformance import conforms
from tests.conftest import sandbox_settings

HOSTS = ("deh-prod", "deh-prod-2", "deh-full", "deh-c7", "deh-dr")


def sdk_client() -> SdkDehClient:
    creds = BasicCredentials(SANDBOX_AK, SANDBOX_SK, SANDBOX_PROJECT_ID)
    endpoint = ["https://127.0.0.1:9"]  # never called: only the deserializer is used
    return SdkDehClient.new_builder().with_credentials(creds).with_endpoints(endpoint).build()


@pytest.mark.parametrize("key", HOSTS)
def test_the_emulators_host_answers_conform_to_the_sdk(key: str) -> None:
    world = seeded_world()
    answer = {"dedicated_host": world.dedicated_host(sid(key), SANDBOX_PROJECT_ID)}
    read = conforms(answer, "ShowDedicatedHostResponse", deh_model, sdk_client())
    host = world.hosts[sid(key)]
    sdk = read.dedicated_host
    assert sdk.dedicated_host_id == host.id and sdk.availability_zone == host.az
    assert sdk.name == host.name and sdk.state == "available"
    assert sdk.host_properties.host_type == host.host_type
    ours = DedicatedHost.model_validate(answer["dedicated_host"])
    assert ours.available_vcpus == sdk.available_vcpus
    assert ours.available_memory == sdk.available_memory
    assert ours.takes() == {c.flavor for c in sdk.host_properties.available_instance_capacities}


def test_free_room_counts_the_servers_on_the_host() -> None:
    world = seeded_world()
    prod = world.dedicated_host(sid("deh-prod"))
    # erp-deh's production server (s6.large.2: 2 vCPU, 4 GiB) is on deh-prod (16 vCPU, 256 GiB)
    assert prod["available_vcpus"] == 14 and prod["available_memory"] == 262144 - 4096
    assert prod["instance_uuids"] == [sid("pi-deh-src")]
    c7 = world.dedicated_host(sid("deh-c7"))["host_properties"]
    assert {c["flavor"] for c in c7["available_instance_capacities"]} == {
        "c7.large.2",
        "c7.xlarge.2",
    }


def test_our_wire_aliases_are_the_sdks_wire_names() -> None:
    for ours, theirs in (
        (DedicatedHost, deh_model.RespDedicatedHost),
        (DedicatedHost.model_fields["host_properties"].annotation, deh_model.RespHostProperty),
    ):
        assert isinstance(ours, type)
        names = {f.alias or n for n, f in ours.model_fields.items()}
        assert names <= set(theirs.attribute_map.values()), names - set(theirs.attribute_map)


@pytest.fixture
async def clouds(emulator: EmulatorThread) -> AsyncIterator[CloudClients]:
    clients = build_clients(sandbox_settings(emulator.url, http_max_attempts=1))
    yield clients
    await clients.aclose()


async def test_the_client_reads_a_host_on_the_sdks_path_signed(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    assert clouds.deh is not None
    host = await clouds.deh.get_dedicated_host(sid("deh-prod"))
    assert host.name == "deh-erp-prod" and host.host_type == "s6"
    request = emulator.emulator.requests[-1]
    # huaweicloudsdkdeh: GET /v1.0/{project_id}/dedicated-hosts/{dedicated_host_id}
    info = SdkDehClient._show_dedicated_host_http_info(
        deh_model.ShowDedicatedHostRequest(dedicated_host_id=sid("deh-prod"))
    )
    assert info["method"] == "GET" == request.method
    path = info["resource_path"].replace("{project_id}", SANDBOX_PROJECT_ID)
    assert request.path == path.replace("{dedicated_host_id}", sid("deh-prod"))
    assert request.headers["authorization"].startswith("SDK-HMAC-SHA256")
    assert request.headers["x-project-id"] == SANDBOX_PROJECT_ID
    with pytest.raises(NotFoundError):
        await clouds.deh.get_dedicated_host(sid("deh-missing"))


def test_no_deh_endpoint_means_no_client() -> None:
    settings = sandbox_settings("https://127.0.0.1:9", huaweicloud_sdk_region="la-north-2")
    settings = settings.model_copy(update={"deh_endpoint": None})
    assert settings.deh_base_url is None  # la-north-2 has no DeH in the SDK's table


async def test_the_preflight_reads_the_host_each_resized_site_goes_to(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    intent = ResizeIntent(instance_id=sid("pi-deh"), production_flavor="s6.xlarge.2")
    state = await read_resize_state(clouds.sdrs, clouds.ecs, intent, deh=clouds.deh)
    assert set(state.hosts) == {sid("deh-prod")}
    moved = intent.model_copy(update={"production_host": sid("deh-missing")})
    state = await read_resize_state(clouds.sdrs, clouds.ecs, moved, deh=clouds.deh)
    assert state.hosts == {sid("deh-missing"): None}  # read: it does not exist
    not_deh = ResizeIntent(instance_id=sid("pi-erp-db"), flavor="s6.xlarge.2")
    before = len(emulator.emulator.requests)
    await read_resize_state(clouds.sdrs, clouds.ecs, not_deh, deh=clouds.deh)
    sent = list(emulator.emulator.requests)[before:]
    assert not [r for r in sent if "dedicated-hosts" in r.path]  # no DeH server: no DeH read


async def test_a_host_iam_does_not_let_the_bot_read_is_sent_unchecked_with_a_warning(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    emulator.emulator.denials.deny(["deh:dedicatedHosts:get"])
    intent = ResizeIntent(instance_id=sid("pi-deh"), production_flavor="s6.xlarge.2")
    state = await read_resize_state(clouds.sdrs, clouds.ecs, intent, deh=clouds.deh)
    assert state.hosts == {}
    check = check_resize(intent, state)
    assert check.allowed and check.host_fields() == {"production_host": sid("deh-prod")}
    assert (Warning.DEDICATED_HOST_UNCHECKED, "production") in check.warnings


def _resize(world: World, host: str, flavor: str = "s6.xlarge.2") -> Any:
    body = {"resize": {"production_flavorRef": flavor, "production_dedicated_host_id": sid(host)}}
    return world.resize(sid("pi-deh"), json.loads(json.dumps(body)))


@pytest.mark.parametrize(
    ("host", "code"),
    [
        ("deh-missing", "SDRS.1368"),
        ("deh-dr", "SDRS.1369"),
        ("deh-c7", "SANDBOX.DEH_FLAVOR"),
        ("deh-full", "SANDBOX.DEH_CAPACITY"),
    ],
)
def test_the_emulator_refuses_what_the_bot_refuses_before_confirm(host: str, code: str) -> None:
    with pytest.raises(SdrsApiError) as refused:
        _resize(seeded_world(), host)
    assert refused.value.code == code


def test_the_emulator_takes_a_host_with_room_and_moves_the_server_when_done() -> None:
    world = seeded_world(job_seconds=0.0, job_init_seconds=0.0)
    job = _resize(world, "deh-prod-2")
    assert world.job(job)["status"] == "SUCCESS"
    server = world.servers[sid("pi-deh-src")]
    assert server.dedicated_host_id == sid("deh-prod-2") and server.flavor == "s6.xlarge.2"
    with pytest.raises(SdrsApiError) as refused:  # still SDRS.1367 without a host
        world.resize(sid("pi-deh"), {"resize": {"production_flavorRef": "s6.2xlarge.2"}})
    assert refused.value.code == "SDRS.1367"


def test_the_emulators_deh_refusals_are_read_by_the_sdk() -> None:
    world = seeded_world()
    codes = []
    for call in (
        lambda: world.dedicated_host(sid("deh-missing")),
        lambda: _resize(world, "deh-c7"),
        lambda: _resize(world, "deh-full"),
    ):
        with pytest.raises(SdrsApiError) as refused:
            call()
        error = refused.value
        response = requests.Response()
        response.status_code = error.status
        response._content = json.dumps(error.body()).encode()
        with pytest.raises(ClientRequestException) as caught:
            DefaultExceptionHandler().handle_exception(None, response)
        assert caught.value.error_code == error.code and caught.value.error_msg == error.message
        codes.append((error.status, error.code))
    assert codes == [
        (404, "DEH.0404"),
        (400, "SANDBOX.DEH_FLAVOR"),
        (400, "SANDBOX.DEH_CAPACITY"),
    ]
