"""What the bot says about dedicated hosts (DeH) in a resize: why a host is refused before
Confirm (which host, which site, why, and how to fix it), where each resized site goes in the
confirmation, and the warning when a host could not be read."""

from __future__ import annotations

from bot.core.dedicated_hosts import HostProblem, HostRefusal
from bot.core.facts import SiteChange
from handlers.messages.text import escape

SITE_WORD = {"production": "production", "dr": "DR"}
OPTION = {"production": "production_dedicated_host", "dr": "dr_dedicated_host"}


def host_label(host_id: str, name: str | None = None) -> str:
    """```name` (`id`)``, or ```id``` when the name is not known."""
    if name:
        return f"`{escape(name)}` (`{escape(host_id)}`)"
    return f"`{escape(host_id)}`"


def _gib(mib: int) -> str:
    return f"{mib / 1024:g} GiB"


def host_refusal_text(p: HostProblem) -> str:
    """Why the site cannot go to that host (and the SDRS code it spares), and what to do."""
    site, option = SITE_WORD.get(p.site, p.site), OPTION.get(p.site, "")
    server = f"`{escape(p.server)}`"
    host = host_label(p.host_id, p.host_name)
    other = f" Name another host with `{option}=&lt;DeH id&gt;`, or leave it out to keep the "
    other += "server's current host."
    if p.refusal is HostRefusal.HOST_NOT_KNOWN:
        return (
            f"The {site} server {server} runs on a dedicated host, but ECS does not say which "
            f"one, and SDRS needs it named (SDRS.1367). Add `{option}=&lt;DeH id&gt;`."
        )
    if p.refusal is HostRefusal.UNKNOWN:
        return f"The {site} dedicated host {host} does not exist (SDRS.1368)." + other
    if p.refusal is HostRefusal.OTHER_AZ:
        return (
            f"The {site} dedicated host {host} is in `{escape(p.host_az)}`, the {site} server "
            f"{server} is in `{escape(p.server_az)}` (SDRS.1369): a host in the server's "
            "availability zone is needed." + other
        )
    if p.refusal is HostRefusal.FLAVOR_TYPE:
        return (
            f"The {site} dedicated host {host} is of type `{escape(p.host_type)}`, which does "
            f"not take `{escape(p.flavor)}`. Ask for a flavor of its type, or name a host of "
            f"another type with `{option}=&lt;DeH id&gt;`."
        )
    short = []
    if p.needed_vcpus > p.free_vcpus:
        short.append(f"{p.free_vcpus} vCPUs free, `{escape(p.flavor)}` needs {p.needed_vcpus}")
    if p.needed_mib > p.free_mib:
        short.append(
            f"{_gib(p.free_mib)} memory free, `{escape(p.flavor)}` needs {_gib(p.needed_mib)}"
        )
    return (
        f"The {site} dedicated host {host} has no room for the {site} server {server}: "
        f"{'; '.join(short)}. Free room on it, ask for a smaller flavor, or name another host "
        f"with `{option}=&lt;DeH id&gt;`."
    )


def placement_text(change: SiteChange) -> str:
    """Where a resized site on a dedicated host goes, for the confirmation ("" when not on
    one)."""
    if not change.host:
        return ""
    if change.host_from:
        return (
            f" · moves to dedicated host {host_label(change.host, change.host_name)} "
            f"(from `{escape(change.host_from)}`)"
        )
    return f" · stays on dedicated host {host_label(change.host, change.host_name)}"


def unchecked_text(site: str) -> str:
    return (
        f"The {SITE_WORD.get(site, site)} dedicated host could not be read (DeH API), so its "
        "availability zone, type and free room were not checked: SDRS judges them when this "
        "is sent."
    )


def form_host_label(site_label: str) -> str:
    return f"Dedicated host id, {site_label}"


def form_host_hint(current: str) -> str:
    """The resize form's host field, for a server on a dedicated host (plain text)."""
    if current:
        return (
            f"This server runs on dedicated host {current}: leave this empty to keep it there, "
            "or give another host's id to move it."
        )
    return (
        "This server runs on a dedicated host (DeH), but ECS does not say which: give the "
        "host for the new flavor."
    )
