"""More of the seeded world, for tests and benches that need many instances."""

from __future__ import annotations

from bot.sandbox.seed import AZ_DR, AZ_PROD, sid
from bot.sandbox.world import Instance, Server, World


def add_bulk_instances(world: World, count: int, prefix: str = "pi-bulk") -> list[str]:
    """``count`` more protected instances in the erp group, servers stopped, s6.large.2;
    returns their ids (``sid(f"{prefix}-{i}")``)."""
    ids = []
    for i in range(count):
        key = f"{prefix}-{i}"
        src = Server(sid(f"{key}-src"), f"ecs-{key}-src", AZ_PROD, "s6.large.2")
        tgt = Server(sid(f"{key}-tgt"), f"ecs-{key}-tgt", AZ_DR, "s6.large.2")
        world.add_server(src)
        world.add_server(tgt)
        world.add_instance(Instance(sid(key), key, "protected", sid("pg-erp"), src.id, tgt.id))
        ids.append(sid(key))
    return ids
