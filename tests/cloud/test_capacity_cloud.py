"""Capacity reads, cloud side: the emulator's flavors-by-zone and limits answers conform to the
official huaweicloudsdkecs models (``ListFlavorsResponse``, ``ShowServerLimitsResponse``) and
the SDK reads the sale statuses and quota back; the ECS client reads them over HTTP (every page
of a zone's flavors); the emulator refuses a resize to a flavor not sold in the server's zone
(SDRS.1379); and the preflight's reads (:func:`bot.huaweicloud.reads.read_instance_state`)
carry what the zones and the quota say."""

from __future__ import annotations

import asyncio

import pytest
from huaweicloudsdkecs.v2 import model as ecs_model

from bot.core import capacity
from bot.core.intents import ResizeIntent
from bot.core.preflight import Refusal, check_resize
from bot.core.wire.capacity import ZoneFlavor
from bot.huaweicloud.capacity import ZoneListings
from bot.huaweicloud.ecs import FLAVOR_PAGE, EcsClient
from bot.huaweicloud.reads import read_instance_state
from bot.huaweicloud.sdrs import SdrsClient
from bot.sandbox.seed import AZ_DR, AZ_PROD, near_core_quota, seeded_world, sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.world import SdrsApiError, World
from tests.cloud.test_conformance import conforms, sdk_clients


def test_zone_flavors_conform_and_the_sdk_reads_each_sale_status() -> None:
    world = seeded_world()
    _sdrs, ecs = sdk_clients()
    flavors = world.zone_flavors(1000, None)
    read = conforms({"flavors": flavors}, "ListFlavorsResponse", ecs_model, ecs)
    specs = {f.id: f.os_extra_specs for f in read.flavors}
    assert specs["c7.xlarge.2"].condoperationstatus == "normal"
    assert specs["c7.xlarge.2"].condoperationaz == f"{AZ_DR}(sellout)"
    assert specs["c7.large.2"].condoperationstatus == "abandon"  # offered in one zone only
    assert specs["c7.large.2"].condoperationaz == f"{AZ_PROD}(normal)"
    assert specs["s6.xlarge.2"].condoperationaz is None
    # our reading of the same answer
    ours = [ZoneFlavor.model_validate(f) for f in flavors]
    dr = capacity.ZoneListing.of(AZ_DR, ours)
    prod = capacity.ZoneListing.of(AZ_PROD, ours)
    assert (dr.status("c7.xlarge.2"), prod.status("c7.xlarge.2")) == ("sellout", "normal")
    assert (dr.status("c7.large.2"), prod.status("c7.large.2")) == ("abandon", "normal")
    assert dr.flavors["c7.xlarge.2"].vcpus == 4 and dr.flavors["c7.xlarge.2"].ram == 8192


def test_limits_conform_and_count_every_server() -> None:
    world = seeded_world()
    _sdrs, ecs = sdk_clients()
    read = conforms(world.limits_wire(), "ShowServerLimitsResponse", ecs_model, ecs)
    expected = sum(world.flavors[s.flavor].vcpus for s in world.servers.values())
    assert read.absolute.total_cores_used == expected
    assert read.absolute.max_total_cores == world.max_total_cores
    near_core_quota(world, headroom=8)
    assert world.limits_wire()["absolute"]["maxTotalCores"] == expected + 8


def test_a_flavor_not_sold_in_the_servers_zone_is_refused_by_the_emulator() -> None:
    world = seeded_world()
    with pytest.raises(SdrsApiError) as sold_out:
        world.resize(sid("pi-erp-db"), {"resize": {"dr_flavorRef": "c7.xlarge.2"}})
    assert sold_out.value.code == "SDRS.1379" and AZ_DR in sold_out.value.message
    world.set_flavor_status("s6.xlarge.2", "abandon")  # withdrawn everywhere
    with pytest.raises(SdrsApiError) as withdrawn:
        world.resize(sid("pi-erp-db"), {"resize": {"production_flavorRef": "s6.xlarge.2"}})
    assert withdrawn.value.code == "SDRS.1379"
    # sold in the production zone: accepted there
    world.resize(sid("pi-erp-db"), {"resize": {"production_flavorRef": "c7.xlarge.2"}})


async def test_the_client_reads_every_page_of_a_zones_flavors(world: World, ecs: EcsClient) -> None:
    for i in range(FLAVOR_PAGE + 5):  # more than one page
        world.add_flavor(f"t9.size{i:04d}.2", 2, 4096)
    listed = await ecs.list_zone_flavors(AZ_DR)
    assert len(listed) == len(world.flavors)
    assert len({f.id for f in listed}) == len(listed)
    by_id = {f.id: f for f in listed}
    assert capacity.status_in_zone(by_id["c7.xlarge.2"], AZ_DR) == "sellout"
    assert capacity.status_in_zone(by_id["c7.xlarge.2"], AZ_PROD) == "normal"


async def test_the_client_reads_the_limits(
    world: World, emulator: EmulatorThread, ecs: EcsClient
) -> None:
    near_core_quota(world, headroom=3)
    limits = await ecs.get_limits()
    cores, ram = world.used()
    assert (limits.total_cores_used, limits.max_total_cores) == (cores, cores + 3)
    assert (limits.total_ram_used, limits.max_total_ram_size) == (ram, world.max_total_ram)


async def test_the_preflight_reads_carry_zone_statuses_and_the_quota(
    world: World, sdrs: SdrsClient, ecs: EcsClient
) -> None:
    near_core_quota(world, headroom=8)
    state = await read_instance_state(sdrs, ecs, sid("pi-erp-db"), ["production", "dr"])
    assert state.capacity.zones["dr"].zone == AZ_DR
    assert state.capacity.zones["dr"].status("c7.xlarge.2") == "sellout"
    assert state.capacity.zones["production"].status("c7.xlarge.2") == "normal"
    offered = [f.id for f in state.offered_flavors("dr") or []]
    assert "c7.xlarge.2" not in offered and "s6.xlarge.2" in offered
    assert "c7.xlarge.2" in [f.id for f in state.offered_flavors("production") or []]
    sold_out = check_resize(ResizeIntent(instance_id=sid("pi-erp-db"), flavor="c7.xlarge.2"), state)
    assert sold_out.refusal is Refusal.FLAVOR_NOT_IN_ZONE and sold_out.site == "dr"
    assert sold_out.suggestions[0] == "s6.xlarge.2"  # c7.large.2 is not sold there either
    fits = check_resize(ResizeIntent(instance_id=sid("pi-erp-db"), flavor="s6.xlarge.2"), state)
    assert fits.allowed  # +2 vCPUs on each site: 4 of 8 free
    over = check_resize(ResizeIntent(instance_id=sid("pi-erp-db"), flavor="s6.2xlarge.2"), state)
    assert over.refusal is Refusal.QUOTA
    assert [(s.resource, s.needed, s.limit - s.used) for s in over.shortfalls] == [("cores", 12, 8)]


async def test_an_unreadable_capacity_read_leaves_the_preflight_to_sdrs(
    world: World, emulator: EmulatorThread, sdrs: SdrsClient, ecs: EcsClient
) -> None:
    emulator.emulator.denials.deny(["ecs:cloudServerFlavors:get", "ecs:cloudServerQuotas:get"])
    near_core_quota(world, headroom=0)
    state = await read_instance_state(sdrs, ecs, sid("pi-erp-db"), ["production", "dr"])
    assert state.capacity.zones == {} and state.capacity.limits is None
    check = check_resize(ResizeIntent(instance_id=sid("pi-erp-db"), flavor="s6.xlarge.2"), state)
    assert check.allowed  # not read: not refused here (SDRS and ECS still check)


async def test_a_burst_of_preflights_lists_each_zone_once(
    emulator: EmulatorThread, sdrs: SdrsClient, ecs: EcsClient
) -> None:
    """Twenty preflights at once over both sites' zones: one listing per zone, read once and
    shared (not twenty each); the quota is read by each."""
    states = await asyncio.gather(
        *(read_instance_state(sdrs, ecs, sid("pi-erp-db"), ["production", "dr"]) for _ in range(20))
    )
    assert emulator.emulator.counts["GET zone_flavors"] == 2  # AZ_PROD and AZ_DR
    assert emulator.emulator.counts["GET limits"] == 20
    assert all(s.capacity.zones["dr"].status("c7.xlarge.2") == "sellout" for s in states)
    await read_instance_state(sdrs, ecs, sid("pi-erp-db"), ["dr"])  # later, within the window
    assert emulator.emulator.counts["GET zone_flavors"] == 2


async def test_a_zone_listing_is_read_again_after_its_window(world: World, ecs: EcsClient) -> None:
    now = [0.0]
    listings = ZoneListings(ecs, seconds=60.0, clock=lambda: now[0])
    first = await listings.get(AZ_DR)
    assert first is not None and first.status("c7.xlarge.2") == "sellout"
    world.set_flavor_status("c7.xlarge.2", "normal", az=AZ_DR)  # back in stock there
    now[0] = 59.0
    assert await listings.get(AZ_DR) is first  # kept: not read again
    now[0] = 60.0
    again = await listings.get(AZ_DR)
    assert again is not None and again.status("c7.xlarge.2") == "normal"


async def test_a_zone_listing_that_could_not_be_read_is_not_kept(
    emulator: EmulatorThread, ecs: EcsClient
) -> None:
    listings = ZoneListings(ecs, clock=lambda: 0.0)  # the window never ends
    emulator.emulator.denials.deny(["ecs:cloudServerFlavors:get"])
    assert await listings.get(AZ_DR) is None
    emulator.emulator.denials.clear()
    listed = await listings.get(AZ_DR)  # asked again at once, not an hour later
    assert listed is not None and listed.status("c7.xlarge.2") == "sellout"
