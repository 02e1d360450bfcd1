"""Dedicated hosts in the resize preflight: which host each site goes to, and the refusals
before Confirm (bot/core/dedicated_hosts.py through bot/core/preflight.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.dedicated_hosts import HostRefusal
from bot.core.intents import ResizeIntent
from bot.core.preflight import Refusal, Warning, decide_resize
from bot.core.wire.deh import DedicatedHost
from bot.core.wire.ecs import Flavor, Server
from bot.core.wire.sdrs import ProtectedInstance, ProtectionGroup

PI = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
DEH_1 = "6a1f0c3e-0000-4000-8000-000000000001"
DEH_2 = "6a1f0c3e-0000-4000-8000-000000000002"
CAT = {
    f.id: f
    for f in (
        Flavor(id="s6.large.2", vcpus=2, ram=4096),
        Flavor(id="s6.xlarge.2", vcpus=4, ram=8192),
        Flavor(id="c7.large.2", vcpus=2, ram=4096),
    )
}
S6 = ["s6.large.2", "s6.xlarge.2"]


def server(sid: str, host: str | None, az: str = "az-a") -> Server:
    hints = {"tenancy": ["dedicated"], "dedicated_host_id": [host]} if host else {}
    return Server.model_validate(
        {
            "id": sid,
            "name": f"ecs-{sid}",
            "status": "SHUTOFF",
            "flavor": CAT["s6.large.2"].model_dump(),
            "OS-EXT-AZ:availability_zone": az,
            "os:scheduler_hints": hints,
        }
    )


def deh(
    hid: str, name: str, az: str = "az-a", vcpus: int = 8, mib: int = 16384, takes: Any = S6
) -> DedicatedHost:
    return DedicatedHost.model_validate(
        {
            "dedicated_host_id": hid,
            "name": name,
            "availability_zone": az,
            "state": "available",
            "available_vcpus": vcpus,
            "available_memory": mib,
            "host_properties": {
                "host_type": "s6",
                "available_instance_capacities": [{"flavor": f} for f in takes],
            },
        }
    )


def decide(
    intent: ResizeIntent, src: Server, hosts: dict[str, DedicatedHost | None], dr_az: str = "az-b"
) -> Any:
    inst = ProtectedInstance.model_validate(
        {
            "id": PI,
            "name": "erp-deh",
            "status": "protected",
            "server_group_id": "g",
            "source_server": "src",
            "target_server": "tgt",
            "priority_station": "source",
        }
    )
    grp = ProtectionGroup(id="g", name="erp", status="protected")
    servers = {"src": src, "tgt": server("tgt", None, dr_az)}
    return decide_resize(intent, inst, grp, servers, CAT, hosts=hosts)


PROD = ResizeIntent(instance_id=PI, production_flavor="s6.xlarge.2")


def test_a_site_on_a_dedicated_host_keeps_its_host_by_default() -> None:
    check = decide(PROD, server("src", DEH_1), {DEH_1: deh(DEH_1, "deh-prod")})
    assert check.allowed and Warning.DEDICATED_HOST_UNCHECKED not in dict(check.warnings)
    assert check.host_fields() == {"production_host": DEH_1}
    [choice] = check.hosts
    assert choice.stays and choice.checked and choice.host_name == "deh-prod"
    body = PROD.model_copy(update=check.host_fields()).params().body()
    assert body["resize"]["production_dedicated_host_id"] == DEH_1


def test_a_named_host_is_where_it_moves() -> None:
    intent = PROD.model_copy(update={"production_host": DEH_2})
    hosts = {DEH_1: deh(DEH_1, "a"), DEH_2: deh(DEH_2, "deh-new")}
    check = decide(intent, server("src", DEH_1), hosts)
    [choice] = check.hosts
    assert check.allowed and not choice.stays and choice.current_host_id == DEH_1
    assert choice.host_id == DEH_2 and choice.host_name == "deh-new"


def test_a_server_on_the_shared_pool_names_no_host() -> None:
    check = decide(PROD, server("src", None), {})
    assert check.allowed and check.hosts == [] and check.host_fields() == {}


def test_a_host_that_was_not_read_is_sent_unchecked_with_a_warning() -> None:
    check = decide(PROD, server("src", DEH_1), {})
    assert check.allowed and check.host_fields() == {"production_host": DEH_1}
    assert (Warning.DEDICATED_HOST_UNCHECKED, "production") in check.warnings


@pytest.mark.parametrize(
    ("host", "refusal", "code", "facts"),
    [
        (None, HostRefusal.UNKNOWN, "SDRS.1368", {}),
        (
            deh(DEH_2, "deh-b", az="az-b"),
            HostRefusal.OTHER_AZ,
            "SDRS.1369",
            {"host_az": "az-b", "server_az": "az-a"},
        ),
        (
            deh(DEH_2, "deh-c7", takes=["c7.large.2"]),
            HostRefusal.FLAVOR_TYPE,
            None,
            {"host_type": "s6", "flavor": "s6.xlarge.2"},
        ),
        (
            deh(DEH_2, "deh-full", vcpus=2),
            HostRefusal.NO_ROOM,
            None,
            {"free_vcpus": 2, "needed_vcpus": 4},
        ),
        (
            deh(DEH_2, "deh-full", mib=4096),
            HostRefusal.NO_ROOM,
            None,
            {"free_mib": 4096, "needed_mib": 8192},
        ),
    ],
)
def test_a_named_host_is_refused_before_confirm(
    host: DedicatedHost | None, refusal: HostRefusal, code: str | None, facts: dict[str, Any]
) -> None:
    intent = PROD.model_copy(update={"production_host": DEH_2})
    check = decide(intent, server("src", DEH_1), {DEH_2: host})
    assert not check.allowed and check.refusal is Refusal.DEDICATED_HOST
    problem = check.host_problem
    assert problem.refusal is refusal and problem.sdrs_code == code
    assert problem.site == "production" and problem.host_id == DEH_2
    assert problem.server == "ecs-src"
    assert {k: getattr(problem, k) for k in facts} == facts


def test_on_its_own_host_only_the_growth_needs_room() -> None:
    # s6.large.2 (2 vCPU, 4 GiB) -> s6.xlarge.2 (4 vCPU, 8 GiB): 2 vCPU and 4 GiB more
    fits = deh(DEH_1, "own", vcpus=2, mib=4096)
    assert decide(PROD, server("src", DEH_1), {DEH_1: fits}).allowed
    tight = deh(DEH_1, "own", vcpus=1, mib=4096)
    problem = decide(PROD, server("src", DEH_1), {DEH_1: tight}).host_problem
    assert problem.refusal is HostRefusal.NO_ROOM and problem.needed_vcpus == 2
    # moving to another host needs the whole new flavor there
    intent = PROD.model_copy(update={"production_host": DEH_2})
    other = deh(DEH_2, "other", vcpus=2, mib=4096)
    moved = decide(intent, server("src", DEH_1), {DEH_2: other}).host_problem
    assert moved.refusal is HostRefusal.NO_ROOM and moved.needed_vcpus == 4


def test_the_current_host_is_checked_too() -> None:
    problem = decide(PROD, server("src", DEH_1), {DEH_1: None}).host_problem
    assert problem.refusal is HostRefusal.UNKNOWN and problem.host_id == DEH_1


def test_a_host_listing_no_flavors_or_a_flavor_of_unknown_size_is_not_judged() -> None:
    unlisted = deh(DEH_1, "any", takes=[], vcpus=0, mib=0)
    intent = ResizeIntent(instance_id=PI, production_flavor="m9.unknown.2")
    assert decide(intent, server("src", DEH_1), {DEH_1: unlisted}).allowed


def test_a_host_named_for_a_server_on_the_shared_pool_is_checked_and_sent() -> None:
    intent = PROD.model_copy(update={"production_host": DEH_2})
    check = decide(intent, server("src", None), {DEH_2: deh(DEH_2, "new")})
    [choice] = check.hosts
    assert check.allowed and choice.host_id == DEH_2 and choice.current_host_id == ""
    assert not choice.stays
    other_zone = decide(intent, server("src", None), {DEH_2: deh(DEH_2, "b", az="az-b")})
    assert other_zone.host_problem.refusal is HostRefusal.OTHER_AZ
