"""What the preflight says when capacity refuses a resize: a flavor not sold in the server's
availability zone, and a resize past the project's ECS quota (:mod:`bot.core.capacity`)."""

from __future__ import annotations

from bot.core.capacity import NOT_LISTED, SOLD_OUT, WITHDRAWN, Shortfall
from bot.core.preflight import Preflight
from handlers.i18n import N_, _, ngettext
from handlers.messages.text import SITE_LABEL, escape

ZONE_STATUS = {
    SOLD_OUT: N_("is sold out"),
    WITHDRAWN: N_("has been withdrawn"),
    NOT_LISTED: N_("is not offered"),
}


def not_in_zone_text(check: Preflight) -> str:
    known = ZONE_STATUS.get(check.zone_status)
    state = (
        _(known)
        if known is not None
        else _("is `{status}`").format(status=escape(check.zone_status))
    )
    hint = ", ".join(f"`{escape(s)}`" for s in check.suggestions)
    site = SITE_LABEL.get(check.site)
    text = _(
        "`{flavor}` {state} in availability zone `{zone}`, where the {site} server `{server}` "
        "runs; SDRS would refuse the resize (SDRS.1379)."
    ).format(
        flavor=escape(check.status),
        state=state,
        zone=escape(check.zone),
        site=_(site) if site is not None else escape(check.site),
        server=escape(check.subject),
    )
    if hint:
        return text + _(" Closest flavors sold there: {flavors}.").format(flavors=hint)
    return text + _(" ECS lists no other flavor this server may be resized to there.")


def _amount(resource: str, value: int) -> str:
    if resource == "cores":
        return ngettext("{n} vCPU", "{n} vCPUs", value).format(n=value)
    return _("{n} GiB of RAM").format(n=f"{value / 1024:g}")


def _shortfall(s: Shortfall) -> str:
    return _(
        "{needed} more, but the project uses {used} of its {limit} quota ({free} free)"
    ).format(
        needed=_amount(s.resource, s.needed),
        used=_amount(s.resource, s.used),
        limit=_amount(s.resource, s.limit),
        free=_amount(s.resource, s.free),
    )


def quota_text(check: Preflight) -> str:
    needs = _("; and ").join(_shortfall(s) for s in check.shortfalls)
    return _(
        "Resizing protected instance `{instance}` needs {needs}, counting every resized site in "
        "this project. ECS would refuse the resize. Ask for a smaller flavor, or have the ECS "
        "quota raised, then ask again."
    ).format(instance=escape(check.instance_name), needs=needs)
