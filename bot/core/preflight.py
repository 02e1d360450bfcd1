"""Preflight for a resize: decide from what was read (pure; the reading is the caller's).

Given the protected instance, its protection group, and each affected server's power state and
flavor, :func:`decide_resize` refuses with the precise rule that fails, or allows with the
current -> new flavor of each resized site and the warnings an operator should see before
confirming. "Production" is the current production site: after a failover
(``priority_station == "target"``) that is the target server.

SDRS refusals caught here, before any confirmation (the SDRS error code each one spares):
group status (SDRS.1024), instance status (SDRS.1328), a resized server not stopped
(SDRS.1316/1319/1342), a flavor outside the server's ECS resize list (SDRS.1378/1379),
a yearly/monthly server (ECS ``metadata.charging_mode`` "1"; SDRS.1376), a resize that changes
nothing on any site (SDRS.1341), and dedicated hosts (:mod:`bot.core.dedicated_hosts`): a
server on a DeH whose host id is not known and none named (SDRS.1367), an unknown host
(SDRS.1368), a host in another availability zone (SDRS.1369), a host whose type does not take
the new flavor or without the free vCPUs/memory for it (no SDRS code documented). A resized site
on a dedicated host keeps its current host unless one is named; the body always names it.
A host that could not be read is sent unchecked, with a warning.

Capacity (:mod:`bot.core.capacity`), where it was read: a new flavor sold out, withdrawn or not
listed in the resized server's availability zone (SDRS.1379), and a resize that would take the
project past its ECS cores or RAM quota (both sites counted together; ``docs/refusals.md`` says
what each refusal spares).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.core import capacity
from bot.core.dedicated_hosts import HostChoice, HostProblem, SiteResize, choose_hosts
from bot.core.intents import ResizeIntent
from bot.core.rules import RESIZABLE_GROUP_STATUSES, RESIZABLE_INSTANCE_STATUSES
from bot.core.wire.deh import DedicatedHost
from bot.core.wire.ecs import Flavor, Server
from bot.core.wire.sdrs import ProtectedInstance, ProtectionGroup
from bot.core.wording import N_, Wording, verbatim, wording


class Refusal(StrEnum):
    GROUP_STATUS = "group-status"
    INSTANCE_STATUS = "instance-status"
    SERVER_RUNNING = "server-running"
    SERVER_MISSING = "server-missing"
    FLAVOR_NOT_ALLOWED = "flavor-not-allowed"
    PREPAID = "prepaid"  # yearly/monthly server: SDRS.1376
    NO_CHANGE = "no-change"  # every resized server already has its new flavor: SDRS.1341
    DEDICATED_HOST = "dedicated-host"  # which one and why: Preflight.host_problem
    FLAVOR_NOT_IN_ZONE = "flavor-not-in-zone"  # sold out/withdrawn in the server's AZ: SDRS.1379
    QUOTA = "quota"  # past the project's ECS cores or RAM quota


class Warning(StrEnum):
    DR_SMALLER = "dr-smaller-than-production"
    SAME_FLAVOR = "same-flavor"
    DEDICATED_HOST_MISSING = "dedicated-host-not-given"  # stored by earlier versions only
    DEDICATED_HOST_UNCHECKED = "dedicated-host-not-read"  # the DeH API did not answer


@dataclass(frozen=True)
class SiteChange:
    site: str  # "production" | "dr"
    server_id: str
    server_name: str
    current: Flavor
    new_flavor: str
    status: str = ""  # the server's ECS status now (ACTIVE: a stop-start runbook stops it)


@dataclass(frozen=True)
class Preflight:
    allowed: bool
    refusal: Refusal | None = None
    detail: str = ""  # what exactly failed (status, server), for the message
    changes: list[SiteChange] = field(default_factory=list)
    warnings: list[tuple[Warning, str]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # valid flavors close to a wrong one
    site: str = ""  # the site a refusal is about ("production" | "dr"), if any
    subject: str = ""  # the group, instance or server a refusal is about
    status: str = ""  # its status (or the refused flavor)
    group_name: str = ""
    instance_name: str = ""
    hosts: list[HostChoice] = field(default_factory=list)  # each resized site on a DeH
    host_problem: HostProblem | None = None  # Refusal.DEDICATED_HOST: which host, why

    def host_fields(self) -> dict[str, str]:
        """The intent's host fields naming each resized site's dedicated host (the current
        one unless another was named), so the body sent names it."""
        return {f"{c.site}_host": c.host_id for c in self.hosts}

    zone: str = ""  # FLAVOR_NOT_IN_ZONE: the server's availability zone
    zone_status: str = ""  # FLAVOR_NOT_IN_ZONE: the flavor's sale status there
    shortfalls: list[capacity.Shortfall] = field(default_factory=list)  # QUOTA: what passes

    def snapshot(self) -> dict[str, str]:
        """What the confirmation showed, to compare with a later preflight: each resized
        site's physical server, its current flavor and (on a DeH) its current host - a server
        moved to another host since is not silently sent back by the host the request named."""
        on = {h.site: f"@{h.current_host_id}" for h in self.hosts if h.current_host_id}
        return {c.site: f"{c.server_id}:{c.current.id}{on.get(c.site, '')}" for c in self.changes}


@dataclass(frozen=True)
class ResizeState:
    """Everything a resize preflight reads, as it was read."""

    instance: ProtectedInstance
    group: ProtectionGroup
    servers: dict[str, Server]  # by id, both sites where readable
    # per resized site: the flavors ECS says its server may be resized to (None: not listed)
    allowed_flavors: dict[str, list[Flavor]] = field(default_factory=dict)
    # dedicated hosts read from the DeH API by id (None: it does not exist); not read: absent
    hosts: dict[str, DedicatedHost | None] = field(default_factory=dict)
    # the flavors of each resized server's zone and the project's ECS limits, where read
    capacity: capacity.Capacity = field(default_factory=capacity.Capacity)

    def offered_flavors(self, site: str) -> list[Flavor] | None:
        """The flavors a form offers for ``site``: its resize list, less those its zone does
        not sell (None: not listed)."""
        return self.capacity.offered(site, self.allowed_flavors.get(site))

    def catalogue(self) -> dict[str, Flavor]:
        known = {s.flavor.id: s.flavor for s in self.servers.values()}
        for listing in self.capacity.zones.values():
            known.update(listing.flavors)
        for flavors in self.allowed_flavors.values():
            known.update((f.id, f) for f in flavors)
        return known


def check_resize(
    intent: ResizeIntent, state: ResizeState, *, will_stop: bool | None = None
) -> Preflight:
    """``will_stop``: running servers are to be stopped first - by default what the intent
    says (power=stop-start); a runbook that has just stopped them passes False."""
    if will_stop is None:
        will_stop = intent.stop_start
    catalogue = state.catalogue()
    decided = decide_resize(
        intent,
        state.instance,
        state.group,
        state.servers,
        catalogue,
        allowed_flavors=state.allowed_flavors,
        will_stop=will_stop,
        hosts=state.hosts,
    )
    return check_capacity(decided, state, catalogue) if decided.allowed else decided


def check_capacity(
    decided: Preflight, state: ResizeState, catalogue: dict[str, Flavor]
) -> Preflight:
    """An allowed preflight refused when a changed site's new flavor is not sold in its
    server's zone, or the changes together pass the project's quota (where these were read)."""
    read = state.capacity
    for change in decided.changes:
        listing = read.zones.get(change.site)
        if change.current.id == change.new_flavor or listing is None:
            continue
        if listing.refuses(change.new_flavor):
            wanted = catalogue.get(change.new_flavor) or Flavor(id=change.new_flavor)
            choices = state.allowed_flavors.get(change.site)
            if choices is None:
                choices = list(listing.flavors.values())
            choices = [f for f in choices if f.id != change.current.id]  # it changes nothing
            return Preflight(
                False,
                Refusal.FLAVOR_NOT_IN_ZONE,
                f"{change.site}: {change.new_flavor} {listing.status(change.new_flavor)} "
                f"in {listing.zone}",
                suggestions=capacity.closest_available(wanted, choices, listing),
                site=change.site,
                subject=change.server_name or change.server_id,
                status=change.new_flavor,
                group_name=decided.group_name,
                instance_name=decided.instance_name,
                zone=listing.zone,
                zone_status=listing.status(change.new_flavor),
            )
    if read.limits is not None:
        resizes = [(c.current, catalogue.get(c.new_flavor)) for c in decided.changes]
        short = capacity.quota_shortfalls(resizes, read.limits)
        if short:
            return Preflight(
                False,
                Refusal.QUOTA,
                "; ".join(
                    f"{s.resource} quota: +{s.needed} needed, {s.used} of {s.limit} used"
                    + (" (MiB)" if s.resource == "ram" else "")
                    for s in short
                ),
                subject=decided.instance_name,
                group_name=decided.group_name,
                instance_name=decided.instance_name,
                shortfalls=short,
            )
    return decided


def closest_flavors(wanted: str, choices: list[Flavor], n: int = 3) -> list[str]:
    """Valid flavor names closest to a wrong one: by spelling first, then same series."""
    names = [f.id for f in choices]
    close = difflib.get_close_matches(wanted, names, n=n, cutoff=0.5)
    if len(close) < n:
        series = wanted.split(".", 1)[0]
        close += [x for x in names if x.split(".", 1)[0] == series and x not in close]
    return close[:n]


def changed_since(before: dict[str, str], now: Preflight) -> list[str]:
    """Sites whose server or current flavor differ from what the confirmation showed."""
    after = now.snapshot()
    return sorted(
        site for site in before.keys() | after.keys() if before.get(site) != after.get(site)
    )


def decide_resize(
    intent: ResizeIntent,
    instance: ProtectedInstance,
    group: ProtectionGroup,
    servers: dict[str, Server],
    catalogue: dict[str, Flavor],
    *,
    allowed_flavors: dict[str, list[Flavor]] | None = None,
    will_stop: bool = False,
    hosts: Mapping[str, DedicatedHost | None] | None = None,
) -> Preflight:
    """``will_stop``: the operation stops running (ACTIVE) servers first (power=stop-start),
    so they are not refused for running; any other state still is.
    ``servers`` by id (both sites when known); ``catalogue`` the flavors known by id, for
    comparing sizes (a flavor missing from it is compared as unknown); ``allowed_flavors`` per
    site, where ECS listed them: a new flavor outside that list (and not the current one) is
    refused with the closest valid names. ``hosts``: the dedicated hosts read, by id (None:
    it does not exist); a host not in it is sent unchecked, with a warning."""
    group_name, instance_name = group.name or group.id, instance.name or instance.id

    def refuse(
        refusal: Refusal,
        subject: str,
        status: str = "",
        site: str = "",
        suggestions: list[str] | None = None,
    ) -> Preflight:
        detail = f"{site}: {subject} {status}" if site else f"{subject}: {status}"
        return Preflight(
            False,
            refusal,
            detail.strip(),
            site=site,
            subject=subject,
            status=status,
            suggestions=suggestions or [],
            group_name=group_name,
            instance_name=instance_name,
        )

    if group.status not in RESIZABLE_GROUP_STATUSES:
        return refuse(Refusal.GROUP_STATUS, group_name, group.status)
    if instance.status not in RESIZABLE_INSTANCE_STATUSES:
        return refuse(Refusal.INSTANCE_STATUS, instance_name, instance.status)
    site_server = {"production": instance.production_server(), "dr": instance.dr_server()}
    changes: list[SiteChange] = []
    for site, new_flavor in intent.site_flavors().items():
        server_id = site_server[site] or ""
        server = servers.get(server_id)
        if server is None:
            return refuse(Refusal.SERVER_MISSING, server_id or "none", site=site)
        if server.prepaid:
            return refuse(Refusal.PREPAID, server.name or server.id, site=site)
        if not server.powered_off and not (will_stop and server.status == "ACTIVE"):
            return refuse(Refusal.SERVER_RUNNING, server.name or server.id, server.status, site)
        allowed = (allowed_flavors or {}).get(site)
        if (
            allowed is not None
            and new_flavor != server.flavor.id
            and new_flavor not in {f.id for f in allowed}
        ):
            return refuse(
                Refusal.FLAVOR_NOT_ALLOWED,
                server.name or server.id,
                new_flavor,
                site,
                suggestions=closest_flavors(new_flavor, allowed),
            )
        changes.append(
            SiteChange(site, server.id, server.name, server.flavor, new_flavor, server.status)
        )
    if changes and all(c.current.id == c.new_flavor for c in changes):
        first = changes[0]
        return refuse(Refusal.NO_CHANGE, first.server_name or first.server_id, first.new_flavor)
    named = {"production": intent.production_host, "dr": intent.dr_host}
    placed = choose_hosts(
        [SiteResize(c.site, servers[c.server_id], c.new_flavor, named[c.site]) for c in changes],
        hosts or {},
        catalogue,
    )
    if isinstance(placed, HostProblem):
        refused = refuse(Refusal.DEDICATED_HOST, placed.server, placed.refusal, placed.site)
        return replace(refused, host_problem=placed)
    warnings: list[tuple[Warning, str]] = []
    for change in changes:
        if change.current.id == change.new_flavor:
            warnings.append((Warning.SAME_FLAVOR, change.site))
    warnings += [(Warning.DEDICATED_HOST_UNCHECKED, c.site) for c in placed if not c.checked]
    after = {
        "production": _flavor_after("production", changes, servers, site_server, catalogue),
        "dr": _flavor_after("dr", changes, servers, site_server, catalogue),
    }
    prod, dr = after["production"], after["dr"]
    if prod and dr and (dr.vcpus < prod.vcpus or dr.ram < prod.ram):
        warnings.append((Warning.DR_SMALLER, f"{dr.id} < {prod.id}"))
    return Preflight(
        True,
        changes=changes,
        warnings=warnings,
        group_name=group_name,
        instance_name=instance_name,
        hosts=placed,
    )


def _flavor_after(
    site: str,
    changes: list[SiteChange],
    servers: dict[str, Server],
    site_server: dict[str, str | None],
    catalogue: dict[str, Flavor],
) -> Flavor | None:
    for change in changes:
        if change.site == site:
            return catalogue.get(change.new_flavor)
    server = servers.get(site_server[site] or "")
    return server.flavor if server else None


# ---- a refusal as a stored sentence ----------------------------------------------------------

# The refusal's name, translated where shown; the msgid is the code, so the English stays the
# code (what the log and the stored English say).
REFUSAL_LABEL = {
    Refusal.GROUP_STATUS: N_("group-status"),
    Refusal.INSTANCE_STATUS: N_("instance-status"),
    Refusal.SERVER_RUNNING: N_("server-running"),
    Refusal.SERVER_MISSING: N_("server-missing"),
    Refusal.FLAVOR_NOT_ALLOWED: N_("flavor-not-allowed"),
    Refusal.PREPAID: N_("prepaid"),
    Refusal.NO_CHANGE: N_("no-change"),
    Refusal.DEDICATED_HOST: N_("dedicated-host"),
    Refusal.FLAVOR_NOT_IN_ZONE: N_("flavor-not-in-zone"),
    Refusal.QUOTA: N_("quota"),
}
_SITE_WORD = {"production": N_("production"), "dr": N_("dr")}


def refusal_wording(check: Preflight) -> Wording:
    """A refused preflight as one short sentence (why a scheduled operation did not start):
    the refusal's name and what failed. Its English is ``"{refusal}: {detail}"`` exactly; the
    site names and the sentence around the cloud's values are translated where it is shown."""
    refusal = check.refusal
    if refusal is None:
        return verbatim(check.detail)
    label = Wording(REFUSAL_LABEL[refusal])
    plain = f"{refusal}: {check.detail}"
    said = wording(N_("{refusal}: {detail}"), refusal=label, detail=_detail_wording(check))
    # the sentence is built from the fields; should they ever disagree with the detail the
    # preflight wrote, the detail is shown as it is (in every language)
    if said.english() != plain:
        return wording(N_("{refusal}: {detail}"), refusal=label, detail=verbatim(check.detail))
    return said


def _detail_wording(check: Preflight) -> Wording:
    site = Wording(_SITE_WORD[check.site]) if check.site in _SITE_WORD else verbatim(check.site)
    if check.refusal is Refusal.QUOTA:
        said: Wording | None = None
        for s in check.shortfalls:
            one = wording(
                N_("{resource} quota: +{needed} needed, {used} of {limit} used (MiB)")
                if s.resource == "ram"
                else N_("{resource} quota: +{needed} needed, {used} of {limit} used"),
                resource=s.resource,
                needed=s.needed,
                used=s.used,
                limit=s.limit,
            )
            said = one if said is None else wording(N_("{first}; {next}"), first=said, next=one)
        return said or verbatim(check.detail)
    if check.refusal is Refusal.FLAVOR_NOT_IN_ZONE:
        return wording(
            N_("{site}: {flavor} {status} in {zone}"),
            site=site,
            flavor=check.status,
            status=check.zone_status,
            zone=check.zone,
        )
    if not check.site:
        return verbatim(f"{check.subject}: {check.status}".strip())
    if not check.status:
        return wording(N_("{site}: {subject}"), site=site, subject=check.subject)
    return wording(
        N_("{site}: {subject} {status}"), site=site, subject=check.subject, status=check.status
    )
