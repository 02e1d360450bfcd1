"""The resize and drill-rename modals: their views (``slack_sdk.models.views``) with their
wording. Pure: data in, view dicts out. What a submitted view asks for:
:mod:`handlers.modal_input`."""

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

from bot.core.rules import DRILL_NAME_RULE
from bot.core.wire.ecs import Flavor
from handlers.i18n import N_, _
from handlers.messages.dedicated_hosts import form_host_hint, form_host_label
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
STOP_START_NOTE = N_("Stops running servers of the ticked sites, resizes, starts them again")


@dataclass(frozen=True)
class SiteInfo:
    """One site of the chosen instance, as the form shows it."""

    site: str
    server_name: str
    status: str
    flavor: Flavor
    choices: list[Flavor] | None  # what ECS lists for a resize (None: could not list)
    on_dedicated_host: bool
    current_host: str = ""  # the DeH it runs on ("": not said by ECS)


def option(text: str, value: str) -> Option:
    return Option(text=clip(text, OPTION_TEXT_MAX), value=value)


def flavor_option(flavor: Flavor) -> Option:
    size = f" · {flavor.vcpus} vCPU, {flavor.ram / 1024:g} GiB" if flavor.vcpus else ""
    return option(f"{flavor.id}{size}", flavor.id)


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
        placeholder=_("Type part of a name"),
        min_query_length=0,
        initial_option=option(chosen[1], chosen[0]) if chosen else None,
    )


def _metadata(**fields: str) -> str:
    return json.dumps(fields, sort_keys=True)


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
            block_id="instance",
            label=_("Protected instance"),
            element=picker,
            dispatch_action=True,
        )
    ]
    if problem:  # plain text, escaped here once (Slack's section text: at most 3,000)
        blocks.append(md_section(f":warning: {escape(clip(problem, 2_000))}"))
    if instance is None or not sites:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=_(
                            "Choose a protected instance to see its servers and the flavors "
                            "they can be resized to."
                        )
                    )
                ]
            )
        )
    else:
        blocks += _site_blocks(sites, [s.site for s in sites] if ticked is None else ticked)
    view = View(
        type="modal",
        callback_id=RESIZE_CALLBACK,
        title=_("Resize an instance"),
        submit=_("Review"),
        close=_("Cancel"),
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
        return _("stopped")
    if status == "ACTIVE":
        return _("running (ACTIVE): stop it before resizing, or tick Stop and start again below")
    return _("{status}: it must be stopped before resizing").format(
        status=status or _("power state unknown")
    )


def size_text(flavor: Flavor) -> str:
    return f"{flavor.vcpus} vCPU, {flavor.ram / 1024:g} GiB" if flavor.vcpus else ""


def _site_blocks(sites: list[SiteInfo], ticked: list[str]) -> list[Block]:
    """The sites to resize (ticking or unticking one rebuilds the form: ``dispatch_action``),
    then, for each ticked site only, its required flavor field naming the server, its current
    flavor and power state (and a dedicated host field for a server on DeH)."""
    site_options = {
        s.site: Option(
            text=_(SITE_LABEL[s.site])[:1].upper() + _(SITE_LABEL[s.site])[1:],
            value=s.site,
            description=PlainTextObject(text=clip(s.server_name, OPTION_TEXT_MAX)),
        )
        for s in sites
    }
    chosen = [site_options[s] for s in SITES if s in ticked and s in site_options]
    blocks: list[Block] = [
        InputBlock(
            block_id=SITES_BLOCK,
            label=_("Sites to resize"),
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
            ContextBlock(elements=[MarkdownTextObject(text=_("Tick a site to choose its flavor."))])
        )
    for s in sites:
        if s.site not in ticked:
            continue
        size = size_text(s.flavor)
        now = _("Now {flavor}").format(flavor=s.flavor.id) + (f" ({size})" if size else "")
        element: StaticSelectElement | ExternalDataSelectElement | PlainTextInputElement
        if s.choices and len(s.choices) > MAX_OPTIONS:
            # more than a select holds: typed ahead, the options loaded as the person types
            element = ExternalDataSelectElement(
                action_id=FLAVOR_ACTION,
                placeholder=_("Type part of a flavor ({count} allowed)").format(
                    count=len(s.choices)
                ),
                min_query_length=0,
            )
        elif s.choices:
            element = StaticSelectElement(
                action_id=FLAVOR_ACTION,
                placeholder=_("Choose a flavor"),
                options=[flavor_option(f) for f in s.choices],
            )
        else:
            element = PlainTextInputElement(
                action_id=FLAVOR_ACTION, placeholder=_("e.g. s6.xlarge.2")
            )
        blocks.append(
            InputBlock(
                block_id=f"{s.site}_flavor",
                label=_("New flavor, {site}: {server}").format(
                    site=_(SITE_LABEL[s.site]), server=s.server_name
                )[:2000],
                element=element,
                hint=f"{now} · {power_text(s.status)}",
            )
        )
        if s.on_dedicated_host:
            blocks.append(
                InputBlock(
                    block_id=f"{s.site}_host",
                    label=form_host_label(_(SITE_LABEL[s.site])),
                    element=PlainTextInputElement(action_id="host"),
                    hint=form_host_hint(s.current_host),
                    optional=True,
                )
            )
    if chosen:
        blocks.append(_power_block())
    return blocks


def _power_block() -> InputBlock:
    return InputBlock(
        block_id=POWER_BLOCK,
        label=_("Running servers"),
        optional=True,
        hint=_("Exactly the servers it stopped are started again, also if the resize fails."),
        element=CheckboxesElement(
            action_id=POWER_ACTION,
            options=[
                Option(
                    text=_("Stop and start again"),
                    value="stop-start",
                    description=PlainTextObject(text=_(STOP_START_NOTE)),
                ),
                Option(
                    text=_("Hard stop (power off)"),
                    value="hard",
                    description=PlainTextObject(text=_("Instead of a soft shut-down.")),
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
        InputBlock(block_id="drill", label=_("DR drill"), element=picker, dispatch_action=True)
    ]
    if drill and current_name is not None:
        in_group = _(" · protection group `{group}`").format(group=escape(group)) if group else ""
        current = _("Current name `{name}`{in_group}").format(
            name=escape(current_name), in_group=in_group
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=current)]))
    blocks.append(
        InputBlock(
            block_id=name_block_id(drill[0] if drill else None),
            label=_("New name"),
            element=PlainTextInputElement(action_id="name", initial_value=current_name or None),
            hint=_("Drill names: {rule}.").format(rule=_(DRILL_NAME_RULE)),
        )
    )
    view = View(
        type="modal",
        callback_id=RENAME_CALLBACK,
        title=_("Rename a DR drill"),
        submit=_("Review"),
        close=_("Cancel"),
        blocks=blocks,
        private_metadata=_metadata(
            channel=channel, drill=drill[0] if drill else "", current=current_name or ""
        ),
    )
    return view.to_dict()


def name_block_id(drill_id: str | None) -> str:
    return f"name_{(drill_id or 'none')[:8]}"
