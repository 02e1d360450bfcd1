"""All Block Kit and all user-facing text of the Slack flow, in one place.

Builders are pure: data in, ``slack_sdk.models.blocks`` out (as dicts, ready for the Web API).
User-supplied values are escaped for mrkdwn (``&``, ``<``, ``>``) so a drill name cannot ping
``@channel`` or forge a link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.core.errors import ApiError, OutcomeUnknownError, ParseError
from bot.core.intents import USAGE, RenameDrillIntent
from bot.core.policy import Denial
from bot.store.audit import HistoryEntry

CONFIRM_ACTION = "sdrs_confirm"
CANCEL_ACTION = "sdrs_cancel"
SITE_LABEL = {"production": "production site", "dr": "DR site"}

DENIAL_TEXT = {
    Denial.CHANNEL: "This operation cannot be requested in this channel.",
    Denial.USER: "You are not on the list of people who may request this operation.",
    Denial.NOT_REQUESTER: "Only the person who asked for this operation can confirm it.",
    Denial.SELF_APPROVAL: (
        "Two-person rule: someone other than the requester must confirm this operation."
    ),
    Denial.NOT_APPROVER: "Only an approver can confirm this operation.",
}

HELP_TEXT = {
    None: (
        "*sdrs-bot* changes Huawei Cloud SDRS resources after a button confirmation.\n"
        f"```{USAGE['general']}```\n"
        "`/sdrs help resize` and `/sdrs help drill` tell more; `/sdrs resize` and "
        "`/sdrs drill rename` alone open a form."
    ),
    "resize": (
        "*Resize a protected instance* (the servers being resized must be stopped; the "
        "protection group must be available/protected; the instance "
        "available/protected/error-resizing).\n"
        f"```{USAGE['resize']}```\n"
        "One flavor resizes both sites; `production=`/`dr=` resize one site each. "
        "`production-host=`/`dr-host=` give a dedicated host for a site on DeH."
    ),
    "drill": (
        "*Rename a DR drill.* Names: at most 64 bytes (a Chinese character takes 3), only "
        "Chinese characters, a-z, A-Z, 0-9, `.`, `_`, `-`. Quote a name if you like.\n"
        f"```{USAGE['drill']}```"
    ),
}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


OPEN_RESIZE_ACTION = "sdrs_open_resize"
OPEN_RENAME_ACTION = "sdrs_open_rename"


def help_blocks(topic: str | None) -> list[dict[str, Any]]:
    """The help text, with buttons that open the resize and rename forms."""
    buttons = ActionsBlock(
        block_id="sdrs_help_forms",
        elements=[
            ButtonElement(text="Resize...", action_id=OPEN_RESIZE_ACTION, value="resize"),
            ButtonElement(text="Rename a drill...", action_id=OPEN_RENAME_ACTION, value="rename"),
        ],
    )
    return _dicts([_md(HELP_TEXT.get(topic, HELP_TEXT[None])), buttons])


def parse_error_blocks(error: ParseError) -> list[dict[str, Any]]:
    return _dicts(
        [
            _md(f":warning: {escape(error.problem)}"),
            _md(f"Write it like this:\n```{error.usage}```"),
        ]
    )


def denial_text(denial: Denial) -> str:
    return DENIAL_TEXT[denial]


def describe_rename(
    intent: RenameDrillIntent, current_name: str | None, group: str | None = None
) -> str:
    old = f"`{escape(current_name)}`" if current_name else "_(current name not read)_"
    in_group = f" in protection group `{escape(group)}`" if group else ""
    return f"*Rename DR drill* `{intent.drill_id}`{in_group}\n{old} → `{escape(intent.name)}`"


def confirmation_blocks(
    *, op_id: str, summary: str, requester: str, expires_at: datetime, two_person: bool
) -> list[dict[str, Any]]:
    """The channel message: the intent spelled out, Confirm (primary) and Cancel. The buttons
    carry only the opaque operation id."""
    who = "an approver other than the requester" if two_person else f"<@{requester}>"
    confirm = ButtonElement(
        text="Confirm",
        action_id=CONFIRM_ACTION,
        value=op_id,
        style="primary",
        confirm=ConfirmObject(
            title="Change SDRS now?",
            text="This calls the SDRS API on the real cloud.",
            confirm="Yes, do it",
            deny="Back",
        ),
    )
    cancel = ButtonElement(text="Cancel", action_id=CANCEL_ACTION, value=op_id)
    return _dicts(
        [
            _md(summary),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Requested by <@{requester}> · confirmable by {who} · expires "
                        f"<!date^{int(expires_at.timestamp())}^{{time}}|{expires_at:%H:%M} UTC>"
                    )
                ]
            ),
            ActionsBlock(block_id=f"sdrs_op_{op_id}", elements=[confirm, cancel]),
        ]
    )


def outcome_blocks(summary: str, outcome: str) -> list[dict[str, Any]]:
    """The confirmation message after the decision: buttons replaced by the outcome."""
    return _dicts([_md(summary), ContextBlock(elements=[MarkdownTextObject(text=outcome)])])


def confirmed_text(user: str, when: datetime) -> str:
    return f":white_check_mark: Confirmed by <@{user}> at {when:%Y-%m-%d %H:%M:%S} UTC"


def cancelled_text(user: str) -> str:
    return f":no_entry_sign: Cancelled by <@{user}>"


def expired_text() -> str:
    return ":hourglass: Expired - nothing was sent to SDRS. Ask again if it is still needed."


def submitted_text(job_id: str) -> str:
    return f"Submitted to SDRS, job `{job_id}`. I will report here when it finishes."


def renamed_text(name: str) -> str:
    return f":white_check_mark: Drill renamed to `{escape(name)}`."


def cloud_error_text(error: Exception) -> str:
    """A readable SDRS/ECS failure for the thread: code and message, never a traceback."""
    if isinstance(error, OutcomeUnknownError):
        return (
            f":warning: No reliable answer from SDRS - it may or may not have acted. {error.hint}"
        )
    if isinstance(error, ApiError):
        rid = f" (request id `{error.request_id}`)" if error.request_id else ""
        hint = CODE_HINTS.get(error.code, "")
        return f":x: SDRS refused: *{error.code}* - {escape(error.message)}{rid}{hint}"
    return f":x: Could not reach SDRS: {escape(str(error))}"


# What to do about the refusals an operator meets most (codes from the SDRS error-code list).
CODE_HINTS = {
    "SDRS.0202": (
        "\nDrill names: at most 64 bytes, only Chinese characters, a-z, A-Z, 0-9, `.`, `_`, `-`."
    ),
    "SDRS.1902": (
        "\nNo drill has that id in this project: `/sdrs drill rename` alone opens a form to "
        "pick one by name."
    ),
    "SDRS.1320": (
        "\nNo protected instance has that id in this project: `/sdrs resize` alone opens a "
        "form to pick one by name."
    ),
}


def fallback_text(summary: str) -> str:
    """The notification text for a message whose content is in blocks."""
    return summary.replace("*", "").split("\n", 1)[0] + " - waiting for confirmation"


def same_name_text(name: str) -> str:
    return f"The drill is already named `{escape(name)}`; nothing to change."


def not_posted_text(error: str) -> str:
    if error in ("not_in_channel", "channel_not_found"):
        return (
            "I cannot post the confirmation in this channel. Invite me first "
            "(`/invite @sdrs-bot`), then ask again. Nothing was sent to SDRS."
        )
    return f"I could not post the confirmation (Slack said `{error}`). Nothing was sent to SDRS."


def unknown_operation_text() -> str:
    return "This confirmation is not known to me (it may belong to another installation)."


def foreign_operation_text() -> str:
    return "This confirmation belongs to another channel; nothing was changed."


def already_decided_text(state: str, by: str | None) -> str:
    who = f" by <@{by}>" if by else ""
    if state == "expired":
        return "This confirmation has expired; nothing was sent to SDRS. Ask again if needed."
    if state == "stale":
        return (
            "This confirmation is out of date (the cloud changed since it was requested); "
            "nothing was sent to SDRS. Ask again to see the current state."
        )
    return f"This operation was already {state}{who}; nothing more was done."


# ---- job reports ---------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def final_report_text(
    *,
    requester: str,
    confirmer: str | None = None,
    instance_id: str,
    job_id: str,
    job_type: str | None,
    status: str,
    seconds: float,
    sites: dict[str, str],
    error_code: str | None,
    fail_reason: str | None,
    failed_sub_jobs: list[tuple[str, str | None, str | None, str | None]],
) -> str:
    """The thread report when a job ends. ``failed_sub_jobs``: (id, type, code, reason)."""
    who = f", confirmed by <@{confirmer}>" if confirmer and confirmer != requester else ""
    head = (
        f"resize of `{instance_id}` (job `{job_id}`, {job_type or 'job'}, "
        f"{duration_text(seconds)}{who})"
    )
    if status == "SUCCESS":
        flavors = ", ".join(f"{SITE_LABEL[s]} → `{escape(f)}`" for s, f in sites.items())
        return f":white_check_mark: <@{requester}> SUCCESS: {head}. New flavors: {flavors}."
    lines = [f":x: <@{requester}> FAIL: {head}."]
    if error_code or fail_reason:
        lines.append(
            f"*{escape(error_code or 'no code')}* - {escape(fail_reason or 'no reason given')}"
        )
    for sub_id, sub_type, code, reason in failed_sub_jobs:
        detail = " - ".join(escape(x) for x in (code, reason) if x)
        lines.append(f"• sub-job `{sub_id}` ({sub_type or 'sub-job'}) failed: {detail}")
    return "\n".join(lines)


def final_outcome_text(confirmed_line: str, job_id: str, status: str) -> str:
    mark = ":white_check_mark:" if status == "SUCCESS" else ":x:"
    return f"{confirmed_line} · job `{job_id}`: {mark} {status}"


def stuck_text(
    *, requester: str, job_id: str, seconds: float, status: str | None, stopped: bool
) -> str:
    state = status or "unknown"
    then = (
        "I stopped watching it: check it in the SDRS console."
        if stopped
        else "I keep watching and will report when it ends."
    )
    return (
        f":hourglass: <@{requester}> job `{job_id}` is still {state} after "
        f"{duration_text(seconds)}. {then}"
    )


def status_text(job_id: str, state: str, last_status: str | None, age_seconds: float) -> str:
    return (
        f"Job `{job_id}`: {last_status or 'not checked yet'} (tracking: {state}, submitted "
        f"{duration_text(age_seconds)} ago)."
    )


def jobs_text(lines: list[str]) -> str:
    if not lines:
        return "No SDRS jobs are being tracked in this channel."
    return "Jobs being tracked here:\n" + "\n".join(f"• {line}" for line in lines)


def unknown_job_text(job_id: str) -> str:
    return f"I am not tracking a job `{escape(job_id)}` (jobs are tracked from their confirmation)."


def interrupted_resize_text(instance_id: str) -> str:
    return (
        ":warning: I was restarted while sending this resize to SDRS, so I cannot tell whether "
        f"SDRS received it. Check protected instance `{instance_id}` (status `resizing`, or a "
        "new resize job) before asking again. I did not send it a second time."
    )


def interrupted_but_received_text(instance_id: str) -> str:
    return (
        ":warning: I was restarted while sending this resize, and SDRS did receive it: protected "
        f"instance `{instance_id}` is resizing. Its job id was lost with the restart, so I follow "
        "the instance and report here when it ends. I did not send it a second time."
    )


# ---- history -------------------------------------------------------------------------------

OUTCOME_MARK = {
    "SUCCESS": ":white_check_mark:",
    "renamed": ":white_check_mark:",
    "FAIL": ":x:",
    "submit-failed": ":x:",
    "rename-failed": ":x:",
    "interrupted": ":warning:",
    "still running": ":hourglass:",
    "submitted": ":arrows_counterclockwise:",
}


def history_line(entry: HistoryEntry) -> str:
    what = entry.summary.split("\n", 1)[0].replace("*", "")
    outcome = entry.outcome or entry.state
    mark = OUTCOME_MARK.get(outcome, ":white_small_square:")
    confirmed = (
        f", {entry.state} by <@{entry.decided_by}>"
        if entry.decided_by and entry.state in ("confirmed", "cancelled")
        else ""
    )
    job = f" · job `{entry.job_id}`" if entry.job_id else ""
    return (
        f"{mark} {entry.requested_at:%Y-%m-%d %H:%M} UTC · {what} · asked by "
        f"<@{entry.requester}>{confirmed} · *{escape(outcome)}*{job}"
    )


def history_text(entries: list[HistoryEntry]) -> str:
    if not entries:
        return "No SDRS operations have been requested in this channel yet."
    return f"Latest {len(entries)} operations in this channel:\n" + "\n".join(
        history_line(e) for e in entries
    )


# ---- announcements (NOTIFY_ROUTES) ---------------------------------------------------------

ANNOUNCE_MARK = {
    "requested": ":inbox_tray:",
    "confirmed": ":white_check_mark:",
    "cancelled": ":no_entry_sign:",
    "expired": ":hourglass:",
    "submitted": ":arrow_forward:",
    "finished": ":white_check_mark:",
    "failed": ":x:",
    "stuck": ":hourglass:",
}


def announce_text(
    kind: str,
    *,
    summary: str,
    channel: str,
    actor: str | None = None,
    job_id: str | None = None,
    detail: str = "",
) -> str:
    """One line for an audit/on-call channel: what, where, who, which job."""
    what = summary.split("\n", 1)[0].replace("*", "")
    by = f" by <@{actor}>" if actor else ""
    job = f" · job `{job_id}`" if job_id else ""
    more = f" · {detail}" if detail else ""
    return f"{ANNOUNCE_MARK.get(kind, '')} *{kind}*{by} in <#{channel}>: {what}{job}{more}".strip()
