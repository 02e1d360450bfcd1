"""What the preflight tells people: why a resize is refused (at the request or at Confirm),
the warnings a confirmation shows, and that the servers changed since it was requested."""

from __future__ import annotations

from bot.core.notices import PreflightRefused
from bot.core.preflight import Preflight, Refusal, Warning
from handlers.i18n import _
from handlers.messages.capacity import not_in_zone_text, quota_text
from handlers.messages.dedicated_hosts import host_refusal_text, unchecked_text
from handlers.messages.text import SITE_LABEL, escape


def warning_text(kind: Warning, what: str) -> str:
    if kind is Warning.DR_SMALLER:
        return _(
            "The DR-site flavor would be smaller than the production-site flavor ({what}); "
            "SDRS recommends DR >= production, or a failover runs on less capacity."
        ).format(what=escape(what))
    if kind is Warning.SAME_FLAVOR:
        return _(
            "The {site} server already has this flavor: nothing changes there "
            "(SDRS refuses a resize that changes nothing at all)."
        ).format(site=_(SITE_LABEL[what]))
    if kind is Warning.DEDICATED_HOST_UNCHECKED:
        return unchecked_text(what)
    return _(  # stored by earlier versions (a site on a DeH now keeps its host by default)
        "The {site} server runs on a dedicated host but no host id was given "
        "(add `{option}-host=&lt;DeH id&gt;`)."
    ).format(site=_(SITE_LABEL[what]), option="production" if what == "production" else "dr")


def refusal_text(check: Preflight) -> str:
    """Why the resize cannot be asked for now, and what to do about it."""
    subject = escape(check.subject)
    if check.refusal is Refusal.GROUP_STATUS:
        return _(
            "Protection group `{group}` is `{status}`; a resize needs it "
            "`available` or `protected`. Wait until it is, then ask again."
        ).format(group=subject, status=escape(check.status))
    if check.refusal is Refusal.INSTANCE_STATUS:
        return _(
            "Protected instance `{instance}` is `{status}`; SDRS resizes only "
            "`available`, `protected` or `error-resizing` instances."
        ).format(instance=subject, status=escape(check.status))
    if check.refusal is Refusal.SERVER_RUNNING:
        server = (
            _(
                "Production-site server `{server}` is {status}; it must be stopped (SHUTOFF) "
                "before resizing."
            )
            if check.site == "production"
            else _(
                "DR-site server `{server}` is {status}; it must be stopped (SHUTOFF) "
                "before resizing."
            )
        ).format(server=subject, status=escape(check.status))
        return f"{server} " + (
            _(
                "Stop it, then ask again, or add `power=stop-start`: the bot stops it, resizes, "
                "and starts it again."
            )
            if check.status == "ACTIVE"
            else _("Stop it, then ask again.")
        )
    if check.refusal is Refusal.SERVER_MISSING:
        return _(
            "The {site} server `{server}` of this protected instance could not be read from ECS."
        ).format(site=_(SITE_LABEL.get(check.site, check.site)), server=subject)
    if check.refusal is Refusal.PREPAID:
        return prepaid_text(check)
    if check.refusal is Refusal.NO_CHANGE:
        return no_change_text(check)
    if check.refusal is Refusal.DEDICATED_HOST and check.host_problem is not None:
        return host_refusal_text(check.host_problem)
    if check.refusal is Refusal.FLAVOR_NOT_IN_ZONE:
        return not_in_zone_text(check)
    if check.refusal is Refusal.QUOTA:
        return quota_text(check)
    hint = ", ".join(f"`{escape(s)}`" for s in check.suggestions)
    return _("`{flavor}` is not a flavor the {site} server `{server}` can be resized to.").format(
        flavor=escape(check.status), site=_(SITE_LABEL[check.site]), server=subject
    ) + (_(" Closest valid flavors: {flavors}.").format(flavors=hint) if hint else "")


def prepaid_text(check: Preflight) -> str:
    return _(
        "The {site} server `{server}` is billed yearly/monthly; SDRS does not resize such "
        "servers (SDRS.1376). Change its flavor in the ECS console (or switch it to "
        "pay-per-use first), then ask again."
    ).format(site=_(SITE_LABEL.get(check.site, check.site)), server=escape(check.subject))


def no_change_text(check: Preflight) -> str:
    return _(
        "Every server of protected instance `{instance}` that this resize touches already has "
        "the flavor asked for (`{flavor}`), so nothing would change and SDRS would refuse it "
        "(SDRS.1341). Ask for a different flavor."
    ).format(instance=escape(check.instance_name), flavor=escape(check.status))


def refused_text(n: PreflightRefused) -> str:
    """The refusal, privately: at the request nothing was posted; at Confirm the confirmation
    stays open."""
    if n.at_confirm:
        return _(
            ":no_entry: Not sent: {refusal} The confirmation stays open until it "
            "expires; click Confirm again once this is fixed."
        ).format(refusal=refusal_text(n.check))
    return _(":no_entry: {refusal} Nothing was posted or sent to SDRS.").format(
        refusal=refusal_text(n.check)
    )


def changed_text(sites: list[str]) -> str:
    which = _(" and ").join(_(SITE_LABEL[s]) for s in sites)
    return _(
        ":warning: The {sites} changed since this was requested (another server, flavor or "
        "dedicated host now), so what this confirmation shows is out of date. Nothing was sent "
        "to SDRS; ask again to see the current state."
    ).format(sites=which)
