"""Capacity decisions (pure): sale status per availability zone from ``cond:operation:status``
and ``cond:operation:az``, the closest flavors sold in a zone, the quota a resize needs (both
sites counted), and how the preflight refuses on them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import capacity
from bot.core.capacity import Capacity, ZoneListing, az_statuses, quota_shortfalls
from bot.core.intents import ResizeIntent
from bot.core.preflight import Refusal, ResizeState, check_resize, refusal_wording
from bot.core.wire.capacity import ServerLimits, ZoneFlavor
from bot.core.wire.ecs import Flavor
from bot.core.wording import Wording
from tests.core.test_preflight import PI, server, world

S6L = Flavor(id="s6.large.2", vcpus=2, ram=4096)
S6XL = Flavor(id="s6.xlarge.2", vcpus=4, ram=8192)
S6XXL = Flavor(id="s6.2xlarge.2", vcpus=8, ram=16384)
C7XL = Flavor(id="c7.xlarge.2", vcpus=4, ram=8192)
M6L = Flavor(id="m6.large.8", vcpus=2, ram=16384)
S6M = Flavor(id="s6.medium.2", vcpus=1, ram=2048)
C7_CORES = Flavor(id="c7.8xlarge.1", vcpus=16, ram=16384)


def zone_flavor(f: Flavor, status: str | None = None, az: str | None = None) -> ZoneFlavor:
    specs = {"cond:operation:status": status, "cond:operation:az": az}
    wire = {"id": f.id, "name": f.id, "vcpus": str(f.vcpus), "ram": f.ram}
    return ZoneFlavor.model_validate({**wire, "os_extra_specs": specs})


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        (None, {}),
        ("", {}),
        ("az1(sellout)", {"az1": "sellout"}),
        ("az1(sellout),az2(normal)", {"az1": "sellout", "az2": "normal"}),
        # the SDK's own example, with spaces after the commas
        (
            "az0(normal), az1(sellout), az2(obt), az3(normal)",
            {"az0": "normal", "az1": "sellout", "az2": "obt", "az3": "normal"},
        ),
        (
            "cn-north-4a(abandon) , cn-north-4b( promotion )",
            {"cn-north-4a": "abandon", "cn-north-4b": "promotion"},
        ),
        ("az1(SellOut)", {"az1": "sellout"}),
        # no status in the brackets: an invalid entry (the SDK's words), left out
        ("az1(), az2(normal)", {"az2": "normal"}),
        ("az1, az2(normal)", {"az2": "normal"}),
        ("(normal)", {}),
        ("az1(normal", {}),
    ],
)
def test_per_zone_statuses_are_parsed(spec: str | None, parsed: dict[str, str]) -> None:
    assert az_statuses(spec) == parsed


ZONE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=16)
STATUS = st.sampled_from(["normal", "abandon", "sellout", "obt", "promotion"])


@settings(max_examples=200)
@given(st.dictionaries(ZONE, STATUS, max_size=6), st.sampled_from([", ", ",", " , "]))
def test_any_well_formed_spec_reads_back(entries: dict[str, str], sep: str) -> None:
    spec = sep.join(f"{z}({s})" for z, s in entries.items())
    assert az_statuses(spec) == entries


@pytest.mark.parametrize(
    ("status", "az", "zone", "expected"),
    [
        (None, None, "az1", "normal"),  # no key: normal
        ("", None, "az1", "normal"),
        ("sellout", None, "az1", "sellout"),  # the region's status
        ("abandon", "az1(normal), az2(sellout)", "az1", "normal"),  # the zone's entry wins
        ("abandon", "az1(normal), az2(sellout)", "az2", "sellout"),
        ("abandon", "az1(normal), az2(sellout)", "az3", "abandon"),  # no entry: the region's
        ("normal", "az1()", "az1", "normal"),  # an invalid entry is ignored
    ],
)
def test_status_in_a_zone(status: str | None, az: str | None, zone: str, expected: str) -> None:
    assert capacity.status_in_zone(zone_flavor(S6XL, status, az), zone) == expected


def test_no_extra_specs_is_normal() -> None:
    assert capacity.status_in_zone(ZoneFlavor(id="x", vcpus=1, ram=1), "az1") == "normal"


def test_a_zone_refuses_sold_out_withdrawn_and_unlisted_flavors_and_sells_normal_ones() -> None:
    listing = ZoneListing.of(
        "az2",
        [
            zone_flavor(S6L),
            zone_flavor(S6XL, "normal", "az2(sellout)"),
            zone_flavor(C7XL, "abandon"),
            zone_flavor(M6L, "obt"),
            zone_flavor(S6XXL, "abandon", "az2(promotion)"),
        ],
    )
    assert [listing.refuses(f) for f in ("s6.xlarge.2", "c7.xlarge.2", "t6.none.1")] == [True] * 3
    assert listing.status("t6.none.1") == capacity.NOT_LISTED
    assert listing.sells("s6.large.2") and listing.sells("s6.2xlarge.2")
    # open beta: not refused (an enrolled project may use it), not offered either
    assert not listing.refuses("m6.large.8") and not listing.sells("m6.large.8")
    offered = Capacity(zones={"dr": listing}).offered("dr", [S6L, S6XL, C7XL, M6L, S6XXL])
    assert [f.id for f in offered or []] == ["s6.large.2", "s6.2xlarge.2"]
    assert Capacity().offered("dr", [S6XL]) == [S6XL]  # zone not read: unchanged


def test_closest_available_same_family_first_then_vcpus_then_ram() -> None:
    sold = ZoneListing.of(
        "az1",
        [zone_flavor(f) for f in (S6L, S6XXL, C7XL, M6L, S6M)] + [zone_flavor(S6XL, "sellout")],
    )
    choices = [S6L, S6XL, S6XXL, C7XL, M6L, S6M]
    # s6 first, by vCPUs away from 4: s6.large.2 (2), s6.medium.2 (3), s6.2xlarge.2 (4);
    # c7.xlarge.2 (0 away) only after the family
    assert capacity.closest_available(S6XL, choices, sold) == [
        "s6.large.2",
        "s6.medium.2",
        "s6.2xlarge.2",
    ]
    assert capacity.closest_available(
        C7XL.model_copy(update={"id": "c7.4xlarge.2", "vcpus": 16}), choices, sold, n=2
    ) == ["c7.xlarge.2", "s6.2xlarge.2"]
    assert capacity.closest_available(S6XL, [S6XL], sold) == []


LIMITS = ServerLimits(
    maxTotalCores=40, totalCoresUsed=30, maxTotalRAMSize=81920, totalRAMUsed=61440
)


@pytest.mark.parametrize(
    ("resizes", "expected"),
    [
        ([(S6L, S6XL), (S6L, S6XL)], []),  # +4 cores, +8 GiB: fits
        ([(S6L, S6XXL)], []),  # +6 cores, +12 GiB: fits (10 and 20 GiB free)
        ([(S6L, S6XXL), (S6L, S6XL)], []),  # both sites: +8 cores of 10, +16 GiB of 20
        ([(S6L, C7_CORES)], [("cores", 14, 30, 40)]),  # cores only: +14 of 10
        ([(S6L, S6XXL), (S6L, S6XXL)], [("cores", 12, 30, 40), ("ram", 24576, 61440, 81920)]),
        ([(S6XXL, S6L), (S6L, S6XXL)], []),  # a smaller site frees nothing, the other fits
        ([(S6L, M6L), (S6L, M6L)], [("ram", 24576, 61440, 81920)]),  # RAM only
        ([(S6L, None), (S6L, None)], []),  # unknown size: nothing invented
    ],
)
def test_quota_counts_only_increases_of_every_resized_site(
    resizes: list[tuple[Flavor, Flavor | None]], expected: list[tuple[str, int, int, int]]
) -> None:
    found = quota_shortfalls(resizes, LIMITS)
    assert [(s.resource, s.needed, s.used, s.limit) for s in found] == expected


def test_a_negative_maximum_is_no_limit() -> None:
    unlimited = LIMITS.model_copy(update={"max_total_cores": -1, "max_total_ram_size": -1})
    assert quota_shortfalls([(S6L, S6XXL)] * 10, unlimited) == []


# ---- the preflight with capacity read ----------------------------------------------------
def state(
    zones: dict[str, ZoneListing] | None = None, limits: ServerLimits | None = None
) -> ResizeState:
    inst, grp, servers = world()
    allowed = [S6L, S6XL, S6XXL, C7XL, S6M]
    return ResizeState(
        inst,
        grp,
        servers,
        allowed_flavors={"production": allowed, "dr": allowed},
        capacity=Capacity(zones=zones or {}, limits=limits),
    )


def zones(dr_spec: str) -> dict[str, ZoneListing]:
    flavors = [zone_flavor(f, "normal", dr_spec) for f in (S6L, S6XL, S6XXL, C7XL, S6M)]
    return {
        "production": ZoneListing.of("az1", flavors),
        "dr": ZoneListing.of("az2", flavors),
    }


def test_a_flavor_sold_out_in_the_dr_zone_is_refused_with_the_closest_sold_there() -> None:
    check = check_resize(
        ResizeIntent(instance_id=PI, flavor="s6.xlarge.2"), state(zones("az2(sellout)"))
    )
    assert check.refusal is Refusal.FLAVOR_NOT_IN_ZONE
    assert (check.site, check.zone, check.zone_status, check.status) == (
        "dr",
        "az2",
        "sellout",
        "s6.xlarge.2",
    )
    assert check.subject == "ecs-tgt"
    assert check.suggestions == []  # az2(sellout) applies to every flavor here
    said = refusal_wording(check)  # a not-started report's detail, worded for translation
    assert said.english() == f"{check.refusal}: {check.detail}"
    assert said.english() == "flavor-not-in-zone: dr: s6.xlarge.2 sellout in az2"
    detail = said.values["detail"]
    assert isinstance(detail, Wording) and detail.msgid != "{text}"  # not the verbatim detail
    one = zones("")
    one["dr"] = ZoneListing(
        "az2", {**one["dr"].statuses, "s6.xlarge.2": "abandon"}, one["dr"].flavors
    )
    withdrawn = check_resize(ResizeIntent(instance_id=PI, flavor="s6.xlarge.2"), state(one))
    assert withdrawn.zone_status == "abandon"
    # s6 first, nearest vCPUs first; not the current flavor s6.large.2 (it changes nothing)
    assert withdrawn.suggestions == ["s6.medium.2", "s6.2xlarge.2", "c7.xlarge.2"]


def test_only_changed_sites_are_checked_against_their_zone() -> None:
    sold_out = zones("az2(sellout)")
    prod_only = ResizeIntent(instance_id=PI, production_flavor="s6.xlarge.2")
    assert check_resize(prod_only, state(sold_out)).allowed
    unlisted = {"dr": ZoneListing("az2", {}, {})}
    assert (
        check_resize(
            ResizeIntent(instance_id=PI, dr_flavor="s6.xlarge.2"), state(unlisted)
        ).zone_status
        == capacity.NOT_LISTED
    )
    assert check_resize(
        ResizeIntent(instance_id=PI, flavor="s6.xlarge.2"), state()
    ).allowed  # not read


def test_a_resize_past_the_quota_counts_both_sites() -> None:
    tight = LIMITS.model_copy(update={"total_cores_used": 35})  # 5 cores free
    one_site = ResizeIntent(instance_id=PI, production_flavor="s6.xlarge.2")  # +2
    assert check_resize(one_site, state(limits=tight)).allowed
    both = check_resize(ResizeIntent(instance_id=PI, flavor="s6.2xlarge.2"), state(limits=tight))
    assert both.refusal is Refusal.QUOTA
    assert [(s.resource, s.needed, s.used, s.limit, s.free) for s in both.shortfalls] == [
        ("cores", 12, 35, 40, 5),
        ("ram", 24576, 61440, 81920, 20480),
    ]
    assert both.instance_name == "erp-db"
    said = refusal_wording(both)  # a not-started report's detail, worded for translation
    assert (
        said.english()
        == f"{both.refusal}: {both.detail}"
        == (
            "quota: cores quota: +12 needed, 35 of 40 used; "
            "ram quota: +24576 needed, 61440 of 81920 used (MiB)"
        )
    )


def test_an_earlier_refusal_comes_first() -> None:
    inst, grp, servers = world(src=server("src", status="ACTIVE"))
    s = ResizeState(
        inst, grp, servers, capacity=Capacity(zones=zones("az2(sellout)"), limits=LIMITS)
    )
    assert (
        check_resize(ResizeIntent(instance_id=PI, flavor="s6.xlarge.2"), s).refusal
        is Refusal.SERVER_RUNNING
    )
