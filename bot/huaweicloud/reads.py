"""Reading what a resize preflight decides on (the I/O half of :mod:`bot.core.preflight`).

The protected instance first (it names the group and both servers), then in parallel: the
protection group, both sites' servers (both are needed to compare sizes), and for each resized
site the flavors ECS lets its server be resized to; then, knowing the servers' availability
zones, the capacity reads of :mod:`bot.huaweicloud.capacity` (one more round trip).
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.errors import CloudError, NotFoundError
from bot.core.intents import ResizeIntent
from bot.core.preflight import ResizeState
from bot.core.wire.ecs import Flavor, Server
from bot.core.wire.sdrs import ProtectionGroup
from bot.huaweicloud.capacity import read_capacity
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient

log = logging.getLogger(__name__)


async def read_resize_state(sdrs: SdrsClient, ecs: EcsClient, intent: ResizeIntent) -> ResizeState:
    """Raises :class:`CloudError` when the instance or its group cannot be read."""
    return await read_instance_state(sdrs, ecs, intent.instance_id, list(intent.site_flavors()))


async def read_instance_state(
    sdrs: SdrsClient, ecs: EcsClient, instance_id: str, sites: list[str]
) -> ResizeState:
    """The instance, its group, both servers, and the resize flavors of ``sites``' servers."""
    instance = await sdrs.get_protected_instance(instance_id)
    site_server = {"production": instance.production_server(), "dr": instance.dr_server()}
    server_ids = [s for s in site_server.values() if s]
    resized = {site: site_server[site] for site in sites if site_server.get(site)}

    group_read = _group(sdrs, instance.server_group_id)
    servers_read = asyncio.gather(*(_server(ecs, s) for s in server_ids))
    flavors_read = asyncio.gather(*(_flavors(ecs, s) for s in resized.values() if s))
    group, servers, flavors = await asyncio.gather(group_read, servers_read, flavors_read)
    allowed = {
        site: listed for site, listed in zip(resized, flavors, strict=True) if listed is not None
    }
    by_id = {s.id: s for s in servers if s is not None}
    zones = {
        site: by_id[s].availability_zone or ""
        for site, s in resized.items()
        if s and s in by_id and by_id[s].availability_zone
    }
    return ResizeState(
        instance=instance,
        group=group,
        servers=by_id,
        allowed_flavors=allowed,
        capacity=await read_capacity(ecs, zones),
    )


async def _group(sdrs: SdrsClient, group_id: str | None) -> ProtectionGroup:
    if not group_id:
        raise NotFoundError(
            "the protected instance names no protection group", status=404, code="SDRS.0207"
        )
    return await sdrs.get_protection_group(group_id)


async def _server(ecs: EcsClient, server_id: str) -> Server | None:
    try:
        return await ecs.get_server(server_id)
    except NotFoundError:
        return None  # the preflight refuses: "server missing"


async def _flavors(ecs: EcsClient, server_id: str) -> list[Flavor] | None:
    """The flavors ECS lists for the server, or None when it cannot list them (SDRS still
    checks the flavor when the resize is sent)."""
    try:
        return await ecs.list_resize_flavors(server_id)
    except CloudError as exc:
        log.warning("resize flavors of %s not listed: %s", server_id, exc)
        return None
