"""An operation named and spelled out: the summary a confirmation shows (which server goes
from which flavor to which, or which drill gets which name), and the one-line headline and
subject that notifications, reports and listings use."""

from __future__ import annotations

from bot.core.facts import FlavorFacts, LegacyFacts, OperationFacts, RenameFacts, ResizeFacts
from bot.core.preflight import Warning
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
    return f"account `{escape(facts.account)}`{region}"


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
    text = f"{text}\n*Cloud:* {account}" if account else text
    if isinstance(facts, ResizeFacts) and facts.schedule is not None:
        text += f"\n*When:* {schedule_when_text(facts.schedule)}"
    return text


def headline(facts: OperationFacts) -> str:
    """One line naming the operation (mrkdwn, escaped), for notifications and lists."""
    match facts:
        case ResizeFacts():
            name = escape(facts.instance_name or facts.instance_id)
            flavors = ", ".join(
                f"{SITE_LABEL[c.site]} `{escape(c.current.id)}` → `{escape(c.new.id)}`"
                for c in facts.changes
            )
            line = f"Resize protected instance `{name}`" + (f" ({flavors})" if flavors else "")
        case RenameFacts():
            old = f"`{escape(facts.current_name)}`" if facts.current_name else "a drill"
            line = f"Rename DR drill {old} → `{escape(facts.new_name)}`"
        case LegacyFacts():
            return facts.summary.split("\n", 1)[0].replace("*", "")
    account = account_of(facts)
    return f"{line} in {account}" if account else line


def subject(facts: OperationFacts) -> str:
    """What the operation acts on, briefly (mrkdwn, escaped): "resize of `erp-db`"."""
    match facts:
        case ResizeFacts():
            what = f"resize of `{escape(facts.instance_name or facts.instance_id)}`"
        case RenameFacts():
            what = f"rename of drill `{escape(facts.current_name or facts.drill_id)}`"
        case LegacyFacts():
            return headline(facts)
    account = account_of(facts)
    return f"{what} in {account}" if account else what


def current_flavors(facts: OperationFacts) -> dict[str, str]:
    """site -> the flavor it had when the resize was confirmed (empty for anything else)."""
    if isinstance(facts, ResizeFacts):
        return {c.site: c.current.id for c in facts.changes}
    return {}


def describe_rename(facts: RenameFacts) -> str:
    old = f"`{escape(facts.current_name)}`" if facts.current_name else "_(current name not read)_"
    in_group = f" in protection group `{escape(facts.group_name)}`" if facts.group_name else ""
    return (
        f"*Rename DR drill* `{escape(facts.drill_id)}`{in_group}\n{old} → "
        f"`{escape(facts.new_name)}`"
    )


def flavor_text(flavor: FlavorFacts) -> str:
    size = f" ({flavor.vcpus} vCPU, {flavor.ram / 1024:g} GiB)" if flavor.vcpus else ""
    return f"`{escape(flavor.id)}`{size}"


def describe_resize(facts: ResizeFacts) -> str:
    """The confirmation text: which physical server at which site goes from which flavor to
    which, on which dedicated host, and the warnings to read before confirming."""
    name = escape(facts.instance_name or facts.instance_id)
    group = f", group `{escape(facts.group_name)}`" if facts.group_name else ""
    lines = [f"*Resize protected instance* `{name}` (`{escape(facts.instance_id)}`{group})"]
    for change in facts.changes:
        on_host = placement_text(change)
        server = escape(change.server_name or change.server_id)
        power = _power_note(facts, change.power)
        lines.append(
            f"• {SITE_LABEL[change.site]}, server `{server}`: {flavor_text(change.current)} → "
            f"{flavor_text(change.new)}{on_host}{power}"
        )
    if facts.one_flavor:
        lines.append("_One flavor for both sites (flavorRef)._")
    if facts.stop_start:
        running = [
            escape(c.server_name or c.server_id) for c in facts.changes if c.power == "ACTIVE"
        ]
        how = "a hard power-off" if facts.hard_stop else "a soft shut-down"
        lines.append(
            f"*Stop-resize-start:* stops {', '.join(f'`{r}`' for r in running) or 'nothing'} "
            f"({how}), resizes once, then starts again exactly the "
            f"{'server' if len(running) == 1 else 'servers'} it stopped - also if "
            "the resize fails. Each step is reported in the thread."
        )
    lines += [f":warning: {warning_text(Warning(w.kind), w.what)}" for w in facts.warnings]
    return "\n".join(lines)


def _power_note(facts: ResizeFacts, power: str | None) -> str:
    if not power:
        return ""
    if facts.stop_start and power == "ACTIVE":
        return " · running now: stopped, resized, started again"
    return " · stopped" if power == "SHUTOFF" else f" · {escape(power)}"
