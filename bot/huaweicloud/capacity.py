"""Reading capacity for a resize preflight (the I/O half of :mod:`bot.core.capacity`): the
flavors of each resized server's availability zone and the project's ECS limits, in parallel.

A read that fails (a permission not granted, an ECS error) is logged and left out: the preflight
then decides without it, and SDRS/ECS still check when the resize is sent.

A zone's flavor listing is the same for every server in the zone and changes rarely (ECS
publishes each flavor's sale status per zone), yet it is the largest answer a preflight reads
(every flavor of the region, hundreds in a real one: a page of up to 1,000). So it is read once
per :data:`ZONE_LISTING_SECONDS` per ECS client (one account, one project) and zone, and shared:
a burst of commands in one zone makes one ECS call and one parse, not one each (each parse made
thousands of objects whose garbage collection paused the event loop - and the acks - for tens
of milliseconds in a burst). A listing that could not be read is not kept. The limits (the
quota in use) are read each time: they change with every resize.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from bot.core.capacity import Capacity, ZoneListing
from bot.core.errors import CloudError
from bot.core.wire.capacity import ServerLimits
from bot.huaweicloud.ecs import EcsClient

log = logging.getLogger(__name__)
ZONE_LISTING_SECONDS = 60.0  # how long a zone's flavor listing is used before it is read again


async def read_capacity(ecs: EcsClient, site_zones: Mapping[str, str]) -> Capacity:
    """``site_zones``: each resized site's server's availability zone (a zone read once)."""
    zones = sorted({z for z in site_zones.values() if z})
    listings = zone_listings(ecs)
    found, limits = await asyncio.gather(
        asyncio.gather(*(listings.get(z) for z in zones)), _limits(ecs)
    )
    by_zone = {z: listing for z, listing in zip(zones, found, strict=True) if listing}
    return Capacity(
        zones={site: by_zone[z] for site, z in site_zones.items() if z in by_zone},
        limits=limits,
    )


@dataclass
class _Kept:
    until: float  # monotonic: read again from here on
    reading: asyncio.Future[ZoneListing | None]  # done once read


class ZoneListings:
    """One ECS client's zone listings: each read at most once per ``seconds``, and a read in
    flight is shared by every preflight that asks meanwhile."""

    def __init__(
        self,
        ecs: EcsClient,
        seconds: float = ZONE_LISTING_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ecs, self.seconds, self.clock = ecs, seconds, clock
        self._kept: dict[str, _Kept] = {}

    async def get(self, zone: str) -> ZoneListing | None:
        """The zone's listing; None when it could not be read (not kept: the next asks again)."""
        kept = self._kept.get(zone)
        if kept is None or kept.until <= self.clock() or _other_loop(kept.reading):
            task = asyncio.get_running_loop().create_task(self._read(zone))
            kept = self._kept[zone] = _Kept(self.clock() + self.seconds, task)
        # shielded: a preflight given up (its command cancelled) does not cancel the others'
        return await asyncio.shield(kept.reading)

    async def _read(self, zone: str) -> ZoneListing | None:
        try:
            return ZoneListing.of(zone, await self.ecs.list_zone_flavors(zone))
        except CloudError as exc:
            log.warning("flavors of zone %s not listed: %s", zone, exc)
            self._forget(zone)
            return None
        except BaseException:
            self._forget(zone)
            raise

    def _forget(self, zone: str) -> None:
        kept = self._kept.get(zone)
        if kept is not None and kept.reading is asyncio.current_task():
            del self._kept[zone]


def _other_loop(future: asyncio.Future[ZoneListing | None]) -> bool:
    return future.get_loop() is not asyncio.get_running_loop()


_listings: WeakKeyDictionary[EcsClient, ZoneListings] = WeakKeyDictionary()


def zone_listings(ecs: EcsClient) -> ZoneListings:
    """The zone listings kept for this ECS client (made on first use; gone with the client)."""
    listings = _listings.get(ecs)
    if listings is None:
        listings = _listings[ecs] = ZoneListings(ecs)
    return listings


async def _limits(ecs: EcsClient) -> ServerLimits | None:
    try:
        return await ecs.get_limits()
    except CloudError as exc:
        log.warning("ECS limits not read: %s", exc)
        return None
