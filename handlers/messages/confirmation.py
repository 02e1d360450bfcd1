"""The confirmation message: the operation spelled out, who may confirm it and until when,
its Confirm button (with the confirm dialog that states the change once more) and Cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.core.facts import LegacyFacts, OperationFacts, RenameFacts, ResizeFacts
from bot.core.policy import Policy
from bot.core.records import PendingOperation
from handlers.i18n import N_, _
from handlers.messages.operation import headline, summary
from handlers.messages.text import SITE_LABEL, Blocks, clip, dicts, md_section

CONFIRM_ACTION = "sdrs_confirm"
CANCEL_ACTION = "sdrs_cancel"
DIALOG_TAIL = N_("This calls the SDRS API on the real cloud.")  # msgid: _(DIALOG_TAIL)
DIALOG_TEXT_MAX = 300  # Slack: a confirm dialog's text is plain_text, at most 300 characters
APPROVERS_SHOWN = 10  # approvers named in a confirmation; the rest are counted


def confirmation(op: PendingOperation, policy: Policy) -> tuple[str, Blocks]:
    text = _("{operation} - waiting for confirmation").format(operation=headline(op.facts))
    return text, confirmation_blocks(
        op_id=op.id,
        summary=summary(op.facts),
        requester=op.requester,
        expires_at=op.expires_at,
        dialog=dialog(op.facts),
        approvers=approvers_text(policy, op.requester)
        if policy.approval_mode == "two-person"
        else None,
    )


def confirmation_blocks(
    *,
    op_id: str,
    summary: str,
    requester: str,
    expires_at: datetime,
    approvers: str | None = None,
    dialog: str = "",
) -> list[dict[str, Any]]:
    """The channel message: the intent spelled out, Confirm (primary) and Cancel. The buttons
    carry only the opaque operation id; the confirm dialog states the change once more
    (``dialog``: plain text, see :func:`dialog_text`)."""
    who = (
        _("{approvers} (not the requester)").format(approvers=approvers)
        if approvers
        else f"<@{requester}>"
    )
    confirm = ButtonElement(
        text=_("Confirm"),
        action_id=CONFIRM_ACTION,
        value=op_id,
        style="primary",
        confirm=ConfirmObject(
            title=_("Change SDRS now?"),
            text=PlainTextObject(text=dialog or dialog_text("")),
            confirm=_("Yes, do it"),
            deny=_("Back"),
        ),
    )
    cancel = ButtonElement(text=_("Cancel"), action_id=CANCEL_ACTION, value=op_id)
    return dicts(
        [
            md_section(summary),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=_(
                            "Requested by <@{requester}> · confirmable by {who} · expires {at}"
                        ).format(
                            requester=requester,
                            who=who,
                            at=f"<!date^{int(expires_at.timestamp())}^{{time}}|"
                            f"{expires_at:%H:%M} UTC>",
                        )
                    )
                ]
            ),
            ActionsBlock(block_id=f"sdrs_op_{op_id}", elements=[confirm, cancel]),
        ]
    )


def dialog(facts: OperationFacts) -> str:
    """The confirm dialog's text (plain text: nothing escaped; at most Slack's 300 characters,
    names shortened with "…"): what changes, and for a stop-resize-start which running servers
    it stops first."""

    def short(value: str, most: int) -> str:  # no "<...>" even in plain text: never a mention
        return clip(value.replace("<", "‹").replace(">", "›"), most)

    then = ""
    match facts:
        case ResizeFacts():
            flavors = ", ".join(
                f"{_(SITE_LABEL[c.site])} {short(c.current.id, 20)} → {short(c.new.id, 20)}"
                for c in facts.changes
            )
            what = _("Resize protected instance {name}").format(
                name=short(facts.instance_name or facts.instance_id, 40)
            )
            what += f": {flavors}" if flavors else ""
            if facts.stop_start:
                active = [c for c in facts.changes if c.power == "ACTIVE"]
                running = [short(c.server_name or c.server_id, 24) for c in active]
                how = _("powered off") if facts.hard_stop else _("shut down")
                then = (
                    _(
                        "Running servers are stopped first ({how}): {servers}; "
                        "started again after the resize."
                    ).format(how=how, servers=", ".join(running))
                    if running
                    else _("Stop and start again: no server runs now, so none is stopped.")
                )
        case RenameFacts():
            old = short(facts.current_name or facts.drill_id, 40)
            what = _("Rename DR drill {old} → {new}").format(old=old, new=short(facts.new_name, 40))
        case LegacyFacts():
            what = ""
    if what and not isinstance(facts, LegacyFacts) and facts.account:
        what += _(" (account {account})").format(account=short(facts.account, 32))
    return dialog_text(what, then)


def dialog_text(what: str, then: str = "") -> str:
    """The confirm dialog's text (plain text, never over Slack's 300): ``what`` changes
    (shortened with "…" if need be), ``then`` what else happens (kept whole), and that it acts
    on the real cloud."""
    tail = f"{then}\n{_(DIALOG_TAIL)}" if then else _(DIALOG_TAIL)
    if not what:
        return clip(tail, DIALOG_TEXT_MAX)
    return f"{clip(what, DIALOG_TEXT_MAX - len(tail) - 1)}\n{tail}"


def approvers_text(policy: Policy, requester: str | None = None) -> str:
    """Who may confirm in two-person mode, mentioned: "<@U1>, <@U2> or <!subteam^S1>" - never
    the ``requester`` (who may not confirm their own request, even when an approver)."""
    users = [f"<@{u}>" for u in sorted(policy.approvers) if u != requester]
    groups = [f"<!subteam^{g}>" for g in sorted(policy.approver_groups)]
    names = users + groups
    if not names and policy.approvers:  # the requester is the only approver named
        return _("no other approver (ask the bot's admins to name one)")
    if not names:
        return _("an approver")
    if len(names) > APPROVERS_SHOWN:  # a long list stays short (Slack's context: 3,000)
        shown = (groups + users)[:APPROVERS_SHOWN]  # a group stands for many: groups first
        return _("{names} … or {more} more").format(
            names=", ".join(shown), more=len(names) - APPROVERS_SHOWN
        )
    if len(names) == 1:
        return names[0]
    return _("{names} or {last}").format(names=", ".join(names[:-1]), last=names[-1])
