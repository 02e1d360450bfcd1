"""ECS batch stop / start and ECS jobs: our client against the emulator (a real local HTTP
server on port 0), the emulator's rules and power faults, and the retry rule for changing calls
(a stop or start whose answer was lost is never sent again: OutcomeUnknownError)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.core.errors import ApiError, NotFoundError, OutcomeUnknownError
from bot.core.wire.ecs import EcsJob
from bot.huaweicloud.wiring import CloudClients, build_clients
from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_PROJECT_ID, seeded_world, sid
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.world import SdrsApiError, World
from tests.conftest import sandbox_settings

RUNNING = sid("pi-erp-app-src")  # ACTIVE in the seeded world
STOPPED = sid("pi-erp-db-src")  # SHUTOFF
STOPPED_2 = sid("pi-erp-db-tgt")  # SHUTOFF
ACTION_PATH = f"/v1/{SANDBOX_PROJECT_ID}/cloudservers/action"


class Clock:
    def __init__(self) -> None:
        self.t = datetime.now(UTC)  # near real time: the gateway checks X-Sdk-Date against it

    def __call__(self) -> datetime:
        return self.t

    def tick(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(clock: Clock) -> World:
    return seeded_world(now=clock, job_init_seconds=1, job_seconds=10)


@pytest.fixture
def emulator(world: World) -> Iterator[EmulatorThread]:
    with EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID)) as running:
        yield running


@pytest.fixture
async def clouds(emulator: EmulatorThread) -> AsyncIterator[CloudClients]:
    clients = build_clients(sandbox_settings(emulator.url))
    yield clients
    await clients.aclose()


def status(world: World, server_id: str) -> str:
    """As ECS shows it now (a read advances the world's jobs)."""
    return str(world.server_wire(server_id)["status"])


async def control(emulator: EmulatorThread, method: str, body: Any = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=emulator.url) as client:
        return await client.request(method, "/_sandbox/ecs-faults", json=body)


async def test_a_stop_runs_as_a_job_and_leaves_the_server_shutoff(
    clouds: CloudClients, world: World, clock: Clock
) -> None:
    job_id = await clouds.ecs.batch_stop([RUNNING])
    job = await clouds.ecs.get_job(job_id)
    assert (job.status, job.job_type, job.job_id) == ("INIT", "batchStopServers", job_id)
    assert [s.server_id for s in job.sub_jobs] == [RUNNING]
    clock.tick(2)
    job = await clouds.ecs.get_job(job_id)
    assert job.status == "RUNNING" and not job.terminal and job.error_summary() is None
    server = await clouds.ecs.get_server(RUNNING)
    assert server.status == "ACTIVE"  # ECS keeps ACTIVE (task_state powering-off) until done
    assert world.server_wire(RUNNING)["OS-EXT-STS:task_state"] == "powering-off"
    clock.tick(9)
    job = await clouds.ecs.get_job(job_id)
    assert job.status == "SUCCESS" and job.terminal and job.error_summary() is None
    assert [s.status for s in job.sub_jobs] == ["SUCCESS"]
    assert job.end_time and job.begin_time
    assert (await clouds.ecs.get_server(RUNNING)).powered_off
    assert world.server_wire(RUNNING)["OS-EXT-STS:task_state"] == ""


async def test_a_hard_stop_sends_hard_and_a_start_brings_servers_back(
    clouds: CloudClients, emulator: EmulatorThread, world: World, clock: Clock
) -> None:
    await clouds.ecs.batch_stop([RUNNING], hard=True)
    assert emulator.emulator.requests[-1].json() == {
        "os-stop": {"type": "HARD", "servers": [{"id": RUNNING}]}
    }
    job_id = await clouds.ecs.batch_start([STOPPED, STOPPED_2])
    assert emulator.emulator.requests[-1].json() == {
        "os-start": {"servers": [{"id": STOPPED}, {"id": STOPPED_2}]}
    }
    clock.tick(2)
    assert status(world, STOPPED) == "SHUTOFF"
    assert world.server_wire(STOPPED)["OS-EXT-STS:task_state"] == "powering-on"
    clock.tick(9)
    job = await clouds.ecs.get_job(job_id)
    assert job.status == "SUCCESS" and job.job_type == "batchStartServers"
    assert job.entities is not None and job.entities.sub_jobs_total == 2
    assert {s.server_id for s in job.sub_jobs} == {STOPPED, STOPPED_2}
    assert status(world, STOPPED) == status(world, STOPPED_2) == "ACTIVE"
    assert status(world, RUNNING) == "SHUTOFF"


@pytest.mark.parametrize(
    ("action", "server", "state"), [("stop", STOPPED, "SHUTOFF"), ("start", RUNNING, "ACTIVE")]
)
async def test_a_server_already_in_the_target_state_fails_its_sub_job(
    clouds: CloudClients, world: World, clock: Clock, action: str, server: str, state: str
) -> None:
    other = RUNNING if action == "stop" else STOPPED
    ids = [server, other]
    job_id = await (clouds.ecs.batch_stop(ids) if action == "stop" else clouds.ecs.batch_start(ids))
    clock.tick(11)
    job = await clouds.ecs.get_job(job_id)
    assert job.status == "FAIL" and job.error_code == "Ecs.0100"
    assert job.failed_server_ids() == [server]
    summary = job.error_summary()
    assert summary is not None and "Ecs.0100" in summary and f"server {server}" in summary
    assert other not in summary
    assert status(world, server) == state  # left as it was
    assert status(world, other) == ("SHUTOFF" if action == "stop" else "ACTIVE")  # done


async def test_the_next_stop_fails_fault(
    clouds: CloudClients, emulator: EmulatorThread, world: World, clock: Clock
) -> None:
    answer = await control(
        emulator, "POST", {"kind": "stop_fails", "error_code": "Ecs.0002", "fail_reason": "boom"}
    )
    assert answer.status_code == 200
    assert [f["kind"] for f in (await control(emulator, "GET")).json()] == ["stop_fails"]
    job_id = await clouds.ecs.batch_stop([RUNNING])
    assert (await control(emulator, "GET")).json() == []  # used up
    clock.tick(11)
    job = await clouds.ecs.get_job(job_id)
    assert (job.status, job.error_code, job.fail_reason) == ("FAIL", "Ecs.0002", "boom")
    (sub,) = job.sub_jobs
    assert sub.failed and sub.error_code == "Ecs.0002" and sub.server_id == RUNNING
    assert job.error_summary() == f"Ecs.0002: boom; server {RUNNING}"  # its error said once
    assert job.error_summary({RUNNING: "ecs-x"}) == "Ecs.0002: boom; server ecs-x"
    assert status(world, RUNNING) == "ACTIVE"
    # the fault was for one job only: the next stop works
    job_id = await clouds.ecs.batch_stop([RUNNING])
    clock.tick(11)
    assert (await clouds.ecs.get_job(job_id)).status == "SUCCESS"
    assert status(world, RUNNING) == "SHUTOFF"


async def test_start_fails_for_one_named_server(
    clouds: CloudClients, emulator: EmulatorThread, world: World, clock: Clock
) -> None:
    await control(emulator, "POST", {"kind": "start_fails", "server_id": STOPPED_2})
    job_id = await clouds.ecs.batch_start([STOPPED, STOPPED_2])
    clock.tick(11)
    job = await clouds.ecs.get_job(job_id)
    assert job.status == "FAIL" and job.failed_server_ids() == [STOPPED_2]
    assert job.error_code == "Ecs.0000"
    summary = job.error_summary()
    assert summary is not None and f"server {STOPPED_2}" in summary and STOPPED not in summary
    assert (status(world, STOPPED), status(world, STOPPED_2)) == ("ACTIVE", "SHUTOFF")


async def test_start_to_error_the_job_succeeds_but_the_server_does_not_come_back(
    clouds: CloudClients, emulator: EmulatorThread, world: World, clock: Clock
) -> None:
    await control(emulator, "POST", {"kind": "start_to_error"})
    job_id = await clouds.ecs.batch_start([STOPPED])
    clock.tick(11)
    job = await clouds.ecs.get_job(job_id)
    assert job.status == "SUCCESS" and job.error_summary() is None
    assert (await clouds.ecs.get_server(STOPPED)).status == "ERROR"


async def test_a_start_fault_waits_for_a_start(
    clouds: CloudClients, emulator: EmulatorThread, world: World, clock: Clock
) -> None:
    await control(emulator, "POST", {"kind": "start_fails", "server_id": STOPPED})
    stop = await clouds.ecs.batch_stop([RUNNING])  # not a start: untouched by the fault
    start_other = await clouds.ecs.batch_start([STOPPED_2])  # another server: untouched
    assert len((await control(emulator, "GET")).json()) == 1
    clock.tick(11)
    assert (await clouds.ecs.get_job(stop)).status == "SUCCESS"
    assert (await clouds.ecs.get_job(start_other)).status == "SUCCESS"
    assert (await control(emulator, "DELETE")).status_code == 200
    assert (await control(emulator, "GET")).json() == []


@pytest.mark.parametrize(
    "body",
    [{"kind": "reboot_fails"}, {"kind": "stop_fails", "colour": "red"}, ["stop_fails"]],
    ids=["unknown-kind", "unknown-field", "not-an-object"],
)
async def test_a_bad_power_fault_is_refused(emulator: EmulatorThread, body: Any) -> None:
    assert (await control(emulator, "POST", body)).status_code == 400
    assert emulator.emulator.world.power_faults == []


async def test_an_unknown_server_is_an_ecs_404_and_nothing_changes(
    clouds: CloudClients, world: World
) -> None:
    with pytest.raises(NotFoundError) as missing:
        await clouds.ecs.batch_stop([RUNNING, "no-such-server"])
    assert missing.value.code == "Ecs.0114" and missing.value.status == 404
    assert world.ecs_jobs == {} and status(world, RUNNING) == "ACTIVE"


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"os-stop": {}},
        {"os-stop": {"servers": []}},
        {"os-stop": {"servers": [{"name": "x"}]}},
        {"os-stop": {"servers": [{"id": RUNNING}], "type": "GENTLE"}},
        {"os-stop": {"servers": [{"id": RUNNING}, {"id": RUNNING}]}},
        {"os-start": {"servers": [{"id": STOPPED}], "type": "HARD"}},
        {"os-start": {"servers": [{"id": STOPPED}]}, "os-stop": {"servers": [{"id": RUNNING}]}},
        {"reboot": {"servers": [{"id": RUNNING}], "type": "SOFT"}},
        {"os-stop": [{"id": RUNNING}]},
    ],
)
def test_malformed_power_bodies_are_refused_as_ecs_does(world: World, body: Any) -> None:
    with pytest.raises(SdrsApiError) as refused:
        world.power_action(body)
    assert (refused.value.status, refused.value.code) == (400, "Ecs.0005")
    assert refused.value.body() == {"error": {"code": "Ecs.0005", "message": refused.value.message}}
    assert world.ecs_jobs == {}


async def test_sdrs_and_ecs_jobs_share_the_path_and_each_answers_in_its_shape(
    clouds: CloudClients, world: World
) -> None:
    sdrs_job = world.resize(sid("pi-erp-db"), {"resize": {"flavorRef": "s6.xlarge.2"}})
    ecs_job = await clouds.ecs.batch_stop([RUNNING])
    read = await clouds.sdrs.get_job(sdrs_job)
    assert read.job_type == "resizeProtectedInstanceNew"
    assert read.entities is not None and read.entities.protected_instance_id
    ecs_read: EcsJob = await clouds.ecs.get_job(ecs_job)
    assert ecs_read.job_type == "batchStopServers" and ecs_read.sub_jobs[0].server_id == RUNNING
    with pytest.raises(NotFoundError):
        await clouds.ecs.get_job("no-such-job")


async def test_a_stop_whose_answer_was_lost_is_never_sent_again(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    emulator.emulator.faults.add(Fault("drop", method="POST", path_contains="/cloudservers/action"))
    before = len(emulator.emulator.requests)
    with pytest.raises(OutcomeUnknownError) as unknown:
        await clouds.ecs.batch_stop([RUNNING])
    assert "may or may not have been applied" in str(unknown.value)
    assert RUNNING in unknown.value.hint
    sent = list(emulator.emulator.requests)[before:]
    assert [(r.method, r.path) for r in sent] == [("POST", ACTION_PATH)]


@pytest.mark.parametrize(("status_code", "unknown"), [(504, True), (502, True), (503, False)])
async def test_a_start_answered_by_a_gateway_error_is_not_repeated(
    clouds: CloudClients, emulator: EmulatorThread, status_code: int, unknown: bool
) -> None:
    emulator.emulator.faults.add(
        Fault("status", method="POST", path_contains="/cloudservers/action", status=status_code)
    )
    before = len(emulator.emulator.requests)
    with pytest.raises((ApiError, OutcomeUnknownError)) as failed:
        await clouds.ecs.batch_start([STOPPED])
    assert isinstance(failed.value, OutcomeUnknownError) == unknown
    assert len(emulator.emulator.requests) - before == 1
    assert emulator.emulator.world.ecs_jobs == {}


async def test_reading_an_ecs_job_is_retried_after_a_503(
    clouds: CloudClients, emulator: EmulatorThread
) -> None:
    job_id = await clouds.ecs.batch_stop([RUNNING])
    emulator.emulator.faults.add(Fault("status", method="GET", path_contains="/jobs/", status=503))
    before = len(emulator.emulator.requests)
    assert (await clouds.ecs.get_job(job_id)).job_id == job_id
    assert len(emulator.emulator.requests) - before == 2


def test_error_summary_without_sub_jobs_or_reasons() -> None:
    bare = EcsJob.model_validate({"status": "FAIL", "job_id": "j1", "entities": {"sub_jobs": None}})
    assert bare.error_summary() == "ECS job j1 failed; ECS gave no error code or reason"
    detail = EcsJob.model_validate(
        {
            "status": "RUNNING",
            "job_id": "j2",
            "entities": {
                "sub_jobs": [
                    {
                        "status": "FAIL",
                        "entities": {"server_id": "s1", "errorcode_message": "disk busy"},
                    },
                    {"status": "RUNNING", "entities": {"server_id": "s2"}},
                ]
            },
        }
    )
    assert detail.error_summary() == "server s1: disk busy"
    assert EcsJob.model_validate({"status": "SUCCESS", "job_id": "j3"}).error_summary() is None
