"""Typed names resolved to ids: a command may name a protected instance or a drill instead of
giving its UUID. SDRS's list APIs filter by name (fuzzily); an exact match is the one meant.
None, or several, is answered privately with the candidates and their ids."""

from __future__ import annotations

from bot.core.intents import MutatingIntent, RenameDrillIntent, ResizeIntent
from bot.core.notices import NameUnresolved
from bot.huaweicloud.sdrs import SdrsClient

CANDIDATES = 10  # shown at most


async def resolve_names(
    sdrs: SdrsClient, intent: MutatingIntent
) -> MutatingIntent | NameUnresolved:
    """Names looked up in the intent's account (``sdrs`` is its client)."""
    if isinstance(intent, ResizeIntent) and not intent.instance_id and intent.instance_name:
        name = intent.instance_name
        found = await sdrs.list_protected_instances(name=name, limit=100)
        pairs = [(i.name or i.id, i.id) for i in found]
        exact = [(n, i) for n, i in pairs if n == name]
        if len(exact) == 1:
            return intent.model_copy(update={"instance_id": exact[0][1], "instance_name": None})
        return NameUnresolved(
            "protected instance", name, (exact or pairs)[:CANDIDATES], several=len(exact) > 1
        )
    if isinstance(intent, RenameDrillIntent) and not intent.drill_id and intent.drill_name:
        name = intent.drill_name
        found_drills = await sdrs.list_drills(name=name, limit=100)
        pairs = [(d.name or d.id, d.id) for d in found_drills.disaster_recovery_drills]
        exact = [(n, i) for n, i in pairs if n == name]
        if len(exact) == 1:
            return intent.model_copy(update={"drill_id": exact[0][1], "drill_name": None})
        return NameUnresolved("drill", name, (exact or pairs)[:CANDIDATES], several=len(exact) > 1)
    return intent
