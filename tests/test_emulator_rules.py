"""Every documented SDRS error code, through the real client against the emulator: the exception
type, the code and the message, and that nothing was submitted."""

from __future__ import annotations

import pytest

from bot.core.errors import ApiError, ClientError, NotFoundError
from bot.core.wire.sdrs import ResizeParams
from bot.huaweicloud.sdrs import SdrsClient
from bot.sandbox.seed import sid
from bot.sandbox.world import World

CASES = [
    # (instance, params, power changes, exception, code, message fragment)
    ("pi-reports", {"flavorRef": "s6.xlarge.2"}, {}, ClientError, "SDRS.1024", "failing-over"),
    ("pi-erp-cache", {"flavorRef": "s6.xlarge.2"}, {}, ClientError, "SDRS.1328", "error"),
    (
        "pi-erp-app",
        {"production_flavorRef": "s6.xlarge.2"},
        {},
        ClientError,
        "SDRS.1316",
        "production-site",
    ),
    ("pi-web-1", {"dr_flavorRef": "s6.large.2"}, {}, ClientError, "SDRS.1319", "DR-site"),
    (
        "pi-erp-app",
        {"flavorRef": "s6.xlarge.2"},
        {"pi-erp-app-tgt": "ACTIVE"},
        ClientError,
        "SDRS.1342",
        "not stopped",
    ),
    ("pi-erp-db", {"flavorRef": "s6.large.2"}, {}, ClientError, "SDRS.1341", "same"),
    ("pi-erp-db", {"flavorRef": "s9.none.1"}, {}, ClientError, "SDRS.1378", "s9.none.1"),
    ("pi-erp-db", {"dr_flavorRef": "c7.large.2"}, {}, ClientError, "SDRS.1379", "cn-north-4b"),
    (
        "pi-prepaid",
        {"production_flavorRef": "s6.xlarge.2"},
        {},
        ClientError,
        "SDRS.1376",
        "yearly/monthly",
    ),
    (
        "pi-deh",
        {"production_flavorRef": "s6.xlarge.2"},
        {},
        ClientError,
        "SDRS.1367",
        "dedicated host",
    ),
    (
        "pi-deh",
        {"production_flavorRef": "s6.xlarge.2", "production_dedicated_host_id": "nope"},
        {},
        ClientError,
        "SDRS.1368",
        "nope",
    ),
    (
        "pi-deh",
        {"production_flavorRef": "s6.xlarge.2", "production_dedicated_host_id": sid("deh-dr")},
        {},
        ClientError,
        "SDRS.1369",
        "cn-north-4b",
    ),
    (
        "pi-erp-db",
        {"production_flavorRef": "s6.xlarge.2", "dr_dedicated_host_id": sid("deh-dr")},
        {},
        ClientError,
        "SDRS.1370",
        "not resized",
    ),
    ("pi-missing", {"flavorRef": "s6.xlarge.2"}, {}, NotFoundError, "SDRS.1320", "does not exist"),
]


@pytest.mark.parametrize(("instance", "params", "power", "cls", "code", "fragment"), CASES)
async def test_resize_refusals(
    sdrs: SdrsClient,
    world: World,
    instance: str,
    params: dict[str, str],
    power: dict[str, str],
    cls: type[ApiError],
    code: str,
    fragment: str,
) -> None:
    for server, state in power.items():
        world.set_power(sid(server), state)
    with pytest.raises(cls) as caught:
        await sdrs.resize_protected_instance(sid(instance), ResizeParams(**params))
    err = caught.value
    assert type(err) is cls
    assert err.code == code
    assert fragment in err.message
    assert err.status in (400, 404)
    assert err.request_id
    assert not world.jobs


async def test_rename_unknown_drill_is_not_found(sdrs: SdrsClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await sdrs.rename_drill(sid("drill-missing"), "ok-name")
    assert caught.value.code == "SDRS.1902"


@pytest.mark.parametrize("name", ["bad name", "x" * 65, "中" * 22, "emoji-🙂", ""])
async def test_rename_invalid_name_is_sdrs_0202(sdrs: SdrsClient, world: World, name: str) -> None:
    before = world.drills[sid("drill-web")].name
    with pytest.raises(ClientError) as caught:
        await sdrs.rename_drill(sid("drill-web"), name)
    assert caught.value.code == "SDRS.0202"
    assert world.drills[sid("drill-web")].name == before


async def test_rename_accepts_chinese_names_up_to_64_bytes(sdrs: SdrsClient) -> None:
    name = "演练" * 10 + "-2026.q1_a"  # 60 + 10 = 70 bytes: too long
    with pytest.raises(ClientError):
        await sdrs.rename_drill(sid("drill-web"), name)
    name = "演练" * 9 + "-2026.q1_a"  # 54 + 10 = 64 bytes: the limit
    drill = await sdrs.rename_drill(sid("drill-web"), name)
    assert drill.name == name
    assert (await sdrs.get_drill(sid("drill-web"))).name == name


async def test_accepted_resizes(sdrs: SdrsClient, world: World) -> None:
    # error-resizing is a state resize may be retried from
    assert await sdrs.resize_protected_instance(
        sid("pi-web-2"), ResizeParams(flavorRef="s6.large.2")
    )
    # the right dedicated host for the production site
    await sdrs.resize_protected_instance(
        sid("pi-deh"),
        ResizeParams(
            production_flavorRef="s6.xlarge.2", production_dedicated_host_id=sid("deh-prod")
        ),
    )
    assert len(world.jobs) == 2
    assert (await sdrs.get_protected_instance(sid("pi-web-2"))).status == "resizing"


async def test_failed_over_instance_resizes_the_target_server_as_production(
    sdrs: SdrsClient, world: World
) -> None:
    instance = await sdrs.get_protected_instance(sid("pi-billing"))
    assert instance.priority_station == "target"
    assert instance.production_server() == sid("pi-billing-tgt")
    # Production (the target server) is running after the failover: the refusal names it.
    world.set_power(sid("pi-billing-tgt"), "ACTIVE")
    with pytest.raises(ClientError) as caught:
        await sdrs.resize_protected_instance(
            sid("pi-billing"), ResizeParams(production_flavorRef="s6.2xlarge.2")
        )
    assert caught.value.code == "SDRS.1316"
    assert sid("pi-billing-tgt") in caught.value.message
    world.set_power(sid("pi-billing-tgt"), "SHUTOFF")
    job_id = await sdrs.resize_protected_instance(
        sid("pi-billing"), ResizeParams(production_flavorRef="s6.2xlarge.2")
    )
    assert set(world.jobs[job_id].changes) == {sid("pi-billing-tgt")}
