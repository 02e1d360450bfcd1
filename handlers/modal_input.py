"""Reading a modal back: a submitted view's state into the intent it asks for, or Slack's
``errors`` (block id -> what to fix, worded here); the sites ticked, a flavor field's site and
the view's private metadata. Pure.

A submitted form becomes the same intent a typed command would (it is checked by the same
parser), so it goes through the same policy, preflight and confirmation.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.intents import FLAVOR_RE, UUID_RE, RenameDrillIntent, ResizeIntent
from bot.core.rules import DRILL_NAME_RULE, drill_name_wording
from handlers.i18n import _, tr
from handlers.messages.text import SITE_LABEL
from handlers.modals import (
    PICK_DRILL,
    PICK_INSTANCE,
    POWER_ACTION,
    POWER_BLOCK,
    SITES,
    SITES_ACTION,
    SITES_BLOCK,
    name_block_id,
)


def metadata_of(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def flavor_site(block_id: str) -> str | None:
    """The site of a flavor field's block id (``production_flavor`` -> ``production``)."""
    site = block_id.removesuffix("_flavor")
    return site if site in SITES and site != block_id else None


def _value(values: dict[str, Any], block: str, action: str) -> str:
    state = (values.get(block) or {}).get(action) or {}
    selected = state.get("selected_option")
    if isinstance(selected, dict):
        return str(selected.get("value") or "")
    return str(state.get("value") or "").strip()


def ticked_sites(view: dict[str, Any]) -> list[str] | None:
    """The sites ticked in a view's current state (None: the form has no site choice yet)."""
    values = (view.get("state") or {}).get("values") or {}
    if SITES_ACTION not in (values.get(SITES_BLOCK) or {}):
        return None
    return [site for site in _selected(values, SITES_BLOCK, SITES_ACTION) if site in SITES]


def _selected(values: dict[str, Any], block: str, action: str) -> list[str]:
    state = (values.get(block) or {}).get(action) or {}
    return [str(o.get("value")) for o in state.get("selected_options") or []]


def resize_from_view(view: dict[str, Any]) -> ResizeIntent | dict[str, str]:
    """The intent the form asks for, or Slack's ``errors`` (block id -> message)."""
    values = (view.get("state") or {}).get("values") or {}
    instance = _value(values, "instance", PICK_INSTANCE)
    if not instance:
        return {"instance": _("Choose a protected instance.")}
    if SITES_BLOCK not in values:
        return {"instance": _("Wait for the instance's servers to load, then choose flavors.")}
    sites = [site for site in _selected(values, SITES_BLOCK, SITES_ACTION) if site in SITES]
    if not sites:
        return {SITES_BLOCK: _("Choose at least one site to resize.")}
    if not UUID_RE.fullmatch(instance):
        return {"instance": _("Choose a protected instance from the list.")}
    errors: dict[str, str] = {}
    chosen: dict[str, str | None] = {}
    for site in sites:
        flavor = _value(values, f"{site}_flavor", "flavor")
        host = _value(values, f"{site}_host", "host")
        if not flavor:
            errors[f"{site}_flavor"] = _("Choose the new flavor for the {site}.").format(
                site=_(SITE_LABEL[site])
            )
        elif not FLAVOR_RE.fullmatch(flavor) or len(flavor) > 64:
            errors[f"{site}_flavor"] = _("A flavor looks like s6.large.2.")
        else:
            chosen[f"{site}_flavor"] = flavor
        if host and not UUID_RE.fullmatch(host):
            errors[f"{site}_host"] = _("A dedicated host id is a UUID.")
        elif host:
            chosen[f"{site}_host"] = host
    power = _selected(values, POWER_BLOCK, POWER_ACTION)
    if "hard" in power and "stop-start" not in power:
        errors[POWER_BLOCK] = _("A hard stop is for Stop and start again: tick that too.")
    if errors:
        return errors
    return ResizeIntent(
        instance_id=instance,
        **chosen,
        power="stop-start" if "stop-start" in power else "as-is",
        stop="hard" if "hard" in power else "soft",
    )


def rename_from_view(view: dict[str, Any]) -> RenameDrillIntent | dict[str, str]:
    values = (view.get("state") or {}).get("values") or {}
    drill = _value(values, "drill", PICK_DRILL)
    if not drill or not UUID_RE.fullmatch(drill):
        return {"drill": _("Choose a DR drill from the list.")}
    block = next((b for b in values if b.startswith("name_")), name_block_id(drill))
    name = _value(values, block, "name")
    problem = drill_name_wording(name)
    if problem:
        why = tr(problem)
        return {
            block: _("{problem}. Allowed: {rule}.").format(
                problem=why[:1].upper() + why[1:], rule=_(DRILL_NAME_RULE)
            )
        }
    if name == metadata_of(view).get("current") and metadata_of(view).get("drill") == drill:
        return {block: _("That is the drill's current name; type a new one.")}
    return RenameDrillIntent(drill_id=drill.lower(), name=name)
