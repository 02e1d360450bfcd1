"""What a request or click that cannot go ahead is told, privately: a command that does not
parse, a denial by the policy, a name that matches nothing (or several), no cloud account for
the channel, a confirmation Slack did not take, and the bot's own trouble (its database, a
command that kept failing). Cloud failures: :mod:`handlers.messages.cloud`."""

from __future__ import annotations

from typing import Any

from bot.core.errors import ParseError
from bot.core.notices import Denied, NameUnresolved, NoAccount, NotHandled, NotPosted, SameName
from bot.core.policy import Denial
from handlers.i18n import N_, _, tr
from handlers.messages.text import dicts, escape, md_section

DENIAL_TEXT = {  # msgids: _(DENIAL_TEXT[...])
    Denial.CHANNEL: N_("This operation cannot be requested in this channel."),
    Denial.USER: N_("You are not on the list of people who may request this operation."),
    Denial.NOT_REQUESTER: N_("Only the person who asked for this operation can confirm it."),
    Denial.SELF_APPROVAL: N_(
        "Two-person rule: someone other than the requester must confirm this operation."
    ),
    Denial.NOT_APPROVER: N_("Only an approver can confirm this operation."),
    Denial.CANCEL_NOT_REQUESTER: N_("Only the person who asked for this operation can cancel it."),
    Denial.CANCEL_NOT_APPROVER: N_(
        "Only the person who asked for this operation or an approver can cancel it."
    ),
}


def parse_error_blocks(error: ParseError) -> list[dict[str, Any]]:
    return dicts(
        [
            md_section(f":warning: {escape(parse_problem_text(error))}"),
            md_section(
                _("Write it like this:\n```{usage}```").format(
                    usage=escape(tr(error.usage_wording))
                )
            ),
        ]
    )


def parse_problem_text(error: ParseError) -> str:
    """What was wrong with the command (plain, not escaped), in the reader's language."""
    return tr(error.wording)


def denied_text(n: Denied) -> str:
    return _(DENIAL_TEXT[n.denial])


def same_name_text(n: SameName) -> str:
    return _("The drill is already named `{name}`; nothing to change.").format(name=escape(n.name))


def name_unresolved_text(n: NameUnresolved) -> str:
    instance = n.what == "protected instance"  # else a drill
    name = escape(n.name)
    if n.several:
        head = (
            _("Several protected instances are named `{name}`; give the id of the one you mean:")
            if instance
            else _("Several drills are named `{name}`; give the id of the one you mean:")
        ).format(name=name)
    else:
        head = (
            _("No protected instance is named `{name}`.")
            if instance
            else _("No drill is named `{name}`.")
        ).format(name=name)
        if n.candidates:
            head += _(" Names that come close:")
    lines = [f":mag: {head}"]
    lines += [f"• `{escape(name)}` (`{escape(id_)}`)" for name, id_ in n.candidates]
    form = "`/sdrs resize`" if instance else "`/sdrs drill rename`"
    lines.append(
        _("Nothing was posted or sent to SDRS. {form} alone opens a form to pick one.").format(
            form=form
        )
    )
    return "\n".join(lines)


def no_account_text(n: NoAccount) -> str:
    names = ", ".join(f"`{escape(a)}`" for a in n.available)
    if n.reason == "unbound":
        return _(
            ":no_entry: This channel is not bound to any cloud account, so nothing can be "
            "changed from here. Ask the bot's admins to add it to a binding in the accounts "
            "file, or use a channel that is bound to one."
        )
    if n.reason == "not-here":
        return _(
            ":no_entry: Account `{account}` is not bound to this channel. Accounts "
            "here: {names}. Add `account=NAME` with one of them; nothing was posted or sent."
        ).format(account=escape(n.asked), names=names)
    return _(
        ":question: This channel acts on several accounts ({names}); say which one with "
        "`account=NAME`, e.g. `/sdrs resize web-01 s6.large.2 account="
        "{first}`. Nothing was posted or sent."
    ).format(names=names, first=escape(n.available[0]))


def not_posted_text(n: NotPosted) -> str:
    if n.error in ("not_in_channel", "channel_not_found"):
        return _(
            "I cannot post the confirmation in this channel. Invite me first "
            "(`/invite @sdrs-bot`), then ask again. Nothing was sent to SDRS."
        )
    return _(
        "I could not post the confirmation (Slack said `{error}`). Nothing was sent to SDRS."
    ).format(error=escape(n.error))


def store_unavailable_text() -> str:
    return _(
        ":warning: I am temporarily unable to take this (my database is not accepting changes); "
        "nothing was done. Try again in a minute."
    )


def not_handled_text(n: NotHandled) -> str:
    return _(
        ":x: I could not handle this after {attempts} tries and stopped trying. Check "
        "`/sdrs history` to see whether anything was done before asking again."
    ).format(attempts=n.attempts)
