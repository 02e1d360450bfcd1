"""Flavor names as ECS spells them: a typed ``S6.XLARGE.2`` means ``s6.xlarge.2`` when ECS
lists exactly one flavor that matches it ignoring case (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.intents import ResizeIntent

FLAVOR_FIELDS = ("flavor", "production_flavor", "dr_flavor")


def canonical_flavors(intent: ResizeIntent, known: Iterable[str]) -> ResizeIntent:
    """``intent`` with each flavor spelled as in ``known`` (the flavor ids ECS listed), where a
    case-insensitive match is unique; other values are left for the preflight to judge."""
    by_lower: dict[str, set[str]] = {}
    for flavor_id in known:
        by_lower.setdefault(flavor_id.lower(), set()).add(flavor_id)
    update: dict[str, str] = {}
    for field in FLAVOR_FIELDS:
        value = getattr(intent, field)
        matches = by_lower.get(value.lower(), set()) if value else set()
        if value and value not in matches and len(matches) == 1:
            update[field] = next(iter(matches))
    return intent.model_copy(update=update) if update else intent
