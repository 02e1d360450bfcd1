"""An operation named and spelled out: the summary a confirmation shows (which server goes
from which flavor to which, or which drill gets which name), and the one-line headline and
subject that notifications, reports and listings use."""

from __future__ import annotations

from bot.core.facts import FlavorFacts, LegacyFacts, OperationFacts, RenameFacts, ResizeFacts
from bot.core.preflight import Warning
from handlers.i18n import _, ngettext
from handlers.messages.dedicated_hosts import placement_text
from handlers.messages.preflight import warning_text
from handlers.messages.text import SITE_LABEL, escape
from handlers.messages.windows import schedule_when_text


def account_of(facts: OperationFacts) -> str:
    """The cloud account an operation acts on (mrkdwn, escaped), "" before accounts existed:
    "account `prod-cn` (cn-north-4)"."""
    if isinstance(facts, LegacyFacts) or not facts.account:
        return ""
    region = f" ({escape(facts.region)})" if facts.region else ""
    return _("account `{account}`{region}").format(account=escape(facts.account), region=region)


def summary(facts: OperationFacts) -> str:
    """The operation spelled out (mrkdwn), as the confirmation shows it."""
    match facts:
        case ResizeFacts():
            text = describe_resize(facts)
        case RenameFacts():
            text = describe_rename(facts)
        case LegacyFacts():
            return facts.summary
    account = account_of(facts)
    text = _("{text}\n*Cloud:* {account}").format(text=text, account=account) if account else text
    if isinstance(facts, ResizeFacts) and facts.schedule is not None:
        text += _("\n*When:* {when}").format(when=schedule_when_text(facts.schedule))
    return text


def headline(facts: OperationFacts) -> str:
    """One line naming the operation (mrkdwn, escaped), for notifications and lists."""
    match facts:
        case ResizeFacts():
            name = escape(facts.instance_name or facts.instance_id)
            flavors = ", ".join(
                f"{_(SITE_LABEL[c.site])} `{escape(c.current.id)}` → `{escape(c.new.id)}`"
                for c in facts.changes
            )
            line = _("Resize protected instance `{name}`").format(name=name) + (
                f" ({flavors})" if flavors else ""
            )
        case RenameFacts():
            old = f"`{escape(facts.current_name)}`" if facts.current_name else _("a drill")
            line = _("Rename DR drill {old} → `{new}`").format(old=old, new=escape(facts.new_name))
        case LegacyFacts():
            return facts.summary.split("\n", 1)[0].replace("*", "")
    account = account_of(facts)
    return (
        _("{operation} in {account}").format(operation=line, account=account) if account else line
    )


def subject(facts: OperationFacts) -> str:
    """What the operation acts on, briefly (mrkdwn, escaped): "resize of `erp-db`"."""
    match facts:
        case ResizeFacts():
            what = _("resize of `{name}`").format(
                name=escape(facts.instance_name or facts.instance_id)
            )
        case RenameFacts():
            what = _("rename of drill `{name}`").format(
                name=escape(facts.current_name or facts.drill_id)
            )
        case LegacyFacts():
            return headline(facts)
    account = account_of(facts)
    return (
        _("{operation} in {account}").format(operation=what, account=account) if account else what
    )


def current_flavors(facts: OperationFacts) -> dict[str, str]:
    """site -> the flavor it had when the resize was confirmed (empty for anything else)."""
    if isinstance(facts, ResizeFacts):
        return {c.site: c.current.id for c in facts.changes}
    return {}


def describe_rename(facts: RenameFacts) -> str:
    old = (
        f"`{escape(facts.current_name)}`" if facts.current_name else _("_(current name not read)_")
    )
    in_group = (
        _(" in protection group `{group}`").format(group=escape(facts.group_name))
        if facts.group_name
        else ""
    )
    return _("*Rename DR drill* `{drill}`{in_group}\n{old} → `{new}`").format(
        drill=escape(facts.drill_id), in_group=in_group, old=old, new=escape(facts.new_name)
    )


def flavor_text(flavor: FlavorFacts) -> str:
    size = f" ({flavor.vcpus} vCPU, {flavor.ram / 1024:g} GiB)" if flavor.vcpus else ""
    return f"`{escape(flavor.id)}`{size}"


def describe_resize(facts: ResizeFacts) -> str:
    """The confirmation text: which physical server at which site goes from which flavor to
    which, on which dedicated host, and the warnings to read before confirming."""
    name = escape(facts.instance_name or facts.instance_id)
    group = (
        _(", group `{group}`").format(group=escape(facts.group_name)) if facts.group_name else ""
    )
    lines = [
        _("*Resize protected instance* `{name}` (`{id}`{group})").format(
            name=name, id=escape(facts.instance_id), group=group
        )
    ]
    for change in facts.changes:
        on_host = placement_text(change)
        server = escape(change.server_name or change.server_id)
        power = _power_note(facts, change.power)
        lines.append(
            _("• {site}, server `{server}`: {current} → {new}{on_host}{power}").format(
                site=_(SITE_LABEL[change.site]),
                server=server,
                current=flavor_text(change.current),
                new=flavor_text(change.new),
                on_host=on_host,
                power=power,
            )
        )
    if facts.one_flavor:
        lines.append(_("_One flavor for both sites (flavorRef)._"))
    if facts.stop_start:
        running = [
            escape(c.server_name or c.server_id) for c in facts.changes if c.power == "ACTIVE"
        ]
        how = _("a hard power-off") if facts.hard_stop else _("a soft shut-down")
        lines.append(
            ngettext(
                "*Stop-resize-start:* stops {servers} ({how}), resizes once, then starts again "
                "exactly the server it stopped - also if the resize fails. Each step is "
                "reported in the thread.",
                "*Stop-resize-start:* stops {servers} ({how}), resizes once, then starts again "
                "exactly the servers it stopped - also if the resize fails. Each step is "
                "reported in the thread.",
                len(running),
            ).format(servers=", ".join(f"`{r}`" for r in running) or _("nothing"), how=how)
        )
    lines += [f":warning: {warning_text(Warning(w.kind), w.what)}" for w in facts.warnings]
    return "\n".join(lines)


def _power_note(facts: ResizeFacts, power: str | None) -> str:
    if not power:
        return ""
    if facts.stop_start and power == "ACTIVE":
        return _(" · running now: stopped, resized, started again")
    return _(" · stopped") if power == "SHUTOFF" else f" · {escape(power)}"
