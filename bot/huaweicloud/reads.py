"""Reading what a resize preflight decides on (the I/O half of :mod:`bot.core.preflight`).

The protected instance first (it names the group and both servers), then in parallel: the
protection group, both sites' servers (both are needed to compare sizes), and for each resized
site the flavors ECS lets its server be resized to; then, knowing the servers, in parallel (one
more round trip): the capacity reads of :mod:`bot.huaweicloud.capacity` (by the servers'
availability zones), and for each resized site on a dedicated host (or naming one) the host it
goes to, from the DeH API: a host that does not exist is recorded as such (the preflight refuses
it); one that cannot be read (no DeH endpoint, an error) is left out, and the preflight sends it
unchecked with a warning.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.dedicated_hosts import SiteResize, hosts_to_read
from bot.core.errors import CloudError, NotFoundError
from bot.core.intents import ResizeIntent
from bot.core.preflight import ResizeState
from bot.core.wire.deh import DedicatedHost
from bot.core.wire.ecs import Flavor, Server
from bot.core.wire.sdrs import ProtectionGroup
from bot.huaweicloud.capacity import read_capacity
from bot.huaweicloud.deh import DehClient
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient

log = logging.getLogger(__name__)


async def read_resize_state(
    sdrs: SdrsClient, ecs: EcsClient, intent: ResizeIntent, *, deh: DehClient | None = None
) -> ResizeState:
    """Raises :class:`CloudError` when the instance or its group cannot be read. ``deh``:
    None when the account has no DeH endpoint (dedicated hosts are not read)."""
    named = {"production": intent.production_host, "dr": intent.dr_host}
    return await read_instance_state(
        sdrs, ecs, intent.instance_id, intent.site_flavors(), deh=deh, named=named
    )


async def read_instance_state(
    sdrs: SdrsClient,
    ecs: EcsClient,
    instance_id: str,
    sites: list[str] | dict[str, str],
    *,
    deh: DehClient | None = None,
    named: dict[str, str | None] | None = None,
) -> ResizeState:
    """The instance, its group, both servers, the resize flavors of ``sites``' servers, and
    (with ``deh``) the dedicated host each of them goes to (``named`` by the command, else
    its current one). ``sites``: the resized sites, with their new flavors when known."""
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
    new_flavors = sites if isinstance(sites, dict) else dict.fromkeys(sites, "")
    placed = [
        SiteResize(site, by_id[server_id], new_flavors.get(site, ""), (named or {}).get(site))
        for site, server_id in resized.items()
        if server_id in by_id
    ]
    host_ids = hosts_to_read(placed) if deh is not None else []
    zones = {
        site: by_id[s].availability_zone or ""
        for site, s in resized.items()
        if s and s in by_id and by_id[s].availability_zone
    }
    hosts_read = asyncio.gather(*(_host(deh, h) for h in host_ids if deh is not None))
    read, capacity = await asyncio.gather(hosts_read, read_capacity(ecs, zones))
    hosts = {h: found for h, (ok, found) in zip(host_ids, read, strict=True) if ok}
    return ResizeState(
        instance=instance,
        group=group,
        servers=by_id,
        allowed_flavors=allowed,
        hosts=hosts,
        capacity=capacity,
    )


async def _host(deh: DehClient, host_id: str) -> tuple[bool, DedicatedHost | None]:
    """(read, the host): (True, None) when it does not exist; (False, None) when it could not
    be read (the preflight then sends it unchecked, with a warning)."""
    try:
        return True, await deh.get_dedicated_host(host_id)
    except NotFoundError:
        return True, None
    except CloudError as exc:
        log.warning("dedicated host %s not read: %s", host_id, exc)
        return False, None


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
