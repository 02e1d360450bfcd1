"""Capacity and quota decisions for a resize (pure; the reading is
:mod:`bot.huaweicloud.capacity`'s).

**Flavors by availability zone.** ECS lists flavors for a zone (``GET
/v1/{project_id}/cloudservers/flavors?availability_zone=``) with two sale-status keys in
``os_extra_specs`` (huaweicloudsdkecs ``FlavorExtraSpec``):

* ``cond:operation:status``: the flavor's status in every zone of the region that the next key
  does not name; absent means ``normal``. Values: ``normal`` (sold), ``abandon`` (withdrawn,
  not shown), ``sellout`` (sold out), ``obt`` (open beta test), ``promotion`` (recommended,
  sold like normal).
* ``cond:operation:az``: per-zone overrides, ``"az0(normal), az1(sellout)"``; an entry without
  a status in its brackets is an invalid configuration (the SDK's words) and is ignored.

A flavor's status in zone X is X's entry when there is one, else the global status. The bot
refuses a new flavor whose status there is ``sellout`` or ``abandon``, or that the zone's list
does not contain at all (:data:`NOT_LISTED`): SDRS would refuse it (SDRS.1379, "flavor not
available in the AZ"). ``obt`` is not refused (a project enrolled in the beta may use it) but,
like every status other than normal/promotion, not offered by the form. An unknown status is
neither refused nor offered.

**Quota.** ``GET /v1/{project_id}/cloudservers/limits`` gives the project's cores and RAM (MiB)
quota in the region and what is used. A resize needs, per resource, the sum over the resized
servers of how much bigger the new flavor is (a smaller flavor frees nothing before the resize
is done, so it counts zero). Both sites of a protected instance are read through the account's
one project, so both increases count against one quota, together. A maximum below zero is no
limit. A new flavor of unknown size counts zero (nothing is invented).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.core.wire.capacity import ServerLimits, ZoneFlavor
from bot.core.wire.ecs import Flavor

NORMAL = "normal"
PROMOTION = "promotion"
OPEN_BETA = "obt"
SOLD_OUT = "sellout"
WITHDRAWN = "abandon"
NOT_LISTED = "not-listed"  # the zone's list has no such flavor
SOLD = frozenset({NORMAL, PROMOTION})
REFUSED = frozenset({SOLD_OUT, WITHDRAWN, NOT_LISTED})

_ENTRY = re.compile(r"\s*([^,()\s][^,()]*?)\s*\(\s*([^()\s]*)\s*\)\s*")


def az_statuses(spec: str | None) -> dict[str, str]:
    """``"az1(sellout), az2(normal)"`` -> ``{"az1": "sellout", "az2": "normal"}``; entries
    without a status, or that are not ``name(status)``, are left out (the SDK calls them
    invalid)."""
    found: dict[str, str] = {}
    for part in (spec or "").split(","):
        match = _ENTRY.fullmatch(part)
        if match and match.group(2):
            found[match.group(1)] = match.group(2).lower()
    return found


def status_in_zone(flavor: ZoneFlavor, zone: str) -> str:
    """The flavor's sale status in ``zone``: its entry in ``cond:operation:az``, else
    ``cond:operation:status``, else ``normal``."""
    specs = flavor.extra_specs
    if specs is None:
        return NORMAL
    override = az_statuses(specs.operation_az).get(zone)
    if override:
        return override
    return (specs.operation_status or "").strip().lower() or NORMAL


@dataclass(frozen=True)
class ZoneListing:
    """The flavors ECS lists for one zone, each with its sale status there."""

    zone: str
    statuses: dict[str, str] = field(default_factory=dict)  # flavor id -> status in the zone
    flavors: dict[str, Flavor] = field(default_factory=dict)  # flavor id -> its size

    @classmethod
    def of(cls, zone: str, listed: Iterable[ZoneFlavor]) -> ZoneListing:
        flavors = list(listed)
        return cls(
            zone,
            {f.id: status_in_zone(f, zone) for f in flavors},
            {f.id: Flavor(id=f.id, name=f.name, vcpus=f.vcpus, ram=f.ram) for f in flavors},
        )

    def status(self, flavor_id: str) -> str:
        return self.statuses.get(flavor_id, NOT_LISTED)

    def refuses(self, flavor_id: str) -> bool:
        return self.status(flavor_id) in REFUSED

    def sells(self, flavor_id: str) -> bool:
        return self.status(flavor_id) in SOLD


def family(flavor_id: str) -> str:
    """``s6.xlarge.2`` -> ``s6`` (the series before the first dot)."""
    return flavor_id.split(".", 1)[0].lower()


def closest_available(
    wanted: Flavor, choices: Iterable[Flavor], listing: ZoneListing, n: int = 3
) -> list[str]:
    """Up to ``n`` of ``choices`` sold in ``listing``'s zone, closest to ``wanted``: the same
    family first, then the nearest vCPU count, then the nearest RAM, then by name."""
    sold = {f.id: f for f in choices if listing.sells(f.id) and f.id != wanted.id}

    def distance(f: Flavor) -> tuple[bool, int, int, str]:
        return (
            family(f.id) != family(wanted.id),
            abs(f.vcpus - wanted.vcpus),
            abs(f.ram - wanted.ram),
            f.id,
        )

    return [f.id for f in sorted(sold.values(), key=distance)[:n]]


@dataclass(frozen=True)
class Shortfall:
    """One resource a resize would take past the quota: ``needed`` more than now, with
    ``used`` of ``limit`` in use (cores, or RAM in MiB)."""

    resource: str  # "cores" | "ram"
    needed: int
    used: int
    limit: int

    @property
    def free(self) -> int:
        return max(0, self.limit - self.used)


def increase(resizes: Iterable[tuple[Flavor, Flavor | None]]) -> tuple[int, int]:
    """(cores, RAM MiB) the resizes add: per server, only where the new flavor is bigger."""
    cores = ram = 0
    for current, new in resizes:
        if new is None:
            continue
        cores += max(0, new.vcpus - current.vcpus)
        ram += max(0, new.ram - current.ram)
    return cores, ram


def quota_shortfalls(
    resizes: Iterable[tuple[Flavor, Flavor | None]], limits: ServerLimits
) -> list[Shortfall]:
    """What the resizes (current flavor, new flavor or None when its size is unknown) would
    take past the project's quota; empty when they fit."""
    cores, ram = increase(resizes)
    short: list[Shortfall] = []
    for resource, needed, used, limit in (
        ("cores", cores, limits.total_cores_used, limits.max_total_cores),
        ("ram", ram, limits.total_ram_used, limits.max_total_ram_size),
    ):
        if needed > 0 and limit >= 0 and used + needed > limit:
            short.append(Shortfall(resource, needed, used, limit))
    return short


@dataclass(frozen=True)
class Capacity:
    """What was read about capacity for one preflight: per site, the flavors of its server's
    zone (a site missing: not read); the project's limits (None: not read)."""

    zones: Mapping[str, ZoneListing] = field(default_factory=dict)
    limits: ServerLimits | None = None

    def offered(self, site: str, allowed: list[Flavor] | None) -> list[Flavor] | None:
        """``allowed`` (the server's resize list) without the flavors its zone does not sell;
        unchanged when the zone was not read."""
        listing = self.zones.get(site)
        if allowed is None or listing is None:
            return allowed
        return [f for f in allowed if listing.sells(f.id)]
