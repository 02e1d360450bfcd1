"""What the preflight says when capacity refuses a resize: a flavor not sold in the server's
availability zone, and a resize past the project's ECS quota (:mod:`bot.core.capacity`)."""

from __future__ import annotations

from bot.core.capacity import NOT_LISTED, SOLD_OUT, WITHDRAWN, Shortfall
from bot.core.preflight import Preflight
from handlers.messages.text import SITE_LABEL, escape

ZONE_STATUS = {
    SOLD_OUT: "is sold out",
    WITHDRAWN: "has been withdrawn",
    NOT_LISTED: "is not offered",
}


def not_in_zone_text(check: Preflight) -> str:
    state = ZONE_STATUS.get(check.zone_status, f"is `{escape(check.zone_status)}`")
    hint = ", ".join(f"`{escape(s)}`" for s in check.suggestions)
    return (
        f"`{escape(check.status)}` {state} in availability zone `{escape(check.zone)}`, where "
        f"the {SITE_LABEL.get(check.site, check.site)} server `{escape(check.subject)}` runs; "
        "SDRS would refuse the resize (SDRS.1379)."
        + (
            f" Closest flavors sold there: {hint}."
            if hint
            else " ECS lists no other flavor this server may be resized to there."
        )
    )


def _amount(resource: str, value: int) -> str:
    if resource == "cores":
        return f"{value} vCPU{'' if value == 1 else 's'}"
    return f"{value / 1024:g} GiB of RAM"


def _shortfall(s: Shortfall) -> str:
    return (
        f"{_amount(s.resource, s.needed)} more, but the project uses "
        f"{_amount(s.resource, s.used)} of its {_amount(s.resource, s.limit)} quota "
        f"({_amount(s.resource, s.free)} free)"
    )


def quota_text(check: Preflight) -> str:
    needs = "; and ".join(_shortfall(s) for s in check.shortfalls)
    return (
        f"Resizing protected instance `{escape(check.instance_name)}` needs {needs}, counting "
        "every resized site in this project. ECS would refuse the resize. Ask for a smaller "
        "flavor, or have the ECS quota raised, then ask again."
    )
