"""A realistic emulated world: groups and instances in several states, running and stopped
servers, a failed-over instance, a dedicated host, a yearly/monthly server, drills with Chinese
and ASCII names, and a flavor catalogue (one instance, ``hpc-render``, may be resized to more
than 100 flavors; ``c7.large.2`` is offered only in the production AZ, ``c7.xlarge.2`` is sold
out in the DR AZ). :func:`near_core_quota` brings a project near its ECS cores quota. Ids are stable UUIDs derived from readable names, so
tests and the playground can refer to them as ``ids["pi-erp-db"]``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from bot.sandbox.deh import DedicatedHost
from bot.sandbox.world import Drill, Group, Instance, Server, World

SANDBOX_PROJECT_ID = "5a4db1a5e0e64c3a9a1f5d0c2b7e9f10"
SANDBOX_AK = "SANDBOXAKEXAMPLE0001"
SANDBOX_SK = "sandbox-secret-key-not-a-real-one"
SANDBOX_TOKEN = "sandbox-iam-token"
AZ_PROD = "cn-north-4a"
AZ_DR = "cn-north-4b"
_NS = uuid.UUID("3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162")


def sid(name: str) -> str:
    """The stable UUID the seeded world uses for a readable name."""
    return str(uuid.uuid5(_NS, name))


_sid = sid


def seeded_world(
    *,
    now: Callable[[], datetime] | None = None,
    job_init_seconds: float = 0.2,
    job_seconds: float = 1.0,
    prefix: str = "",
    azs: tuple[str, str] = (AZ_PROD, AZ_DR),
) -> World:
    """``prefix`` makes another account's world: every id is ``sid(prefix + key)`` and every
    name starts with it; ``azs``: its production and DR availability zones."""
    az_prod, az_dr = azs

    def sid(key: str) -> str:
        return _sid(prefix + key)

    w = World(now=now, job_init_seconds=job_init_seconds, job_seconds=job_seconds)
    w.credentials[SANDBOX_AK] = SANDBOX_SK
    w.tokens.add(SANDBOX_TOKEN)
    for fid, vcpus, ram in (
        ("s6.small.1", 1, 1024),
        ("s6.medium.2", 1, 2048),
        ("s6.large.2", 2, 4096),
        ("s6.xlarge.2", 4, 8192),
        ("s6.2xlarge.2", 8, 16384),
        ("m6.large.8", 2, 16384),
        ("c7.xlarge.2", 4, 8192),
    ):
        w.add_flavor(fid, vcpus, ram)
    w.add_flavor("c7.large.2", 2, 4096, azs={az_prod})  # not sold in the DR AZ
    w.set_flavor_status("c7.xlarge.2", "sellout", az_dr)  # sold out in the DR AZ
    # a compute family sold only in a third pair of zones: its servers may be resized to more
    # flavors than a select holds (100), so the form's flavor field types ahead
    az_hpc = (az_prod[:-1] + "c", az_dr[:-1] + "d")
    for family, vcpu_ram in (("c6", 2), ("c6s", 2), ("c7n", 2), ("m7", 8), ("hc2", 4), ("ir3", 2)):
        for n in (1, 2, 4, 6, 8, 12, 16, 22, 32, 44, 48, 64, 96):
            size = "large" if n == 1 else "xlarge" if n == 2 else f"{n // 2}xlarge"
            for ratio in (vcpu_ram, vcpu_ram * 2):
                w.add_flavor(f"{family}.{size}.{ratio}", 2 * n, 2 * n * ratio * 1024, set(az_hpc))
    # dedicated hosts: erp-deh's production server runs on deh-prod; the others are where a
    # resize may name (another host with room, a full one, one of another type, another AZ)
    w.add_host(DedicatedHost(sid("deh-prod"), az_prod, f"{prefix}deh-erp-prod", vcpus=16))
    w.add_host(DedicatedHost(sid("deh-prod-2"), az_prod, f"{prefix}deh-erp-prod-2", vcpus=16))
    w.add_host(
        DedicatedHost(sid("deh-full"), az_prod, f"{prefix}deh-nearly-full", vcpus=2, memory=4096)
    )
    w.add_host(DedicatedHost(sid("deh-c7"), az_prod, f"{prefix}deh-compute", host_type="c7"))
    w.add_host(DedicatedHost(sid("deh-dr"), az_dr, f"{prefix}deh-erp-dr", vcpus=16))

    groups = (
        ("pg-erp", "erp-protection", "protected", "source"),
        ("pg-web", "web-protection", "available", "source"),
        ("pg-failover", "billing-after-failover", "protected", "target"),
        ("pg-busy", "reports-failing-over", "failing-over", "source"),
    )
    for key, name, status, station in groups:
        w.add_group(Group(sid(key), prefix + name, status, az_prod, az_dr, station))
    w.add_group(Group(sid("pg-hpc"), prefix + "hpc-protection", "protected", *az_hpc, "source"))

    # (instance key, name, status, group, prod server state, dr server state, flavor, extras)
    instances: tuple[tuple[str, str, str, str, str, str, str, dict[str, str]], ...] = (
        ("pi-erp-db", "erp-db", "protected", "pg-erp", "SHUTOFF", "SHUTOFF", "s6.large.2", {}),
        ("pi-erp-app", "erp-app", "protected", "pg-erp", "ACTIVE", "SHUTOFF", "s6.large.2", {}),
        ("pi-web-1", "web-1", "available", "pg-web", "SHUTOFF", "ACTIVE", "s6.medium.2", {}),
        ("pi-web-2", "web-2", "error-resizing", "pg-web", "SHUTOFF", "SHUTOFF", "s6.medium.2", {}),
        (
            "pi-billing",
            "billing",
            "protected",
            "pg-failover",
            "SHUTOFF",
            "SHUTOFF",
            "s6.xlarge.2",
            {},
        ),
        ("pi-reports", "reports", "protected", "pg-busy", "SHUTOFF", "SHUTOFF", "s6.large.2", {}),
        ("pi-erp-cache", "erp-cache", "error", "pg-erp", "SHUTOFF", "SHUTOFF", "s6.medium.2", {}),
        (
            "pi-deh",
            "erp-deh",
            "protected",
            "pg-erp",
            "SHUTOFF",
            "SHUTOFF",
            "s6.large.2",
            {"deh": "1"},
        ),
        (
            "pi-prepaid",
            "erp-prepaid",
            "protected",
            "pg-erp",
            "SHUTOFF",
            "SHUTOFF",
            "s6.large.2",
            {"prepaid": "1"},
        ),
        ("pi-hpc", "hpc-render", "protected", "pg-hpc", "SHUTOFF", "SHUTOFF", "c6.large.2", {}),
    )
    for key, name, status, group, prod_state, dr_state, flavor, extra in instances:
        station = "target" if group == "pg-failover" else "source"
        zones = az_hpc if group == "pg-hpc" else (az_prod, az_dr)
        src = Server(sid(f"{key}-src"), f"ecs-{prefix}{name}-src", zones[0], flavor)
        tgt = Server(sid(f"{key}-tgt"), f"ecs-{prefix}{name}-tgt", zones[1], flavor)
        # After a failover (priority_station=target) production runs on the target server.
        prod, dr = (tgt, src) if station == "target" else (src, tgt)
        prod.status, dr.status = prod_state, dr_state
        if extra.get("deh"):
            src.dedicated_host_id = sid("deh-prod")
        if extra.get("prepaid"):
            src.charging_mode = "prePaid"
        w.add_server(src)
        w.add_server(tgt)
        w.add_instance(
            Instance(sid(key), prefix + name, status, sid(group), src.id, tgt.id, station)
        )

    for key, name, group in (
        ("drill-erp", "erp-季度演练", "pg-erp"),
        ("drill-web", "web_drill-2026.q1", "pg-web"),
        ("drill-billing", "账单容灾演练", "pg-failover"),
    ):
        drill = Drill(sid(key), prefix + name, sid(group))
        drill.drill_servers = [
            {"protected_instance": i.id, "drill_server_id": sid(f"{key}-{i.id}")}
            for i in w.instances.values()
            if i.group_id == sid(group)
        ]
        w.add_drill(drill)
    return w


def near_core_quota(world: World, headroom: int = 8) -> None:
    """The project's ECS cores quota ``headroom`` vCPUs above what its servers use now: a
    resize of erp-db to ``s6.xlarge.2`` on both sites (+4) fits, to ``s6.2xlarge.2`` (+12)
    does not."""
    cores, _ram = world.used()
    world.max_total_cores = cores + headroom


LONG_NAME = "ledger-archive-总账归档数据库灾备保护实例一号主1"  # 64 bytes in UTF-8: SDRS's longest


def add_long_named_instance(world: World, key: str = "pi-ledger") -> str:
    """A protected instance named at SDRS's limit (64 bytes, mostly Chinese), its production
    server running and its DR server stopped, in the erp group: what the playground shows at
    Slack's limits (the form, the confirm dialog). Returns its id (``sid(key)``)."""
    src = Server(sid(f"{key}-src"), "ecs-ledger-archive-src", AZ_PROD, "s6.large.2")
    tgt = Server(sid(f"{key}-tgt"), "ecs-ledger-archive-tgt", AZ_DR, "s6.large.2")
    src.status, tgt.status = "ACTIVE", "SHUTOFF"
    world.add_server(src)
    world.add_server(tgt)
    world.add_instance(Instance(sid(key), LONG_NAME, "protected", sid("pg-erp"), src.id, tgt.id))
    return sid(key)
