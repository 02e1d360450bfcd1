"""Dedicated hosts (DeH) in a resize: which host each resized site goes to, and whether it can.

A resized site whose server runs on a dedicated host must name a host in the resize body
(``production_dedicated_host_id`` / ``dr_dedicated_host_id``; SDRS.1367 without it). The bot keeps
the server's current host (ECS ``os:scheduler_hints.dedicated_host_id``) unless the command or
the form names another. The host it goes to, read from the DeH API
(:mod:`bot.core.wire.deh`), is checked before anything is sent:

* unknown host: SDRS.1368;
* a host in another availability zone than the server: SDRS.1369;
* a host type that does not take the new flavor (the host's ``available_instance_capacities``
  does not list it): no SDRS code is documented for it;
* not enough free vCPUs or memory (``available_vcpus``/``available_memory``) for the new flavor
  (on the server's own host only the growth counts: the server's current flavor is already
  placed there): no SDRS code is documented for it either.

A server on a dedicated host whose host id ECS does not give (``tenancy`` dedicated without a
``dedicated_host_id``), with no host named, is refused too (it would be SDRS.1367).
Pure: the caller reads the servers and hosts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from bot.core.wire.deh import DedicatedHost
from bot.core.wire.ecs import Flavor, Server


class HostRefusal(StrEnum):
    HOST_NOT_KNOWN = "dedicated-host-id-unknown"  # on a DeH, ECS gives no id, none named
    UNKNOWN = "dedicated-host-unknown"  # SDRS.1368
    OTHER_AZ = "dedicated-host-other-az"  # SDRS.1369
    FLAVOR_TYPE = "dedicated-host-type"  # no documented code
    NO_ROOM = "dedicated-host-no-room"  # no documented code


# the SDRS code each refusal spares (None: none documented)
SDRS_CODES: dict[HostRefusal, str | None] = {
    HostRefusal.HOST_NOT_KNOWN: "SDRS.1367",
    HostRefusal.UNKNOWN: "SDRS.1368",
    HostRefusal.OTHER_AZ: "SDRS.1369",
    HostRefusal.FLAVOR_TYPE: None,
    HostRefusal.NO_ROOM: None,
}


@dataclass(frozen=True)
class HostChoice:
    """Where a resized site's server goes: ``host_id`` (sent in the body), whether that is
    the host it is on now, and whether the host could be read and checked."""

    site: str
    host_id: str
    host_name: str = ""
    current_host_id: str = ""
    checked: bool = False  # read from the DeH API and found fit

    @property
    def stays(self) -> bool:
        return self.host_id == self.current_host_id


@dataclass(frozen=True)
class HostProblem:
    """Why a site cannot go to a host, with what the message needs."""

    refusal: HostRefusal
    site: str
    server: str  # the server's name (or id)
    host_id: str = ""
    host_name: str = ""
    flavor: str = ""  # the new flavor
    host_az: str = ""
    server_az: str = ""
    host_type: str = ""
    free_vcpus: int = 0
    needed_vcpus: int = 0
    free_mib: int = 0
    needed_mib: int = 0

    @property
    def sdrs_code(self) -> str | None:
        return SDRS_CODES[self.refusal]


@dataclass(frozen=True)
class SiteResize:
    """One resized site as :func:`choose_hosts` needs it."""

    site: str
    server: Server
    new_flavor: str
    named_host: str | None = None  # the host the command or the form names


def hosts_to_read(sites: list[SiteResize]) -> list[str]:
    """The host ids whose details the preflight reads (each once)."""
    wanted = [_wanted(s) for s in sites]
    return list(dict.fromkeys(h for h in wanted if h))


def _wanted(s: SiteResize) -> str:
    return s.named_host or s.server.dedicated_host_id or ""


def choose_hosts(
    sites: list[SiteResize],
    hosts: Mapping[str, DedicatedHost | None],
    catalogue: Mapping[str, Flavor],
) -> list[HostChoice] | HostProblem:
    """The host of each resized site on (or named to go to) a dedicated host, or the first
    problem. ``hosts``: what the DeH API answered, by id (None: it does not exist); an id not
    in it was not read (the host is then sent unchecked). ``catalogue``: flavor sizes by id."""
    choices: list[HostChoice] = []
    for s in sites:
        server = s.server
        current = server.dedicated_host_id  # None: not on a DeH; "": on one, id not given
        label = server.name or server.id
        if current is None and not s.named_host:
            continue
        wanted = _wanted(s)
        if not wanted:
            return HostProblem(HostRefusal.HOST_NOT_KNOWN, s.site, label, flavor=s.new_flavor)
        current = current or ""
        if wanted not in hosts:
            choices.append(HostChoice(s.site, wanted, "", current, checked=False))
            continue
        host = hosts[wanted]
        if host is None:
            return HostProblem(
                HostRefusal.UNKNOWN, s.site, label, host_id=wanted, flavor=s.new_flavor
            )
        problem = _fit(s, host, current == wanted, catalogue)
        if problem is not None:
            return problem
        choices.append(HostChoice(s.site, wanted, host.name, current, checked=True))
    return choices


def _fit(
    s: SiteResize, host: DedicatedHost, stays: bool, catalogue: Mapping[str, Flavor]
) -> HostProblem | None:
    server = s.server

    def problem(refusal: HostRefusal, **extra: Any) -> HostProblem:
        base = HostProblem(
            refusal,
            s.site,
            server.name or server.id,
            host_id=host.dedicated_host_id,
            host_name=host.name,
            flavor=s.new_flavor,
        )
        return replace(base, **extra)

    zone = server.availability_zone or ""
    if host.availability_zone and zone and host.availability_zone != zone:
        return problem(HostRefusal.OTHER_AZ, host_az=host.availability_zone, server_az=zone)
    takes = host.takes()
    if takes and s.new_flavor not in takes:
        return problem(HostRefusal.FLAVOR_TYPE, host_type=host.host_type)
    new = catalogue.get(s.new_flavor)
    if new is None or not new.vcpus:
        return None  # sizes unknown: SDRS and ECS judge the room
    placed = server.flavor if stays else None
    vcpus = new.vcpus - (placed.vcpus if placed else 0)
    mib = new.ram - (placed.ram if placed else 0)
    if vcpus > host.available_vcpus or mib > host.available_memory:
        return problem(
            HostRefusal.NO_ROOM,
            free_vcpus=host.available_vcpus,
            needed_vcpus=max(vcpus, 0),
            free_mib=host.available_memory,
            needed_mib=max(mib, 0),
        )
    return None
