"""What the preflight tells people: why a resize is refused (at the request or at Confirm),
the warnings a confirmation shows, and that the servers changed since it was requested."""

from __future__ import annotations

from bot.core.notices import PreflightRefused
from bot.core.preflight import Preflight, Refusal, Warning
from handlers.messages.capacity import not_in_zone_text, quota_text
from handlers.messages.dedicated_hosts import host_refusal_text, unchecked_text
from handlers.messages.text import SITE_LABEL, escape

SITE_SERVER = {"production": "Production-site server", "dr": "DR-site server"}


def warning_text(kind: Warning, what: str) -> str:
    if kind is Warning.DR_SMALLER:
        return (
            "The DR-site flavor would be smaller than the production-site flavor "
            f"({escape(what)}); "
            "SDRS recommends DR >= production, or a failover runs on less capacity."
        )
    if kind is Warning.SAME_FLAVOR:
        return (
            f"The {SITE_LABEL[what]} server already has this flavor: nothing changes there "
            "(SDRS refuses a resize that changes nothing at all)."
        )
    if kind is Warning.DEDICATED_HOST_UNCHECKED:
        return unchecked_text(what)
    return (  # stored by earlier versions (a site on a DeH now keeps its host by default)
        f"The {SITE_LABEL[what]} server runs on a dedicated host but no host id was given "
        f"(add `{'production' if what == 'production' else 'dr'}-host=&lt;DeH id&gt;`)."
    )


def refusal_text(check: Preflight) -> str:
    """Why the resize cannot be asked for now, and what to do about it."""
    subject = escape(check.subject)
    if check.refusal is Refusal.GROUP_STATUS:
        return (
            f"Protection group `{subject}` is `{escape(check.status)}`; a resize needs it "
            "`available` or `protected`. Wait until it is, then ask again."
        )
    if check.refusal is Refusal.INSTANCE_STATUS:
        return (
            f"Protected instance `{subject}` is `{escape(check.status)}`; SDRS resizes only "
            "`available`, `protected` or `error-resizing` instances."
        )
    if check.refusal is Refusal.SERVER_RUNNING:
        return (
            f"{SITE_SERVER[check.site]} `{subject}` is {escape(check.status)}; it must be "
            "stopped (SHUTOFF) before resizing. Stop it, then ask again"
            + (
                ", or add `power=stop-start`: the bot stops it, resizes, and starts it again."
                if check.status == "ACTIVE"
                else "."
            )
        )
    if check.refusal is Refusal.SERVER_MISSING:
        return (
            f"The {SITE_LABEL.get(check.site, check.site)} server `{subject}` of this "
            "protected instance could not be read from ECS."
        )
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
    return (
        f"`{escape(check.status)}` is not a flavor the {SITE_LABEL[check.site]} server "
        f"`{subject}` can be resized to." + (f" Closest valid flavors: {hint}." if hint else "")
    )


def prepaid_text(check: Preflight) -> str:
    return (
        f"The {SITE_LABEL.get(check.site, check.site)} server `{escape(check.subject)}` is "
        "billed yearly/monthly; SDRS does not resize such servers (SDRS.1376). Change its "
        "flavor in the ECS console (or switch it to pay-per-use first), then ask again."
    )


def no_change_text(check: Preflight) -> str:
    return (
        f"Every server of protected instance `{escape(check.instance_name)}` that this resize "
        f"touches already has the flavor asked for (`{escape(check.status)}`), so nothing would "
        "change and SDRS would refuse it (SDRS.1341). Ask for a different flavor."
    )


def refused_text(n: PreflightRefused) -> str:
    """The refusal, privately: at the request nothing was posted; at Confirm the confirmation
    stays open."""
    if n.at_confirm:
        return (
            f":no_entry: Not sent: {refusal_text(n.check)} The confirmation stays open until it "
            "expires; click Confirm again once this is fixed."
        )
    return f":no_entry: {refusal_text(n.check)} Nothing was posted or sent to SDRS."


def changed_text(sites: list[str]) -> str:
    which = " and ".join(SITE_LABEL[s] for s in sites)
    return (
        f":warning: The {which} changed since this was requested (another server, flavor or "
        "dedicated host now), so what this confirmation shows is out of date. Nothing was sent "
        "to SDRS; ask again to see the current state."
    )
