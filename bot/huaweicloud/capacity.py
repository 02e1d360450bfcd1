"""Reading capacity for a resize preflight (the I/O half of :mod:`bot.core.capacity`): the
flavors of each resized server's availability zone and the project's ECS limits, in parallel.

A read that fails (a permission not granted, an ECS error) is logged and left out: the preflight
then decides without it, and SDRS/ECS still check when the resize is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.core.capacity import Capacity, ZoneListing
from bot.core.errors import CloudError
from bot.core.wire.capacity import ServerLimits
from bot.huaweicloud.ecs import EcsClient

log = logging.getLogger(__name__)


async def read_capacity(ecs: EcsClient, site_zones: Mapping[str, str]) -> Capacity:
    """``site_zones``: each resized site's server's availability zone (a zone read once)."""
    zones = sorted({z for z in site_zones.values() if z})
    listings, limits = await asyncio.gather(
        asyncio.gather(*(_zone(ecs, z) for z in zones)), _limits(ecs)
    )
    by_zone = {z: listing for z, listing in zip(zones, listings, strict=True) if listing}
    return Capacity(
        zones={site: by_zone[z] for site, z in site_zones.items() if z in by_zone},
        limits=limits,
    )


async def _zone(ecs: EcsClient, zone: str) -> ZoneListing | None:
    try:
        return ZoneListing.of(zone, await ecs.list_zone_flavors(zone))
    except CloudError as exc:
        log.warning("flavors of zone %s not listed: %s", zone, exc)
        return None


async def _limits(ecs: EcsClient) -> ServerLimits | None:
    try:
        return await ecs.get_limits()
    except CloudError as exc:
        log.warning("ECS limits not read: %s", exc)
        return None
