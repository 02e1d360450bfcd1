"""The pure resize preflight decision (issue 5's first part): table tests."""

from __future__ import annotations

import pytest

from bot.ecs import Flavor, Server
from bot.intents import ResizeIntent
from bot.preflight import Refusal, Warning, decide_resize
from bot.sdrs.models import ProtectedInstance, ProtectionGroup
from bot.sdrs.rules import INSTANCE_STATUSES, RESIZABLE_INSTANCE_STATUSES

PI = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
CAT = {
    f.id: f
    for f in (
        Flavor(id="s6.large.2", vcpus=2, ram=4096),
        Flavor(id="s6.xlarge.2", vcpus=4, ram=8192),
        Flavor(id="s6.medium.2", vcpus=1, ram=2048),
    )
}


def server(sid: str, status: str = "SHUTOFF", flavor: str = "s6.large.2", host: str = "") -> Server:
    return Server(id=sid, name=f"ecs-{sid}", status=status, flavor=CAT[flavor],
                  **{"OS-EXT-SRV-ATTR:host": host or None})  # fmt: skip


def world(
    station: str = "source",
    group: str = "protected",
    instance: str = "protected",
    src: Server | None = None,
    tgt: Server | None = None,
) -> tuple[ProtectedInstance, ProtectionGroup, dict[str, Server]]:
    inst = ProtectedInstance(
        id=PI, name="erp-db", status=instance, server_group_id="g",
        source_server="src", target_server="tgt", priority_station=station,
    )  # fmt: skip
    grp = ProtectionGroup(id="g", name="erp", status=group)
    servers = {s.id: s for s in (src or server("src"), tgt or server("tgt"))}
    return inst, grp, servers


BOTH = ResizeIntent(instance_id=PI, flavor="s6.xlarge.2")
PROD = ResizeIntent(instance_id=PI, production_flavor="s6.xlarge.2")
DR = ResizeIntent(instance_id=PI, dr_flavor="s6.medium.2")


@pytest.mark.parametrize("status", ["available", "protected", "creating", "error", "failed-over"])
def test_group_status(status: str) -> None:
    result = decide_resize(BOTH, *world(group=status), CAT)
    assert result.allowed == (status in ("available", "protected"))
    if not result.allowed:
        assert result.refusal is Refusal.GROUP_STATUS and status in result.detail


@pytest.mark.parametrize("status", INSTANCE_STATUSES)
def test_every_instance_status(status: str) -> None:
    result = decide_resize(BOTH, *world(instance=status), CAT)
    assert result.allowed == (status in RESIZABLE_INSTANCE_STATUSES)
    if not result.allowed:
        assert result.refusal is Refusal.INSTANCE_STATUS and status in result.detail


@pytest.mark.parametrize(
    ("station", "intent", "running", "refused"),
    [
        ("source", PROD, "src", True),
        ("source", PROD, "tgt", False),  # the DR server may run when only production is resized
        ("source", DR, "tgt", True),
        ("source", DR, "src", False),
        ("target", PROD, "tgt", True),  # after failover production is the target server
        ("target", PROD, "src", False),
        ("target", DR, "src", True),
        ("source", BOTH, "tgt", True),
    ],
)
def test_power_state_per_site_and_priority_station(
    station: str, intent: ResizeIntent, running: str, refused: bool
) -> None:
    servers = {"src": server("src"), "tgt": server("tgt")}
    servers[running] = server(running, status="ACTIVE")
    result = decide_resize(intent, *world(station, src=servers["src"], tgt=servers["tgt"]), CAT)
    assert result.allowed is not refused
    if refused:
        assert result.refusal is Refusal.SERVER_RUNNING and f"ecs-{running} ACTIVE" in result.detail


def test_changes_name_the_physical_server_of_each_site() -> None:
    result = decide_resize(BOTH, *world("target"), CAT)
    assert [(c.site, c.server_id, c.current.id, c.new_flavor) for c in result.changes] == [
        ("production", "tgt", "s6.large.2", "s6.xlarge.2"),
        ("dr", "src", "s6.large.2", "s6.xlarge.2"),
    ]


def test_warnings() -> None:
    smaller = decide_resize(DR, *world(), CAT)
    assert (Warning.DR_SMALLER, "s6.medium.2 < s6.large.2") in smaller.warnings
    same = decide_resize(ResizeIntent(instance_id=PI, flavor="s6.large.2"), *world(), CAT)
    assert [w for w, _ in same.warnings] == [Warning.SAME_FLAVOR, Warning.SAME_FLAVOR]
    deh = decide_resize(PROD, *world(src=server("src", host="deh-1")), CAT)
    assert (Warning.DEDICATED_HOST_MISSING, "production") in deh.warnings
    given = ResizeIntent(instance_id=PI, production_flavor="s6.xlarge.2", production_host=PI)
    warned = decide_resize(given, *world(src=server("src", host="deh-1")), CAT).warnings
    assert [w for w, _ in warned] == [Warning.DR_SMALLER]  # DR stays s6.large.2: smaller now
    bigger_dr = decide_resize(ResizeIntent(instance_id=PI, dr_flavor="s6.xlarge.2"), *world(), CAT)
    assert bigger_dr.allowed and not bigger_dr.warnings


def test_missing_server_is_refused() -> None:
    inst, grp, servers = world()
    del servers["tgt"]
    result = decide_resize(BOTH, inst, grp, servers, CAT)
    assert result.refusal is Refusal.SERVER_MISSING
