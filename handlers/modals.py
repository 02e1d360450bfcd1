"""The resize and drill-rename modals: views (``slack_sdk.models.views``) and reading a submitted
view's state back into an intent. Pure: data in, view dicts or intents/errors out.

A submitted form becomes the same intent a typed command would (it is checked by the same
parser), so it goes through the same policy, preflight and confirmation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.intents import FLAVOR_RE, UUID_RE, RenameDrillIntent, ResizeIntent
from bot.core.rules import DRILL_NAME_RULE, drill_name_problem
from bot.core.wire.ecs import Flavor
from handlers.messages.help import OPEN_RENAME_ACTION, OPEN_RESIZE_ACTION
from handlers.messages.text import SITE_LABEL, clip, escape, md_section

RESIZE_CALLBACK = "sdrs_resize_form"
RENAME_CALLBACK = "sdrs_rename_form"
PICK_INSTANCE = "sdrs_pick_instance"
PICK_DRILL = "sdrs_pick_drill"
OPEN_RESIZE = OPEN_RESIZE_ACTION  # the help message's buttons
OPEN_RENAME = OPEN_RENAME_ACTION
MAX_OPTIONS = 100  # Slack's limit for a select's options
FLAVOR_ACTION = "flavor"  # a site's flavor field (its block: "<site>_flavor")
SITES = ("production", "dr")
SITES_BLOCK = "sites"
SITES_ACTION = "sdrs_pick_sites"  # ticking or unticking a site rebuilds the form
POWER_BLOCK, POWER_ACTION = "power", "sdrs_power"  # power=stop-start [stop=hard]
OPTION_TEXT_MAX = 75  # Slack: an option's text and description, at most 75 characters each
# (the label says the rest: exactly the servers it stopped are started again, also on failure)
STOP_START_NOTE = "Stops running servers of the ticked sites, resizes, starts them again"


@dataclass(frozen=True)
class SiteInfo:
    """One site of the chosen instance, as the form shows it."""

    site: str
    server_name: str
    status: str
    flavor: Flavor
    choices: list[Flavor] | None  # what ECS lists for a resize (None: could not list)
    on_dedicated_host: bool


def option(text: str, value: str) -> Option:
    return Option(text=clip(text, OPTION_TEXT_MAX), value=value)


def flavor_option(flavor: Flavor) -> Option:
    size = f" · {flavor.vcpus} vCPU, {flavor.ram / 1024:g} GiB" if flavor.vcpus else ""
    return option(f"{flavor.id}{size}", flavor.id)


def flavor_site(block_id: str) -> str | None:
    """The site of a flavor field's block id (``production_flavor`` -> ``production``)."""
    site = block_id.removesuffix("_flavor")
    return site if site in SITES and site != block_id else None


def matching_flavors(flavors: list[Flavor], query: str) -> list[Option]:
    """The flavors whose id and size contain every word typed (any case), in ECS's order, at
    most a select's :data:`MAX_OPTIONS` (an id longer than a flavor can be is not offered)."""
    words = query.lower().split()
    found = []
    for flavor in flavors:
        if len(flavor.id) > 64:  # the form refuses it (resize_from_view); Slack: value <= 150
            continue
        option = flavor_option(flavor)
        shown = f"{flavor.id} {size_text(flavor)}".lower()
        if all(w in shown for w in words):
            found.append(option)
            if len(found) == MAX_OPTIONS:
                break
    return found


def _picker(action_id: str, chosen: tuple[str, str] | None) -> ExternalDataSelectElement:
    """A searchable select whose options the app loads (block_suggestion) as the user types."""
    return ExternalDataSelectElement(
        action_id=action_id,
        placeholder="Type part of a name",
        min_query_length=0,
        initial_option=option(chosen[1], chosen[0]) if chosen else None,
    )


def _metadata(**fields: str) -> str:
    return json.dumps(fields, sort_keys=True)


def metadata_of(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def resize_view(
    channel: str,
    instance: tuple[str, str] | None = None,
    sites: list[SiteInfo] | None = None,
    problem: str | None = None,
    ticked: list[str] | None = None,
) -> dict[str, Any]:
    """``instance``: (id, label) once chosen; ``sites`` what was read about it; ``ticked`` the
    sites the person chose to resize (None: all of them), each of which gets a flavor field."""
    picker = _picker(PICK_INSTANCE, instance)
    blocks: list[Block] = [
        InputBlock(
            block_id="instance", label="Protected instance", element=picker, dispatch_action=True
        )
    ]
    if problem:  # plain text, escaped here once (Slack's section text: at most 3,000)
        blocks.append(md_section(f":warning: {escape(clip(problem, 2_000))}"))
    if instance is None or not sites:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Choose a protected instance to see its servers and the flavors "
                        "they can be resized to."
                    )
                ]
            )
        )
    else:
        blocks += _site_blocks(sites, [s.site for s in sites] if ticked is None else ticked)
    view = View(
        type="modal",
        callback_id=RESIZE_CALLBACK,
        title="Resize an instance",
        submit="Review",
        close="Cancel",
        blocks=blocks,
        private_metadata=_metadata(
            channel=channel,
            instance=instance[0] if instance else "",
            label=instance[1][:200] if instance else "",
        ),
    )
    return view.to_dict()


def power_text(status: str) -> str:
    """A server's power state as the form shows it (plain text)."""
    if status == "SHUTOFF":
        return "stopped"
    if status == "ACTIVE":
        return "running (ACTIVE): stop it before resizing, or tick Stop and start again below"
    return f"{status or 'power state unknown'}: it must be stopped before resizing"


def size_text(flavor: Flavor) -> str:
    return f"{flavor.vcpus} vCPU, {flavor.ram / 1024:g} GiB" if flavor.vcpus else ""


def _site_blocks(sites: list[SiteInfo], ticked: list[str]) -> list[Block]:
    """The sites to resize (ticking or unticking one rebuilds the form: ``dispatch_action``),
    then, for each ticked site only, its required flavor field naming the server, its current
    flavor and power state (and a dedicated host field for a server on DeH)."""
    site_options = {
        s.site: Option(
            text=SITE_LABEL[s.site][0].upper() + SITE_LABEL[s.site][1:],
            value=s.site,
            description=PlainTextObject(text=clip(s.server_name, OPTION_TEXT_MAX)),
        )
        for s in sites
    }
    chosen = [site_options[s] for s in SITES if s in ticked and s in site_options]
    blocks: list[Block] = [
        InputBlock(
            block_id=SITES_BLOCK,
            label="Sites to resize",
            element=CheckboxesElement(
                action_id=SITES_ACTION,
                options=list(site_options.values()),
                initial_options=chosen or None,
            ),
            dispatch_action=True,
        )
    ]
    if not chosen:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text="Tick a site to choose its flavor.")])
        )
    for s in sites:
        if s.site not in ticked:
            continue
        size = size_text(s.flavor)
        now = f"Now {s.flavor.id}" + (f" ({size})" if size else "")
        element: StaticSelectElement | ExternalDataSelectElement | PlainTextInputElement
        if s.choices and len(s.choices) > MAX_OPTIONS:
            # more than a select holds: typed ahead, the options loaded as the person types
            element = ExternalDataSelectElement(
                action_id=FLAVOR_ACTION,
                placeholder=f"Type part of a flavor ({len(s.choices)} allowed)",
                min_query_length=0,
            )
        elif s.choices:
            element = StaticSelectElement(
                action_id=FLAVOR_ACTION,
                placeholder="Choose a flavor",
                options=[flavor_option(f) for f in s.choices],
            )
        else:
            element = PlainTextInputElement(action_id=FLAVOR_ACTION, placeholder="e.g. s6.xlarge.2")
        blocks.append(
            InputBlock(
                block_id=f"{s.site}_flavor",
                label=f"New flavor, {SITE_LABEL[s.site]}: {s.server_name}"[:2000],
                element=element,
                hint=f"{now} · {power_text(s.status)}",
            )
        )
        if s.on_dedicated_host:
            blocks.append(
                InputBlock(
                    block_id=f"{s.site}_host",
                    label=f"Dedicated host id, {SITE_LABEL[s.site]}",
                    element=PlainTextInputElement(action_id="host"),
                    hint="This server runs on a dedicated host (DeH): give the host for the "
                    "new flavor.",
                    optional=True,
                )
            )
    if chosen:
        blocks.append(_power_block())
    return blocks


def _power_block() -> InputBlock:
    return InputBlock(
        block_id=POWER_BLOCK,
        label="Running servers",
        optional=True,
        hint="Exactly the servers it stopped are started again, also if the resize fails.",
        element=CheckboxesElement(
            action_id=POWER_ACTION,
            options=[
                Option(
                    text="Stop and start again",
                    value="stop-start",
                    description=PlainTextObject(text=STOP_START_NOTE),
                ),
                Option(
                    text="Hard stop (power off)",
                    value="hard",
                    description=PlainTextObject(text="Instead of a soft shut-down."),
                ),
            ],
        ),
    )


def rename_view(
    channel: str,
    drill: tuple[str, str] | None = None,
    current_name: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """``drill``: (id, label) when known; the name field is prefilled with ``current_name``.
    The name block's id follows the drill, so Slack shows the new prefill after a change."""
    picker = _picker(PICK_DRILL, drill)
    blocks: list[Block] = [
        InputBlock(block_id="drill", label="DR drill", element=picker, dispatch_action=True)
    ]
    if drill and current_name is not None:
        in_group = f" · protection group `{escape(group)}`" if group else ""
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f"Current name `{escape(current_name)}`{in_group}")
                ]
            )
        )
    blocks.append(
        InputBlock(
            block_id=name_block_id(drill[0] if drill else None),
            label="New name",
            element=PlainTextInputElement(action_id="name", initial_value=current_name or None),
            hint=f"Drill names: {DRILL_NAME_RULE}.",
        )
    )
    view = View(
        type="modal",
        callback_id=RENAME_CALLBACK,
        title="Rename a DR drill",
        submit="Review",
        close="Cancel",
        blocks=blocks,
        private_metadata=_metadata(
            channel=channel, drill=drill[0] if drill else "", current=current_name or ""
        ),
    )
    return view.to_dict()


def name_block_id(drill_id: str | None) -> str:
    return f"name_{(drill_id or 'none')[:8]}"


# ---- reading a submitted view ---------------------------------------------------------------


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
        return {"instance": "Choose a protected instance."}
    if SITES_BLOCK not in values:
        return {"instance": "Wait for the instance's servers to load, then choose flavors."}
    sites = [site for site in _selected(values, SITES_BLOCK, SITES_ACTION) if site in SITES]
    if not sites:
        return {SITES_BLOCK: "Choose at least one site to resize."}
    if not UUID_RE.fullmatch(instance):
        return {"instance": "Choose a protected instance from the list."}
    errors: dict[str, str] = {}
    chosen: dict[str, str | None] = {}
    for site in sites:
        flavor = _value(values, f"{site}_flavor", "flavor")
        host = _value(values, f"{site}_host", "host")
        if not flavor:
            errors[f"{site}_flavor"] = f"Choose the new flavor for the {SITE_LABEL[site]}."
        elif not FLAVOR_RE.fullmatch(flavor) or len(flavor) > 64:
            errors[f"{site}_flavor"] = "A flavor looks like s6.large.2."
        else:
            chosen[f"{site}_flavor"] = flavor
        if host and not UUID_RE.fullmatch(host):
            errors[f"{site}_host"] = "A dedicated host id is a UUID."
        elif host:
            chosen[f"{site}_host"] = host
    power = _selected(values, POWER_BLOCK, POWER_ACTION)
    if "hard" in power and "stop-start" not in power:
        errors[POWER_BLOCK] = "A hard stop is for Stop and start again: tick that too."
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
        return {"drill": "Choose a DR drill from the list."}
    block = next((b for b in values if b.startswith("name_")), name_block_id(drill))
    name = _value(values, block, "name")
    problem = drill_name_problem(name)
    if problem:
        return {block: f"{problem[0].upper()}{problem[1:]}. Allowed: {DRILL_NAME_RULE}."}
    if name == metadata_of(view).get("current") and metadata_of(view).get("drill") == drill:
        return {block: "That is the drill's current name; type a new one."}
    return RenameDrillIntent(drill_id=drill.lower(), name=name)
