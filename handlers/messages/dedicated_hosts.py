"""What the bot says about dedicated hosts (DeH) in a resize: why a host is refused before
Confirm (which host, which site, why, and how to fix it), where each resized site goes in the
confirmation, and the warning when a host could not be read."""

from __future__ import annotations

from bot.core.dedicated_hosts import HostProblem, HostRefusal
from bot.core.facts import SiteChange
from handlers.i18n import N_, _
from handlers.messages.text import escape

SITE_WORD = {"production": N_("production"), "dr": N_("DR")}
OPTION = {"production": "production_dedicated_host", "dr": "dr_dedicated_host"}


def _site(site: str) -> str:
    word = SITE_WORD.get(site)
    return _(word) if word is not None else escape(site)


def host_label(host_id: str, name: str | None = None) -> str:
    """```name` (`id`)``, or ```id``` when the name is not known."""
    if name:
        return f"`{escape(name)}` (`{escape(host_id)}`)"
    return f"`{escape(host_id)}`"


def _gib(mib: int) -> str:
    return f"{mib / 1024:g} GiB"


def host_refusal_text(p: HostProblem) -> str:
    """Why the site cannot go to that host (and the SDRS code it spares), and what to do."""
    site, option = _site(p.site), OPTION.get(p.site, "")
    server = f"`{escape(p.server)}`"
    host = host_label(p.host_id, p.host_name)
    flavor = f"`{escape(p.flavor)}`"
    other = _(
        " Name another host with `{option}=&lt;DeH id&gt;`, or leave it out to keep the "
        "server's current host."
    ).format(option=option)
    if p.refusal is HostRefusal.HOST_NOT_KNOWN:
        return _(
            "The {site} server {server} runs on a dedicated host, but ECS does not say which "
            "one, and SDRS needs it named (SDRS.1367). Add `{option}=&lt;DeH id&gt;`."
        ).format(site=site, server=server, option=option)
    if p.refusal is HostRefusal.UNKNOWN:
        return (
            _("The {site} dedicated host {host} does not exist (SDRS.1368).").format(
                site=site, host=host
            )
            + other
        )
    if p.refusal is HostRefusal.OTHER_AZ:
        return (
            _(
                "The {site} dedicated host {host} is in `{host_zone}`, the {site} server "
                "{server} is in `{server_zone}` (SDRS.1369): a host in the server's "
                "availability zone is needed."
            ).format(
                site=site,
                host=host,
                host_zone=escape(p.host_az),
                server=server,
                server_zone=escape(p.server_az),
            )
            + other
        )
    if p.refusal is HostRefusal.FLAVOR_TYPE:
        return _(
            "The {site} dedicated host {host} is of type `{type}`, which does not take "
            "{flavor}. Ask for a flavor of its type, or name a host of another type with "
            "`{option}=&lt;DeH id&gt;`."
        ).format(site=site, host=host, type=escape(p.host_type), flavor=flavor, option=option)
    short = []
    if p.needed_vcpus > p.free_vcpus:
        short.append(
            _("{free} vCPUs free, {flavor} needs {needed}").format(
                free=p.free_vcpus, flavor=flavor, needed=p.needed_vcpus
            )
        )
    if p.needed_mib > p.free_mib:
        short.append(
            _("{free} memory free, {flavor} needs {needed}").format(
                free=_gib(p.free_mib), flavor=flavor, needed=_gib(p.needed_mib)
            )
        )
    return _(
        "The {site} dedicated host {host} has no room for the {site} server {server}: "
        "{shortfall}. Free room on it, ask for a smaller flavor, or name another host with "
        "`{option}=&lt;DeH id&gt;`."
    ).format(site=site, host=host, server=server, shortfall=_("; ").join(short), option=option)


def placement_text(change: SiteChange) -> str:
    """Where a resized site on a dedicated host goes, for the confirmation ("" when not on
    one)."""
    if not change.host:
        return ""
    if change.host_from:
        return _(" · moves to dedicated host {host} (from `{old}`)").format(
            host=host_label(change.host, change.host_name), old=escape(change.host_from)
        )
    return _(" · stays on dedicated host {host}").format(
        host=host_label(change.host, change.host_name)
    )


def unchecked_text(site: str) -> str:
    return _(
        "The {site} dedicated host could not be read (DeH API), so its availability zone, type "
        "and free room were not checked: SDRS judges them when this is sent."
    ).format(site=_site(site))


def form_host_label(site_label: str) -> str:
    return _("Dedicated host id, {site}").format(site=site_label)


def form_host_hint(current: str) -> str:
    """The resize form's host field, for a server on a dedicated host (plain text)."""
    if current:
        return _(
            "This server runs on dedicated host {host}: leave this empty to keep it there, or "
            "give another host's id to move it."
        ).format(host=current)
    return _(
        "This server runs on a dedicated host (DeH), but ECS does not say which: give the host "
        "for the new flavor."
    )
