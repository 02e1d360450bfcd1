"""Preflight for a resize: decide from what was read (pure; the reading is the caller's).

Given the protected instance, its protection group, and each affected server's power state and
flavor, :func:`decide_resize` refuses with the precise rule that fails, or allows with the
current -> new flavor of each resized site and the warnings an operator should see before
confirming. "Production" is the current production site: after a failover
(``priority_station == "target"``) that is the target server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.ecs import Flavor, Server
from bot.intents import ResizeIntent
from bot.sdrs.models import ProtectedInstance, ProtectionGroup
from bot.sdrs.rules import RESIZABLE_GROUP_STATUSES, RESIZABLE_INSTANCE_STATUSES


class Refusal(StrEnum):
    GROUP_STATUS = "group-status"
    INSTANCE_STATUS = "instance-status"
    SERVER_RUNNING = "server-running"
    SERVER_MISSING = "server-missing"


class Warning(StrEnum):  # noqa: A001 - the domain's word; not the builtin exception
    DR_SMALLER = "dr-smaller-than-production"
    SAME_FLAVOR = "same-flavor"
    DEDICATED_HOST_MISSING = "dedicated-host-not-given"


@dataclass(frozen=True)
class SiteChange:
    site: str  # "production" | "dr"
    server_id: str
    server_name: str
    current: Flavor
    new_flavor: str


@dataclass(frozen=True)
class Preflight:
    allowed: bool
    refusal: Refusal | None = None
    detail: str = ""  # what exactly failed (status, server), for the message
    changes: list[SiteChange] = field(default_factory=list)
    warnings: list[tuple[Warning, str]] = field(default_factory=list)


def decide_resize(
    intent: ResizeIntent,
    instance: ProtectedInstance,
    group: ProtectionGroup,
    servers: dict[str, Server],
    catalogue: dict[str, Flavor],
) -> Preflight:
    """``servers`` by id (both sites when known); ``catalogue`` the flavors known by id, for
    comparing sizes (a flavor missing from it is compared as unknown)."""
    if group.status not in RESIZABLE_GROUP_STATUSES:
        return Preflight(False, Refusal.GROUP_STATUS, f"{group.name or group.id}: {group.status}")
    if instance.status not in RESIZABLE_INSTANCE_STATUSES:
        return Preflight(
            False, Refusal.INSTANCE_STATUS, f"{instance.name or instance.id}: {instance.status}"
        )
    site_server = {"production": instance.production_server(), "dr": instance.dr_server()}
    changes: list[SiteChange] = []
    for site, new_flavor in intent.site_flavors().items():
        server_id = site_server[site] or ""
        server = servers.get(server_id)
        if server is None:
            return Preflight(False, Refusal.SERVER_MISSING, f"{site}: {server_id or 'none'}")
        if not server.powered_off:
            return Preflight(
                False, Refusal.SERVER_RUNNING, f"{site}: {server.name or server.id} {server.status}"
            )
        changes.append(SiteChange(site, server.id, server.name, server.flavor, new_flavor))
    warnings: list[tuple[Warning, str]] = []
    for change in changes:
        if change.current.id == change.new_flavor:
            warnings.append((Warning.SAME_FLAVOR, change.site))
        host = intent.production_host if change.site == "production" else intent.dr_host
        server = servers[change.server_id]
        if server.dedicated_host_id and not host:
            warnings.append((Warning.DEDICATED_HOST_MISSING, change.site))
    after = {
        "production": _flavor_after("production", changes, servers, site_server, catalogue),
        "dr": _flavor_after("dr", changes, servers, site_server, catalogue),
    }
    prod, dr = after["production"], after["dr"]
    if prod and dr and (dr.vcpus < prod.vcpus or dr.ram < prod.ram):
        warnings.append((Warning.DR_SMALLER, f"{dr.id} < {prod.id}"))
    return Preflight(True, changes=changes, warnings=warnings)


def _flavor_after(
    site: str,
    changes: list[SiteChange],
    servers: dict[str, Server],
    site_server: dict[str, str | None],
    catalogue: dict[str, Flavor],
) -> Flavor | None:
    for change in changes:
        if change.site == site:
            return catalogue.get(change.new_flavor)
    server = servers.get(site_server[site] or "")
    return server.flavor if server else None
