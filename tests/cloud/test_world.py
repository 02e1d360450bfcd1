"""The emulated world's job lifecycle, on a fake clock (no sleeping, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.sandbox.seed import seeded_world, sid
from bot.sandbox.world import JobPlan, SdrsApiError


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


RESIZE_BOTH = {"resize": {"flavorRef": "s6.xlarge.2"}}


def test_resize_job_goes_init_running_success_and_changes_flavors() -> None:
    clock = Clock()
    world = seeded_world(now=clock, job_init_seconds=2, job_seconds=10)
    job_id = world.resize(sid("pi-erp-db"), RESIZE_BOTH)
    assert world.job(job_id)["status"] == "INIT"
    assert world.instance(sid("pi-erp-db"))["status"] == "resizing"
    clock.advance(2)
    assert world.job(job_id)["status"] == "RUNNING"
    assert world.server_wire(sid("pi-erp-db-src"))["flavor"]["id"] == "s6.large.2"
    clock.advance(8)
    job = world.job(job_id)
    assert job["status"] == "SUCCESS"
    assert job["job_type"] == "resizeProtectedInstanceNew"
    assert job["begin_time"] == "2026-11-23T09:00:00.000Z"
    assert job["end_time"] == "2026-11-23T09:00:10.000Z"
    assert len(job["entities"]["sub_jobs"]) == 2
    assert world.server_wire(sid("pi-erp-db-src"))["flavor"]["id"] == "s6.xlarge.2"
    assert world.server_wire(sid("pi-erp-db-tgt"))["flavor"]["id"] == "s6.xlarge.2"
    assert world.instance(sid("pi-erp-db"))["status"] == "protected"


def test_planned_failure_sets_error_resizing_and_keeps_flavors() -> None:
    clock = Clock()
    world = seeded_world(now=clock, job_init_seconds=1, job_seconds=5)
    world.plan_next_job(JobPlan(fail=("SDRS.1399", "ECS resize failed on the DR site")))
    job_id = world.resize(sid("pi-erp-db"), RESIZE_BOTH)
    clock.advance(5)
    job = world.job(job_id)
    assert job["status"] == "FAIL"
    assert job["error_code"] == "SDRS.1399"
    assert job["fail_reason"] == "ECS resize failed on the DR site"
    assert job["entities"]["sub_jobs"][0]["fail_reason"] == "ECS resize failed on the DR site"
    assert world.instance(sid("pi-erp-db"))["status"] == "error-resizing"
    assert world.server_wire(sid("pi-erp-db-src"))["flavor"]["id"] == "s6.large.2"


def test_hanging_job_never_finishes_and_blocks_another_resize() -> None:
    clock = Clock()
    world = seeded_world(now=clock, job_init_seconds=1, job_seconds=5)
    world.plan_next_job(JobPlan(hang=True))
    job_id = world.resize(sid("pi-erp-db"), RESIZE_BOTH)
    clock.advance(86400)
    assert world.job(job_id)["status"] == "RUNNING"
    with pytest.raises(SdrsApiError) as caught:
        world.resize(sid("pi-erp-db"), RESIZE_BOTH)
    assert caught.value.code == "SDRS.1328"


def test_resize_flavor_list_excludes_current_and_other_az_flavors() -> None:
    world = seeded_world()
    prod = {f["id"] for f in world.resize_flavors(sid("pi-erp-db-src"))}
    dr = {f["id"] for f in world.resize_flavors(sid("pi-erp-db-tgt"))}
    assert "s6.large.2" not in prod
    assert "c7.large.2" in prod
    assert "c7.large.2" not in dr
