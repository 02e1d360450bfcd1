"""What the Slack forms read from the cloud to fill their pickers and fields. Reads only: a form
changes nothing; what it submits goes through :func:`bot.operations.request.request_confirmation`
like a command."""

from __future__ import annotations

import asyncio

from bot.core.errors import CloudError
from bot.core.preflight import ResizeState
from bot.core.wire.sdrs import Drill, ProtectedInstance
from bot.huaweicloud.fleet import Account
from bot.huaweicloud.reads import read_instance_state

INSTANCES_LISTED = 100  # what a picker can offer (Slack's options limit) is at most this
DRILLS_LISTED = 1000  # the API's largest page


async def instance_state(account: Account, instance_id: str, sites: list[str]) -> ResizeState:
    """The instance, its group, both servers, and the resize flavors of ``sites``' servers."""
    return await read_instance_state(account.sdrs, account.ecs, instance_id, sites)


async def instances(account: Account, query: str, within: float) -> list[ProtectedInstance]:
    """Protected instances whose name contains ``query`` (SDRS matches fuzzily)."""
    wanted = query.strip() or None
    read = account.sdrs.list_protected_instances(name=wanted, limit=INSTANCES_LISTED)
    return await asyncio.wait_for(read, within)


async def drills(account: Account, query: str, within: float) -> list[Drill]:
    """Drills whose name contains ``query`` (any case) or whose id starts with it."""
    found = await asyncio.wait_for(account.sdrs.list_drills(limit=DRILLS_LISTED), within)
    wanted = query.strip().lower()
    return [
        d
        for d in found.disaster_recovery_drills
        if not wanted or wanted in d.name.lower() or d.id.startswith(wanted)
    ]


async def drill_with_group(account: Account, drill_id: str) -> tuple[Drill, str | None]:
    """A drill and the name of its protection group (its id when the group cannot be read)."""
    drill = await account.sdrs.get_drill(drill_id)
    if not drill.server_group_id:
        return drill, None
    try:
        group = await account.sdrs.get_protection_group(drill.server_group_id)
    except CloudError:
        return drill, drill.server_group_id
    return drill, group.name
