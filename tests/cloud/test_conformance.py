"""Conformance of the emulator and of our wire models to the official SDK models.

Every response shape the emulator serves, for each endpoint the bot reads or writes, is checked
against the official response model (huaweicloudsdksdrs / huaweicloudsdkecs):

* every key is a wire name in that model's ``attribute_map`` (recursively for nested models);
* each value has the type the SDK deserializes (``str`` for ``ServerFlavor.vcpus``...);
* the official client's deserializer reads it, and reads back what we sent.

Error bodies are parsed by the SDK's own exception handler and must give our error code. And
every alias of our own wire models (bot/core/wire) is a wire name of the matching official model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkecs.v2 import EcsClient as SdkEcsClient
from huaweicloudsdkecs.v2 import model as ecs_model
from huaweicloudsdksdrs.v1 import SdrsClient as SdkSdrsClient
from huaweicloudsdksdrs.v1 import model as sdrs_model
from pydantic import BaseModel

from bot.core.wire import capacity as our_capacity
from bot.core.wire import ecs as our_ecs
from bot.core.wire import sdrs as our_sdrs
from bot.sandbox.faults import PowerFault
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world, sid
from bot.sandbox.world import JobPlan, SdrsApiError, World

PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "object": (object,),
}


def model_class(package: Any, name: str) -> type[Any]:
    cls = getattr(package, name)
    assert hasattr(cls, "attribute_map"), f"{name} is not an SDK model"
    return cls  # type: ignore[no-any-return]


def problems(value: Any, type_name: str, package: Any, where: str) -> Iterator[str]:
    """What in ``value`` does not conform to the SDK type ``type_name``."""
    if value is None:
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            yield f"{where}: expected a list, got {type(value).__name__}"
            return
        inner = type_name[5:-1]
        for i, item in enumerate(value):
            yield from problems(item, inner, package, f"{where}[{i}]")
        return
    if type_name.startswith("dict("):
        inner = re.fullmatch(r"dict\(([^,]*), (.*)\)", type_name)
        assert inner is not None
        if not isinstance(value, dict):
            yield f"{where}: expected an object, got {type(value).__name__}"
            return
        for key, item in value.items():
            yield from problems(item, inner.group(2), package, f"{where}.{key}")
        return
    if type_name in PRIMITIVES:
        wanted = PRIMITIVES[type_name]
        if type_name in ("int", "float") and isinstance(value, bool):
            yield f"{where}: expected {type_name}, got bool"
        elif not isinstance(value, wanted):
            yield f"{where}: expected {type_name}, got {type(value).__name__} {value!r}"
        return
    cls = model_class(package, type_name)
    if not isinstance(value, dict):
        yield f"{where}: expected {type_name} (an object), got {type(value).__name__}"
        return
    by_wire = {wire: attr for attr, wire in cls.attribute_map.items()}
    for key, item in value.items():
        if key not in by_wire:
            yield f"{where}.{key}: not a wire name of {type_name} (known: {sorted(by_wire)})"
            continue
        yield from problems(item, cls.openapi_types[by_wire[key]], package, f"{where}.{key}")


def sdk_clients() -> tuple[SdkSdrsClient, SdkEcsClient]:
    creds = BasicCredentials(SANDBOX_AK, SANDBOX_SK, SANDBOX_PROJECT_ID)
    endpoint = ["https://127.0.0.1:9"]  # never called: only the deserializer is used
    sdrs = SdkSdrsClient.new_builder().with_credentials(creds).with_endpoints(endpoint).build()
    ecs = SdkEcsClient.new_builder().with_credentials(creds).with_endpoints(endpoint).build()
    return sdrs, ecs


def conforms(data: Any, response_model: str, package: Any, client: Any) -> Any:
    """Assert ``data`` conforms to ``response_model``; return the SDK's reading of it."""
    found = list(problems(data, response_model, package, response_model))
    assert not found, "\n".join(found)
    # The client's own deserializer (the one it runs on every answer) must read it.
    return client._deserialize(json.loads(json.dumps(data)), response_model)


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t


def world_in_every_state() -> tuple[World, Clock, list[str]]:
    """The seeded world with a job in each state (INIT, RUNNING, SUCCESS, FAIL)."""
    clock = Clock()
    world = seeded_world(now=clock, job_init_seconds=1, job_seconds=10)
    jobs = []
    world.plan_next_job(JobPlan(seconds=5, fail=("SDRS.1399", "resize failed")))
    jobs.append(world.resize(sid("pi-erp-db"), {"resize": {"flavorRef": "s6.xlarge.2"}}))
    world.plan_next_job(JobPlan(seconds=5))
    jobs.append(world.resize(sid("pi-billing"), {"resize": {"dr_flavorRef": "s6.2xlarge.2"}}))
    clock.t += timedelta(seconds=6)  # both ended: FAIL and SUCCESS
    world.plan_next_job(JobPlan(seconds=100))
    jobs.append(world.resize(sid("pi-web-1"), {"resize": {"production_flavorRef": "s6.large.2"}}))
    clock.t += timedelta(seconds=2)  # RUNNING
    world.plan_next_job(JobPlan(hang=True))
    jobs.append(
        world.resize(
            sid("pi-deh"),
            {
                "resize": {
                    "production_flavorRef": "s6.xlarge.2",
                    "production_dedicated_host_id": sid("deh-prod"),
                }
            },
        )
    )
    return world, clock, jobs


@pytest.fixture(scope="module")
def state() -> tuple[World, Clock, list[str]]:
    return world_in_every_state()


@pytest.fixture(scope="module")
def clients() -> tuple[SdkSdrsClient, SdkEcsClient]:
    return sdk_clients()


def test_sdrs_answers_conform(
    state: tuple[World, Clock, list[str]], clients: tuple[SdkSdrsClient, SdkEcsClient]
) -> None:
    world, _clock, jobs = state
    sdrs, _ecs = clients
    statuses = set()
    for job_id in jobs:
        answer = world.job(job_id)
        statuses.add(answer["status"])
        read = conforms(answer, "ShowJobStatusResponse", sdrs_model, sdrs)
        assert read.job_id == job_id and read.status == answer["status"]
        assert len(read.entities.sub_jobs) == len(answer["entities"]["sub_jobs"])
    assert statuses == {"INIT", "RUNNING", "SUCCESS", "FAIL"}
    instances = world.list_instances(None)
    read = conforms(
        {"protected_instances": instances, "count": len(instances)},
        "ListProtectedInstancesResponse",
        sdrs_model,
        sdrs,
    )
    assert [i.id for i in read.protected_instances] == [i["id"] for i in instances]
    for inst in instances:
        read = conforms(
            {"protected_instance": world.instance(inst["id"])},
            "ShowProtectedInstanceResponse",
            sdrs_model,
            sdrs,
        )
        assert read.protected_instance.priority_station == inst["priority_station"]
    for group_id in world.groups:
        read = conforms(
            {"server_group": world.group(group_id)}, "ShowProtectionGroupResponse", sdrs_model, sdrs
        )
        assert read.server_group.id == group_id
    drills = world.list_drills({})
    read = conforms(drills, "ListDisasterRecoveryDrillsResponse", sdrs_model, sdrs)
    assert len(read.disaster_recovery_drills) == len(world.drills)
    for drill_id in world.drills:
        conforms(
            {"disaster_recovery_drill": world.drill(drill_id)},
            "ShowDisasterRecoveryDrillResponse",
            sdrs_model,
            sdrs,
        )
    renamed = world.rename_drill(
        sid("drill-web"), {"disaster_recovery_drill": {"name": "web-drill-renamed"}}
    )
    read = conforms(
        {"disaster_recovery_drill": renamed},
        "UpdateDisasterRecoveryDrillNameResponse",
        sdrs_model,
        sdrs,
    )
    assert read.disaster_recovery_drill.name == "web-drill-renamed"
    read = conforms({"job_id": jobs[0]}, "ResizeProtectedInstanceResponse", sdrs_model, sdrs)
    assert read.job_id == jobs[0]


def test_ecs_answers_conform(
    state: tuple[World, Clock, list[str]], clients: tuple[SdkSdrsClient, SdkEcsClient]
) -> None:
    world, _clock, _jobs = state
    _sdrs, ecs = clients
    for server_id, server in world.servers.items():
        read = conforms(
            {"server": world.server_wire(server_id)}, "ShowServerResponse", ecs_model, ecs
        )
        assert read.server.flavor.id == server.flavor
        dedicated = read.server.osscheduler_hints
        if server.dedicated_host_id:
            assert dedicated.tenancy == ["dedicated"]
            assert dedicated.dedicated_host_id == [server.dedicated_host_id]
        ours = our_ecs.Server.model_validate(world.server_wire(server_id))
        assert ours.dedicated_host_id == server.dedicated_host_id
        prepaid = read.server.metadata.get("charging_mode") == "1"
        assert prepaid == (server.charging_mode == "prePaid")
        flavors = world.resize_flavors(server_id)
        read_flavors = conforms({"flavors": flavors}, "ListResizeFlavorsResponse", ecs_model, ecs)
        assert [f.os_flv_disable_ddisabled for f in read_flavors.flavors] == [False] * len(flavors)
    servers = [world.server_wire(i) for i in sorted(world.servers)]
    conforms(
        {"count": len(servers), "servers": servers}, "ListServersDetailsResponse", ecs_model, ecs
    )


def ecs_jobs_in_every_state() -> tuple[World, list[str]]:
    """ECS batch jobs INIT, RUNNING, SUCCESS and FAIL (a wrong-state sub-job, a fault)."""
    clock = Clock()
    world = seeded_world(now=clock, job_init_seconds=1, job_seconds=5)
    running, stopped = sid("pi-erp-app-src"), sid("pi-erp-db-src")
    jobs = [world.power_action({"os-stop": {"type": "SOFT", "servers": [{"id": running}]}})]
    world.add_power_fault(PowerFault("start_fails", stopped, "Ecs.0002", "start failed"))
    jobs.append(world.power_action({"os-start": {"servers": [{"id": stopped}, {"id": running}]}}))
    clock.t += timedelta(seconds=6)  # both ended: SUCCESS and FAIL
    jobs.append(world.power_action({"os-stop": {"servers": [{"id": sid("pi-web-1-tgt")}]}}))
    clock.t += timedelta(seconds=2)  # RUNNING
    jobs.append(world.power_action({"os-start": {"servers": [{"id": sid("pi-billing-src")}]}}))
    return world, jobs


def test_ecs_jobs_conform() -> None:
    world, jobs = ecs_jobs_in_every_state()
    _sdrs, ecs = sdk_clients()
    statuses = set()
    for job_id in jobs:
        answer = world.ecs_job(job_id)
        statuses.add(answer["status"])
        read = conforms(answer, "ShowJobResponse", ecs_model, ecs)
        assert (read.job_id, read.status, read.job_type) == (
            job_id,
            answer["status"],
            answer["job_type"],
        )
        subs = answer["entities"]["sub_jobs"]
        assert read.entities.sub_jobs_total == len(read.entities.sub_jobs) == len(subs)
        assert [s.entities.server_id for s in read.entities.sub_jobs] == [
            s["entities"]["server_id"] for s in subs
        ]
        ours = our_ecs.EcsJob.model_validate(answer)
        assert ours.status == read.status and len(ours.sub_jobs) == len(subs)
        if answer["status"] == "FAIL":
            assert read.error_code and read.entities.sub_jobs[0].error_code
            assert ours.error_summary()
    assert statuses == {"INIT", "RUNNING", "SUCCESS", "FAIL"}
    for response in ("BatchStopServersResponse", "BatchStartServersResponse"):
        assert conforms({"job_id": jobs[0]}, response, ecs_model, ecs).job_id == jobs[0]


@pytest.mark.parametrize("hard", [False, True])
def test_our_stop_body_is_the_official_request_body(hard: bool) -> None:
    ids = ["616fb98f-46ca-475e-917e-2563e5a8cd19", "726fb98f-46ca-475e-917e-2563e5a8cd20"]
    official = ecs_model.BatchStopServersRequestBody(
        os_stop=ecs_model.BatchStopServersOption(
            servers=[ecs_model.ServerId(id=i) for i in ids], type="HARD" if hard else "SOFT"
        )
    )
    assert our_ecs.stop_body(ids, hard=hard) == sanitize_for_serialization(official)


def test_our_start_body_is_the_official_request_body() -> None:
    ids = ["616fb98f-46ca-475e-917e-2563e5a8cd19"]
    official = ecs_model.BatchStartServersRequestBody(
        os_start=ecs_model.BatchStartServersOption(servers=[ecs_model.ServerId(id=i) for i in ids])
    )
    assert our_ecs.start_body(ids) == sanitize_for_serialization(official)


def error_bodies(world: World) -> Iterator[SdrsApiError]:
    """Every refusal the emulator's resize, rename and reads can give."""
    calls = [
        lambda: world.resize("missing", {"resize": {"flavorRef": "s6.large.2"}}),
        lambda: world.resize(sid("pi-erp-db"), {"resize": {}}),
        lambda: world.resize(sid("pi-reports"), {"resize": {"flavorRef": "s6.xlarge.2"}}),
        lambda: world.resize(sid("pi-erp-cache"), {"resize": {"flavorRef": "s6.xlarge.2"}}),
        lambda: world.resize(sid("pi-erp-app"), {"resize": {"flavorRef": "nope.1"}}),
        lambda: world.resize(sid("pi-erp-app"), {"resize": {"dr_flavorRef": "c7.large.2"}}),
        lambda: world.resize(sid("pi-prepaid"), {"resize": {"flavorRef": "s6.xlarge.2"}}),
        lambda: world.resize(sid("pi-erp-app"), {"resize": {"flavorRef": "s6.xlarge.2"}}),
        lambda: world.resize(sid("pi-erp-db"), {"resize": {"flavorRef": "s6.large.2"}}),
        lambda: world.resize(sid("pi-deh"), {"resize": {"production_flavorRef": "s6.xlarge.2"}}),
        lambda: world.job("missing"),
        lambda: world.group("missing"),
        lambda: world.drill("missing"),
        lambda: world.rename_drill(sid("drill-erp"), {"disaster_recovery_drill": {"name": ""}}),
        lambda: world.server_wire("missing"),
        lambda: world.power_action({"os-stop": {"servers": [{"id": "missing"}]}}),
        lambda: world.power_action({"os-stop": {"type": "GENTLE", "servers": []}}),
        lambda: world.power_action({"os-start": {}}),
    ]
    for call in calls:
        with pytest.raises(SdrsApiError) as caught:
            call()
        yield caught.value


def test_error_bodies_are_read_by_the_sdk() -> None:
    world = seeded_world()
    codes = set()
    for error in error_bodies(world):
        response = requests.Response()
        response.status_code = error.status
        response._content = json.dumps(error.body()).encode()
        response.headers["X-Request-Id"] = "req-1"
        with pytest.raises(ClientRequestException) as caught:
            DefaultExceptionHandler().handle_exception(None, response)
        assert caught.value.error_code == error.code
        assert caught.value.error_msg == error.message
        assert caught.value.request_id == "req-1"
        codes.add(error.code)
    assert {"SDRS.1320", "SDRS.1376", "SDRS.1341", "SDRS.1367", "SDRS.1902"} <= codes
    assert {"Ecs.0114", "Ecs.0005"} <= codes


# Our wire model -> the official model whose wire names it reads (or writes).
OUR_MODELS: list[tuple[type[BaseModel], Any, str]] = [
    (our_sdrs.ResizeParams, sdrs_model, "ResizeProtectedInstanceRequestParams"),
    (our_sdrs.Job, sdrs_model, "ShowJobStatusResponse"),
    (our_sdrs.JobEntities, sdrs_model, "JobEntities"),
    (our_sdrs.SubJob, sdrs_model, "SubJobParams"),
    (our_sdrs.SubJobEntities, sdrs_model, "SubJobEntities"),
    (our_sdrs.JobCreated, sdrs_model, "ResizeProtectedInstanceResponse"),
    (our_sdrs.ProtectedInstance, sdrs_model, "ShowProtectedInstanceParams"),
    (our_sdrs.ProtectionGroup, sdrs_model, "ShowProtectionGroupParams"),
    (our_sdrs.Drill, sdrs_model, "ShowDisasterRecoveryDrillParams"),
    (our_sdrs.DrillServer, sdrs_model, "DrillServerParams"),
    (our_sdrs.DrillList, sdrs_model, "ListDisasterRecoveryDrillsResponse"),
    (our_ecs.Server, ecs_model, "ServerDetail"),
    (our_ecs.SchedulerHints, ecs_model, "ServerSchedulerHints"),
    (our_ecs.Flavor, ecs_model, "ServerFlavor"),
    (our_ecs.Flavor, ecs_model, "ListResizeFlavorsResult"),
    (our_ecs.EcsJob, ecs_model, "ShowJobResponse"),
    (our_ecs.EcsJobEntities, ecs_model, "JobEntities"),
    (our_ecs.EcsSubJob, ecs_model, "SubJob"),
    (our_ecs.EcsSubJobEntities, ecs_model, "SubJobEntities"),
    (our_ecs.EcsJobCreated, ecs_model, "BatchStopServersResponse"),
    (our_ecs.EcsJobCreated, ecs_model, "BatchStartServersResponse"),
    (our_capacity.ZoneFlavor, ecs_model, "Flavor"),
    (our_capacity.FlavorExtraSpecs, ecs_model, "FlavorExtraSpec"),
    (our_capacity.ServerLimits, ecs_model, "ServerLimits"),
]


@pytest.mark.parametrize(
    ("ours", "package", "official"), OUR_MODELS, ids=[f"{m.__name__}-{o}" for m, _, o in OUR_MODELS]
)
def test_our_aliases_are_official_wire_names(
    ours: type[BaseModel], package: Any, official: str
) -> None:
    wire_names = set(model_class(package, official).attribute_map.values())
    ours_wire = {field.alias or name for name, field in ours.model_fields.items()}
    assert ours_wire - wire_names == set()


def test_every_nested_wire_model_is_checked() -> None:
    """A nested model of ours not listed in OUR_MODELS would escape the alias check."""
    listed = {m for m, _, _ in OUR_MODELS}
    for model, _, _ in OUR_MODELS:
        for field in model.model_fields.values():
            for arg in (field.annotation, *getattr(field.annotation, "__args__", ())):
                for inner in (arg, *getattr(arg, "__args__", ())):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        assert inner in listed, f"{inner.__name__} (in {model.__name__})"
