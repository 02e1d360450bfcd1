"""What a request or click that cannot go ahead is told, privately: a command that does not
parse, a denial by the policy, a name that matches nothing (or several), no cloud account for
the channel, a confirmation Slack did not take, and the bot's own trouble (its database, a
command that kept failing). Cloud failures: :mod:`handlers.messages.cloud`."""

from __future__ import annotations

from typing import Any

from bot.core.errors import ParseError
from bot.core.notices import Denied, NameUnresolved, NoAccount, NotHandled, NotPosted, SameName
from bot.core.policy import Denial
from handlers.messages.text import dicts, escape, md_section

DENIAL_TEXT = {
    Denial.CHANNEL: "This operation cannot be requested in this channel.",
    Denial.USER: "You are not on the list of people who may request this operation.",
    Denial.NOT_REQUESTER: "Only the person who asked for this operation can confirm it.",
    Denial.SELF_APPROVAL: (
        "Two-person rule: someone other than the requester must confirm this operation."
    ),
    Denial.NOT_APPROVER: "Only an approver can confirm this operation.",
    Denial.CANCEL_NOT_REQUESTER: "Only the person who asked for this operation can cancel it.",
    Denial.CANCEL_NOT_APPROVER: (
        "Only the person who asked for this operation or an approver can cancel it."
    ),
}


def parse_error_blocks(error: ParseError) -> list[dict[str, Any]]:
    return dicts(
        [
            md_section(f":warning: {escape(error.problem)}"),
            md_section(f"Write it like this:\n```{escape(error.usage)}```"),
        ]
    )


def denied_text(n: Denied) -> str:
    return DENIAL_TEXT[n.denial]


def same_name_text(n: SameName) -> str:
    return f"The drill is already named `{escape(n.name)}`; nothing to change."


def name_unresolved_text(n: NameUnresolved) -> str:
    if n.several:
        head = f"Several {n.what}s are named `{escape(n.name)}`; give the id of the one you mean:"
    else:
        head = f"No {n.what} is named `{escape(n.name)}`."
        if n.candidates:
            head += " Names that come close:"
    lines = [f":mag: {head}"]
    lines += [f"• `{escape(name)}` (`{escape(id_)}`)" for name, id_ in n.candidates]
    form = "`/sdrs resize`" if n.what == "protected instance" else "`/sdrs drill rename`"
    lines.append(f"Nothing was posted or sent to SDRS. {form} alone opens a form to pick one.")
    return "\n".join(lines)


def no_account_text(n: NoAccount) -> str:
    names = ", ".join(f"`{escape(a)}`" for a in n.available)
    if n.reason == "unbound":
        return (
            ":no_entry: This channel is not bound to any cloud account, so nothing can be "
            "changed from here. Ask the bot's admins to add it to a binding in the accounts "
            "file, or use a channel that is bound to one."
        )
    if n.reason == "not-here":
        return (
            f":no_entry: Account `{escape(n.asked)}` is not bound to this channel. Accounts "
            f"here: {names}. Add `account=NAME` with one of them; nothing was posted or sent."
        )
    return (
        f":question: This channel acts on several accounts ({names}); say which one with "
        "`account=NAME`, e.g. `/sdrs resize web-01 s6.large.2 account="
        f"{escape(n.available[0])}`. Nothing was posted or sent."
    )


def not_posted_text(n: NotPosted) -> str:
    if n.error in ("not_in_channel", "channel_not_found"):
        return (
            "I cannot post the confirmation in this channel. Invite me first "
            "(`/invite @sdrs-bot`), then ask again. Nothing was sent to SDRS."
        )
    return (
        f"I could not post the confirmation (Slack said `{escape(n.error)}`). Nothing was sent "
        "to SDRS."
    )


def store_unavailable_text() -> str:
    return (
        ":warning: I am temporarily unable to take this (my database is not accepting changes); "
        "nothing was done. Try again in a minute."
    )


def not_handled_text(n: NotHandled) -> str:
    return (
        f":x: I could not handle this after {n.attempts} tries and stopped trying. Check "
        "`/sdrs history` to see whether anything was done before asking again."
    )
