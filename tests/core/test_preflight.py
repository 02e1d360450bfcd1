"""The pure resize preflight decision: table tests."""

from __future__ import annotations

import pytest

from bot.core.intents import ResizeIntent
from bot.core.preflight import (
    REFUSAL_LABEL,
    Preflight,
    Refusal,
    Warning,
    changed_since,
    closest_flavors,
    decide_resize,
    refusal_wording,
)
from bot.core.rules import INSTANCE_STATUSES, RESIZABLE_INSTANCE_STATUSES
from bot.core.wire.ecs import Flavor, Server
from bot.core.wire.sdrs import ProtectedInstance, ProtectionGroup
from bot.core.wording import Wording

PI = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
CAT = {
    f.id: f
    for f in (
        Flavor(id="s6.large.2", vcpus=2, ram=4096),
        Flavor(id="s6.xlarge.2", vcpus=4, ram=8192),
        Flavor(id="s6.medium.2", vcpus=1, ram=2048),
    )
}


def server(
    sid: str,
    status: str = "SHUTOFF",
    flavor: str = "s6.large.2",
    host: str = "",
    charging: str = "0",
) -> Server:
    hints = {"tenancy": ["dedicated"], "dedicated_host_id": [host]} if host else {}
    wire = {
        "OS-EXT-SRV-ATTR:host": "cna-host-01",  # every server has a host name, DeH or not
        "os:scheduler_hints": hints,
        "metadata": {"charging_mode": charging},
    }
    return Server(id=sid, name=f"ecs-{sid}", status=status, flavor=CAT[flavor], **wire)


def world(
    station: str = "source",
    group: str = "protected",
    instance: str = "protected",
    src: Server | None = None,
    tgt: Server | None = None,
) -> tuple[ProtectedInstance, ProtectionGroup, dict[str, Server]]:
    inst = ProtectedInstance(
        id=PI,
        name="erp-db",
        status=instance,
        server_group_id="g",
        source_server="src",
        target_server="tgt",
        priority_station=station,
    )
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
    same_prod = ResizeIntent(
        instance_id=PI, production_flavor="s6.large.2", dr_flavor="s6.xlarge.2"
    )
    same = decide_resize(same_prod, *world(), CAT)
    assert same.allowed and [w for w, _ in same.warnings] == [Warning.SAME_FLAVOR]
    # a DeH server keeps its host; a host that was not read is sent unchecked, with a warning
    deh = decide_resize(PROD, *world(src=server("src", host="deh-1")), CAT)
    assert (Warning.DEDICATED_HOST_UNCHECKED, "production") in deh.warnings
    assert deh.host_fields() == {"production_host": "deh-1"}
    given = ResizeIntent(instance_id=PI, production_flavor="s6.xlarge.2", production_host=PI)
    warned = decide_resize(given, *world(src=server("src", host="deh-1")), CAT).warnings
    # DR stays s6.large.2: smaller now
    assert [w for w, _ in warned] == [Warning.DEDICATED_HOST_UNCHECKED, Warning.DR_SMALLER]
    bigger_dr = decide_resize(ResizeIntent(instance_id=PI, dr_flavor="s6.xlarge.2"), *world(), CAT)
    assert bigger_dr.allowed and not bigger_dr.warnings


def test_missing_server_is_refused() -> None:
    inst, grp, servers = world()
    del servers["tgt"]
    result = decide_resize(BOTH, inst, grp, servers, CAT)
    assert result.refusal is Refusal.SERVER_MISSING


def test_flavor_outside_the_resize_list_is_refused_with_close_names() -> None:
    listed = [CAT["s6.xlarge.2"], CAT["s6.medium.2"], Flavor(id="c7.xlarge.2", vcpus=4, ram=8192)]
    typo = ResizeIntent(instance_id=PI, production_flavor="s6.xlarg.2")
    result = decide_resize(typo, *world(), CAT, allowed_flavors={"production": listed})
    assert result.refusal is Refusal.FLAVOR_NOT_ALLOWED and result.site == "production"
    assert result.suggestions[0] == "s6.xlarge.2"
    # listed, or a site ECS did not list; the current flavor is not "not allowed" (ECS never
    # lists it) but a resize that changes nothing
    assert decide_resize(PROD, *world(), CAT, allowed_flavors={"production": listed}).allowed
    same = ResizeIntent(instance_id=PI, production_flavor="s6.large.2")
    same_result = decide_resize(same, *world(), CAT, allowed_flavors={"production": listed})
    assert same_result.refusal is Refusal.NO_CHANGE
    assert decide_resize(typo, *world(), CAT, allowed_flavors={"dr": listed}).allowed


def test_closest_flavors_prefers_spelling_then_series() -> None:
    choices = [Flavor(id=n) for n in ("s6.large.2", "s6.xlarge.2", "c7.large.2", "m6.large.8")]
    assert closest_flavors("s6.xlarg.2", choices)[0] == "s6.xlarge.2"
    assert closest_flavors("c7.huge.9", choices)[0] == "c7.large.2"
    assert closest_flavors("zz.q", choices) == []


def test_snapshot_and_what_changed_since() -> None:
    before = decide_resize(BOTH, *world(), CAT)
    shown = before.snapshot()
    assert shown == {"production": "src:s6.large.2", "dr": "tgt:s6.large.2"}
    assert changed_since(shown, decide_resize(BOTH, *world(), CAT)) == []
    resized = world(tgt=server("tgt", flavor="s6.medium.2"))
    assert changed_since(shown, decide_resize(BOTH, *resized, CAT)) == ["dr"]
    failed_over = world(station="target")  # production is now the target server
    assert changed_since(shown, decide_resize(BOTH, *failed_over, CAT)) == ["dr", "production"]


@pytest.mark.parametrize(
    ("intent", "src", "tgt", "refusal", "subject"),
    [
        # SDRS.1341: nothing changes on any resized site
        (ResizeIntent(instance_id=PI, flavor="s6.large.2"), {}, {}, Refusal.NO_CHANGE, "ecs-src"),
        (
            ResizeIntent(instance_id=PI, dr_flavor="s6.large.2"),
            {},
            {},
            Refusal.NO_CHANGE,
            "ecs-tgt",
        ),
        (
            ResizeIntent(instance_id=PI, production_flavor="s6.large.2", dr_flavor="s6.xlarge.2"),
            {},
            {},
            None,
            "",
        ),
        # SDRS.1376: a yearly/monthly server on a resized site, named by its name
        (PROD, {"charging": "1"}, {}, Refusal.PREPAID, "ecs-src"),
        (BOTH, {}, {"charging": "1"}, Refusal.PREPAID, "ecs-tgt"),
        (PROD, {}, {"charging": "1"}, None, ""),  # the prepaid DR server is not resized
        (PROD, {"charging": "0"}, {}, None, ""),
        (PROD, {"charging": "2"}, {}, None, ""),  # spot: not prepaid
        # a prepaid server is refused before its power state is looked at
        (PROD, {"charging": "1", "status": "ACTIVE"}, {}, Refusal.PREPAID, "ecs-src"),
    ],
)
def test_refusals_sdrs_would_give_after_confirm(
    intent: ResizeIntent,
    src: dict[str, str],
    tgt: dict[str, str],
    refusal: Refusal | None,
    subject: str,
) -> None:
    result = decide_resize(intent, *world(src=server("src", **src), tgt=server("tgt", **tgt)), CAT)
    assert result.refusal is refusal
    assert result.allowed is (refusal is None)
    assert result.subject == subject


def test_refusal_texts_name_the_server_and_what_to_do() -> None:
    from handlers.messages.preflight import refusal_text

    prepaid = decide_resize(PROD, *world(src=server("src", charging="1")), CAT)
    text = refusal_text(prepaid)
    assert "`ecs-src`" in text and "yearly/monthly" in text and "ECS console" in text
    same = decide_resize(ResizeIntent(instance_id=PI, flavor="s6.large.2"), *world(), CAT)
    text = refusal_text(same)
    assert "`erp-db`" in text and "`s6.large.2`" in text and "different flavor" in text


def test_host_name_alone_is_not_a_dedicated_host() -> None:
    """OS-EXT-SRV-ATTR:host (set on every server) does not put a server on a DeH."""
    result = decide_resize(PROD, *world(), CAT)
    assert result.allowed and not result.hosts and result.host_fields() == {}
    tenancy_only = Server.model_validate(
        {
            "id": "src",
            "status": "SHUTOFF",
            "flavor": CAT["s6.large.2"].model_dump(),
            "os:scheduler_hints": {"tenancy": ["dedicated"]},
        }
    )
    refused = decide_resize(PROD, *world(src=tenancy_only), CAT)  # on a DeH, id unknown
    assert refused.refusal is Refusal.DEDICATED_HOST and refused.host_problem is not None
    assert refused.host_problem.sdrs_code == "SDRS.1367"


@pytest.mark.parametrize(
    ("status", "refused"),
    [("ACTIVE", False), ("ERROR", True), ("REBOOT", True), ("SHUTOFF", False)],
)
def test_stop_start_lets_a_running_server_through_but_no_other_state(
    status: str, refused: bool
) -> None:
    """power=stop-start: the runbook stops ACTIVE servers first; a server in any other state
    than ACTIVE or SHUTOFF is still refused. Without it, ACTIVE is refused as before."""
    servers = {"src": server("src", status=status), "tgt": server("tgt")}
    parts = world("source", src=servers["src"], tgt=servers["tgt"])
    result = decide_resize(BOTH, *parts, CAT, will_stop=True)
    assert result.allowed is not refused, result
    if not refused:
        assert {c.site: c.status for c in result.changes}["production"] == status
    if status == "ACTIVE":
        assert decide_resize(BOTH, *parts, CAT).refusal is Refusal.SERVER_RUNNING


def _refused_kinds() -> list[Preflight]:
    inst, grp, servers = world()
    del servers["tgt"]
    listed = [CAT["s6.xlarge.2"], CAT["s6.medium.2"]]
    typo = ResizeIntent(instance_id=PI, production_flavor="s6.xlarg.2")
    return [
        decide_resize(BOTH, *world(group="failed-over"), CAT),
        decide_resize(BOTH, *world(instance="error"), CAT),
        decide_resize(BOTH, *world(src=server("src", status="ACTIVE")), CAT),
        decide_resize(BOTH, *world(tgt=server("tgt", status="ERROR")), CAT),
        decide_resize(BOTH, inst, grp, servers, CAT),
        decide_resize(PROD, *world(src=server("src", charging="1")), CAT),
        decide_resize(typo, *world(), CAT, allowed_flavors={"production": listed}),
        decide_resize(ResizeIntent(instance_id=PI, flavor="s6.large.2"), *world(), CAT),
    ]


def test_a_refusal_worded_for_people_is_in_english_exactly_the_stored_detail() -> None:
    """The not-started report's wording of a refusal (translated where shown) reads in English
    as ``refusal: detail`` did; a site is a word the catalog translates, not the verbatim
    detail (which would stay English in Chinese)."""
    kinds = _refused_kinds()
    assert {k.refusal for k in kinds} == {
        Refusal.GROUP_STATUS,
        Refusal.INSTANCE_STATUS,
        Refusal.SERVER_RUNNING,
        Refusal.SERVER_MISSING,
        Refusal.PREPAID,
        Refusal.FLAVOR_NOT_ALLOWED,
        Refusal.NO_CHANGE,
    }
    for check in kinds:
        assert check.refusal is not None
        said = refusal_wording(check)
        assert said.english() == f"{check.refusal}: {check.detail}"
        assert said.values["refusal"] == Wording(REFUSAL_LABEL[check.refusal])
        detail = said.values["detail"]
        assert isinstance(detail, Wording)
        if check.site:
            assert detail.msgid != "{text}" and isinstance(detail.values["site"], Wording)
