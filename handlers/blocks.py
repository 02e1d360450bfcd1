"""All Block Kit and all user-facing text of the Slack flow, in one place.

Builders are pure: data in, ``slack_sdk.models.blocks`` out (as dicts, ready for the Web API).
User-supplied values are escaped for mrkdwn (``&``, ``<``, ``>``) so a drill name cannot ping
``@channel`` or forge a link.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.core.errors import CloudError, ParseError
from bot.core.facts import (
    Announcement,
    Decided,
    FailureFacts,
    FinalReport,
    NotStarted,
    RenameFacts,
    RunbookEvent,
    ScheduleFacts,
    StuckReport,
)
from bot.core.intents import USAGE
from bot.core.notices import NameUnresolved, NoAccount, RunbookJob
from bot.core.policy import Denial, Policy
from bot.core.records import HistoryEntry, ScheduledOperation, TrackedJob
from bot.core.states import JobState
from handlers.links import SAFE_URL

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
    Denial.CANCEL_NOT_REQUESTER: "Only the person who asked for this operation can cancel it.",
    Denial.CANCEL_NOT_APPROVER: (
        "Only the person who asked for this operation or an approver can cancel it."
    ),
}


def escape(text: str) -> str:
    """Slack's rule for text: ``&``, ``<`` and ``>`` become entities, so nothing a user, the
    cloud or a usage line supplies is read as a mention, a link or a date."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def thread_link(url: str | None) -> str:
    """`` · <url|thread>``: the one link the bot writes itself, to an operation's thread; only
    a plain https URL from Slack (``&`` as ``&amp;``), else nothing."""
    if not url or not SAFE_URL.fullmatch(url):
        return ""
    return f" · <{url.replace('&', '&amp;')}|thread>"


HELP_TEXT = {
    None: (
        "*sdrs-bot* changes Huawei Cloud SDRS resources after a button confirmation.\n"
        f"```{escape(USAGE['general'])}```\n"
        "`/sdrs help resize` and `/sdrs help drill` tell more; `/sdrs resize` and "
        "`/sdrs drill rename` alone open a form."
    ),
    "resize": (
        "*Resize a protected instance* (the servers being resized must be stopped; the "
        "protection group must be available/protected; the instance "
        "available/protected/error-resizing).\n"
        f"```{escape(USAGE['resize'])}```\n"
        "One flavor resizes both sites; `production=`/`dr=` resize one site each. "
        "`production-host=`/`dr-host=` give a dedicated host for a site on DeH."
    ),
    "drill": (
        "*Rename a DR drill.* Names: at most 64 bytes (a Chinese character takes 3), only "
        "Chinese characters, a-z, A-Z, 0-9, `.`, `_`, `-`. Quote a name if you like.\n"
        f"```{escape(USAGE['drill'])}```"
    ),
}


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def md_section(text: str) -> SectionBlock:
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
    return _dicts([md_section(HELP_TEXT.get(topic, HELP_TEXT[None])), buttons])


def parse_error_blocks(error: ParseError) -> list[dict[str, Any]]:
    return _dicts(
        [
            md_section(f":warning: {escape(error.problem)}"),
            md_section(f"Write it like this:\n```{escape(error.usage)}```"),
        ]
    )


def denial_text(denial: Denial) -> str:
    return DENIAL_TEXT[denial]


def describe_rename(facts: RenameFacts) -> str:
    old = f"`{escape(facts.current_name)}`" if facts.current_name else "_(current name not read)_"
    in_group = f" in protection group `{escape(facts.group_name)}`" if facts.group_name else ""
    return (
        f"*Rename DR drill* `{escape(facts.drill_id)}`{in_group}\n{old} → "
        f"`{escape(facts.new_name)}`"
    )


def clip(text: str, most: int) -> str:
    """``text`` shortened on purpose to at most ``most`` characters, ending in "…" when cut."""
    return text if len(text) <= most else text[: max(most - 1, 0)] + "…"


DIALOG_TAIL = "This calls the SDRS API on the real cloud."
DIALOG_TEXT_MAX = 300  # Slack: a confirm dialog's text is plain_text, at most 300 characters


def dialog_text(what: str, then: str = "") -> str:
    """The confirm dialog's text (plain text, never over Slack's 300): ``what`` changes
    (shortened with "…" if need be), ``then`` what else happens (kept whole), and that it acts
    on the real cloud."""
    tail = f"{then}\n{DIALOG_TAIL}" if then else DIALOG_TAIL
    if not what:
        return clip(tail, DIALOG_TEXT_MAX)
    return f"{clip(what, DIALOG_TEXT_MAX - len(tail) - 1)}\n{tail}"


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
    who = f"{approvers} (not the requester)" if approvers else f"<@{requester}>"
    confirm = ButtonElement(
        text="Confirm",
        action_id=CONFIRM_ACTION,
        value=op_id,
        style="primary",
        confirm=ConfirmObject(
            title="Change SDRS now?",
            text=PlainTextObject(text=dialog or dialog_text("")),
            confirm="Yes, do it",
            deny="Back",
        ),
    )
    cancel = ButtonElement(text="Cancel", action_id=CANCEL_ACTION, value=op_id)
    return _dicts(
        [
            md_section(summary),
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


def slack_date(at: datetime) -> str:
    """A time Slack shows in each reader's own time zone (``<!date^...>``, built only here),
    with the UTC time as the fallback."""
    return (
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|"
        f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC>"
    )


NOT_STARTED_TEXT = {
    "preflight-refused": "the preflight refused it at the window's start",
    "changed": "a server or its flavor changed since it was approved",
    "too-short": "the window is shorter than its estimated duration",
    "missed": "too little of the window was left to finish it (the bot was down or late)",
    "window-gone": "its window is no longer configured",
}


def schedule_when_text(s: ScheduleFacts) -> str:
    """When a scheduled operation runs: "in window `nightly` (Sun 02:00-04:00 Asia/Shanghai):
    <start> to <end>", and what happens if it cannot start then."""
    where = (
        f"in window `{escape(s.window)}` ({escape(s.spec)})" if s.window else "at a one-off time"
    )
    then = "moved to the next window" if s.moves_on_miss else "not started, and reported here"
    return (
        f"{where}: from {slack_date(s.starts_at)} to {slack_date(s.ends_at)}; if it cannot "
        f"start and finish in it: {then}"
    )


def scheduled_outcome_text(s: ScheduleFacts) -> str:
    if s.state == "cancelled":
        return f":no_entry_sign: scheduled run cancelled by <@{s.by}>: nothing was sent to SDRS"
    if s.state == "not-started":
        why = NOT_STARTED_TEXT.get(s.reason or "", escape(s.reason or "unknown"))
        return f":warning: not started: {why}; nothing was sent to SDRS"
    return f":calendar: scheduled {schedule_when_text(s)}"


def not_started_text(n: NotStarted) -> str:
    why = NOT_STARTED_TEXT.get(n.reason, escape(n.reason))
    detail = f" ({escape(n.detail)})" if n.detail else ""
    window = f"window `{escape(n.window)}`" if n.window else "its one-off window"
    head = (
        f":warning: <@{n.requester}> the resize was *not started* in {window} "
        f"({slack_date(n.starts_at)} to {slack_date(n.ends_at)}): {why}{detail}. "
        "Nothing was sent to SDRS."
    )
    if n.next_starts_at and n.next_ends_at:
        return (
            f"{head} It moved to the next window: {slack_date(n.next_starts_at)} to "
            f"{slack_date(n.next_ends_at)}."
        )
    return f"{head} Ask again if it is still needed."


def scheduled_line(
    s: ScheduledOperation,
    subject: str,
    requester: str,
    approver: str | None,
    link: str | None = None,
) -> str:
    window = f"window `{escape(s.window)}`" if s.window else "one-off time"
    approved = f", approved by <@{approver}>" if approver and approver != requester else ""
    moves = " · moves to the next window if missed" if s.moves_on_miss else ""
    return (
        f"{subject} · {window}: starts {slack_date(s.starts_at)} · asked by "
        f"<@{requester}>{approved}{moves}{thread_link(link)}"
    )


RUNBOOK_STEP = {"stopping": "stopping", "resizing": "resizing", "starting": "starting again"}


def runbook_line(
    step: str, subject: str, requester: str, confirmer: str | None, link: str | None = None
) -> str:
    """A stop-resize-start under way, for /sdrs jobs."""
    confirmed = f", confirmed by <@{confirmer}>" if confirmer and confirmer != requester else ""
    now = escape(RUNBOOK_STEP.get(step, step))
    return (
        f"{subject} · stop-resize-start: {now} · asked by <@{requester}>{confirmed}"
        f"{thread_link(link)}"
    )


RUNBOOK_JOB_STATUS = {
    "submitted": "RUNNING",
    "success": "SUCCESS",
    "fail": "FAIL",
    "unknown": "outcome unknown",
}


def runbook_job_text(job: RunbookJob, subject: str, link: str | None = None) -> str:
    """The resize job of a stop-resize-start: its status, the runbook's step (or how it
    ended), who asked and confirmed, since when, and a link to its thread."""
    status = escape(RUNBOOK_JOB_STATUS.get(job.resize, job.resize))
    if job.step == "done":
        where = "stop-resize-start ended"
    else:
        where = f"stop-resize-start: {escape(RUNBOOK_STEP.get(job.step, job.step))}"
        status += " (watching)" if job.resize == "submitted" else ""
    op = job.op
    confirmed = (
        f", confirmed by <@{op.decided_by}>"
        if op.decided_by and op.decided_by != op.requester
        else ""
    )
    age = duration_text((job.now - job.started_at).total_seconds())
    return (
        f"{subject} · job `{escape(job.job_id)}`: *{status}* · {where} · asked by "
        f"<@{op.requester}>{confirmed} · started {age} ago{thread_link(link)}"
    )


def unknown_window_text(name: str, available: tuple[str, ...]) -> str:
    known = ", ".join(f"`{escape(n)}`" for n in available) if available else "none"
    return (
        f"There is no maintenance window `{escape(name)}` for this account (windows here: "
        f"{known}). Nothing was posted. Use `window=&lt;name&gt;` with one of them, or "
        "`when=2026-11-29T02:00+08:00` for a one-off time."
    )


def cannot_schedule_text(problem: str) -> str:
    return f"This cannot be scheduled: {escape(problem)}. Nothing was posted."


def not_cancellable_text(state: str, by: str | None) -> str:
    if state == "started":
        return "Too late to cancel: it has started (its window began and it was sent)."
    if state == "cancelled":
        return f"It was already cancelled{f' by <@{by}>' if by else ''}."
    return "It is not waiting for a window any more (it was not started); nothing to cancel."


APPROVERS_SHOWN = 10  # approvers named in a confirmation; the rest are counted


def approvers_text(policy: Policy, requester: str | None = None) -> str:
    """Who may confirm in two-person mode, mentioned: "<@U1>, <@U2> or <!subteam^S1>" - never
    the ``requester`` (who may not confirm their own request, even when an approver)."""
    users = [f"<@{u}>" for u in sorted(policy.approvers) if u != requester]
    groups = [f"<!subteam^{g}>" for g in sorted(policy.approver_groups)]
    names = users + groups
    if not names and policy.approvers:  # the requester is the only approver named
        return "no other approver (ask the bot's admins to name one)"
    if not names:
        return "an approver"
    if len(names) > APPROVERS_SHOWN:  # a long list stays short (Slack's context: 3,000)
        shown = (groups + users)[:APPROVERS_SHOWN]  # a group stands for many: groups first
        return f"{', '.join(shown)} … or {len(names) - APPROVERS_SHOWN} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def outcome_blocks(
    summary: str, outcome: str, *, cancel_op: str | None = None
) -> list[dict[str, Any]]:
    """The confirmation message after the decision: buttons replaced by the outcome (with
    ``cancel_op``, a Cancel button for an operation waiting for its window)."""
    parts: list[Block] = [
        md_section(summary),
        ContextBlock(elements=[MarkdownTextObject(text=outcome)]),
    ]
    if cancel_op:
        cancel = ButtonElement(
            text="Cancel",
            action_id=CANCEL_ACTION,
            value=cancel_op,
            style="danger",
            confirm=ConfirmObject(
                title="Cancel the scheduled run?",
                text=PlainTextObject(text="It will not run in its window."),
                confirm="Cancel it",
                deny="Back",
            ),
        )
        parts.append(ActionsBlock(block_id=f"sdrs_sched_{cancel_op}", elements=[cancel]))
    return _dicts(parts)


def confirmed_text(user: str, when: datetime) -> str:
    return f":white_check_mark: Confirmed by <@{user}> at {when:%Y-%m-%d %H:%M:%S} UTC"


def cancelled_text(user: str) -> str:
    return f":no_entry_sign: Cancelled by <@{user}>"


def withdrawn_text() -> str:
    return (
        ":no_entry_sign: Withdrawn by the bot: Slack did not confirm that this confirmation was "
        "posted, so it cannot be used. Nothing was sent to SDRS. Ask again if it is still needed."
    )


def expired_text() -> str:
    return ":hourglass: Expired - nothing was sent to SDRS. Ask again if it is still needed."


def submitted_text(job_id: str) -> str:
    return f"Submitted to SDRS, job `{escape(job_id)}`. I will report here when it finishes."


def renamed_text(name: str, unreadable: bool = False) -> str:
    if unreadable:
        return (
            f":white_check_mark: Drill renamed to `{escape(name)}`: SDRS's answer could not be "
            "read, so I read the drill, and it has the new name."
        )
    return f":white_check_mark: Drill renamed to `{escape(name)}`."


def cloud_error_text(error: Exception) -> str:
    """A readable SDRS/ECS failure: code and message, never a traceback."""
    if isinstance(error, CloudError):
        return failure_text(FailureFacts.of(error))
    return f":x: Could not reach SDRS: {from_cloud(str(error))}"


CLOUD_TEXT_MAX = 500  # of a message the cloud wrote: escaped, at most 2,500 (Slack: 4,000)
ID_MAX = 100  # of a code or request id the cloud sent


def from_cloud(text: str, most: int = CLOUD_TEXT_MAX) -> str:
    """Text the cloud sent, shortened on purpose and escaped for mrkdwn."""
    return escape(clip(text, most))


def failure_text(failure: FailureFacts, command: str = "", at: str = "") -> str:
    """A cloud failure, for the person who asked (``at`` request, confirm or thread: where it
    happened, so the reply says what to do again; ``command``: the /sdrs command)."""
    if failure.unavailable:
        return unavailable_text(failure, command, at)
    if failure.kind == "unknown":
        return (
            ":warning: No reliable answer from SDRS - it may or may not have acted. "
            f"{escape(failure.hint)}"
        )
    if failure.kind == "api":
        rid = (
            f" (request id `{from_cloud(failure.request_id, ID_MAX)}`)"
            if failure.request_id
            else ""
        )
        hint = CODE_HINTS.get(failure.code or "", "")
        code = from_cloud(failure.code or "error", ID_MAX)
        return f":x: SDRS refused: *{code}* - {from_cloud(failure.message)}{rid}{hint}"
    return f":x: Could not reach SDRS: {from_cloud(failure.message)}"


def unavailable_text(failure: FailureFacts, command: str = "", at: str = "") -> str:
    """Huawei Cloud was busy, failing or unreachable: say so, say exactly what became of the
    request, which command it was, and when to try again (Retry-After when the cloud gave it)."""
    code = f" `{from_cloud(failure.code, ID_MAX)}`" if failure.code else ""
    rid = f", request id `{from_cloud(failure.request_id, ID_MAX)}`" if failure.request_id else ""
    if failure.kind == "transport":
        why = "it could not be reached"
    elif failure.status == 429:
        why = f"it is limiting how often it is called (HTTP 429{code}{rid})"
    else:
        why = f"it answered HTTP {failure.status}{code}{rid}"
    sent = {
        "no": "Nothing was sent.",
        "not-done": "Nothing was changed.",
        "maybe": "It may or may not have been carried out: check before asking again.",
    }[failure.sent]
    seconds = failure.retry_after
    when = f"in {max(math.ceil(seconds), 1)} s" if seconds else "in a few minutes"
    cmd = f"`{escape(command)}`" if command else "it"
    then = {
        "request": f"Nothing was posted: run {cmd} again {when}.",
        "confirm": f"The confirmation stays open ({cmd}): click Confirm again {when}.",
        "thread": f"To try again {when}, ask again: {cmd}.",
    }.get(at, f"Try again {when}.")
    return f":warning: Huawei Cloud is unavailable right now: {why}. {sent} {then}"


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


def renamed_since_text(name: str) -> str:
    return (
        f":warning: The drill was renamed to `{escape(name)}` since this was requested, so "
        "what this confirmation shows is out of date. Nothing was sent to SDRS; ask again."
    )


def same_name_text(name: str) -> str:
    return f"The drill is already named `{escape(name)}`; nothing to change."


def not_posted_text(error: str) -> str:
    if error in ("not_in_channel", "channel_not_found"):
        return (
            "I cannot post the confirmation in this channel. Invite me first "
            "(`/invite @sdrs-bot`), then ask again. Nothing was sent to SDRS."
        )
    return (
        f"I could not post the confirmation (Slack said `{escape(error)}`). Nothing was sent "
        "to SDRS."
    )


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


_RUNBOOK = {  # {it}/{is}/...: one server is spoken of in the singular
    "stopping": ":double_vertical_bar: Stopping {servers} (SDRS resizes only stopped servers).",
    "stopped": "Stopped {servers}.",
    "nothing-to-stop": "Nothing to stop: {servers} {is} already off.",
    "stop-failed": ":x: ECS could not stop {servers}: {detail}. Nothing was resized.",
    "stop-refused": ":x: ECS refused to stop {servers}: {detail}. Nothing was changed.",
    "ended-before-stop": ":warning: Interrupted while asking ECS to stop {servers}: {it} {is} "
    "still running; nothing was changed.",
    "resize-submitted": "Resize submitted to SDRS, job `{detail}`.",
    "resized": ":white_check_mark: Resize SUCCESS.",
    "resized-seen": ":white_check_mark: The resize was done: {servers} {have} the new "
    "{flavors} (its answer was lost with a restart).",
    "resize-failed": ":x: The resize failed: {detail}.{again}",
    "resize-refused": ":x: The preflight refuses the resize now: {detail}. Nothing was "
    "resized.{again}",
    "resize-unknown-ended": ":warning: {detail}.",
    "stop-unreadable": ":warning: ECS took the stop of {servers} (HTTP 2xx), but its answer "
    "could not be read: following the servers to see whether they stop.",
    "resize-unreadable": ":warning: SDRS took the resize (HTTP 2xx), but its answer could not "
    "be read, so its job id is unknown: following the instance instead.",
    "start-unreadable": ":warning: ECS took the start of {servers} (HTTP 2xx), but its answer "
    "could not be read: following the servers to see whether they run again.",
    "starting": "Starting {servers} again.",
    "started": ":white_check_mark: {servers} running again.",
    "left-stopped": ":rotating_light: <@{requester}> {servers} {were} stopped by the bot and "
    "{are} NOT running ({detail}). Check {them} in the ECS console (status, and the server's "
    "event log if it is ERROR) and start {them} there or with the ECS API.",
}


_RUNBOOK_UNAVAILABLE = {
    "stop-refused": ":warning: Huawei Cloud is unavailable right now: ECS did not stop {servers} "
    "({detail}). Nothing was changed. Ask again {later}.",
    "resize-failed": ":x: Huawei Cloud was unavailable for the resize ({detail}): nothing was "
    "resized.{again} Ask again {later}.",
}


def runbook_outcome_text(outcome: str | None, code: str | None = None, why: str = "") -> str:
    """How a stop-resize-start ended (bot.core.runbook.ResizeOutcome): "done: resized" only
    when it resized; otherwise what happened, never worded as a success."""
    code_text = f" (`{escape(code)}`)" if code else ""
    because = f": {escape(why)}" if why else ""
    if outcome == "success":
        return "done: resized"
    if outcome == "fail":
        return f"ended without resizing: {escape(why) or 'the resize failed'}{code_text}"
    if outcome == "refused":
        return f"ended without resizing: the preflight refused it{because}"
    if outcome == "pending":
        return f"ended without resizing{because or ': nothing was sent to SDRS'}"
    if outcome == "submitted":
        return "ended before the resize did: check the instance's flavors in the SDRS console"
    return "ended, the resize's outcome is not known: check the instance's flavors"


def _stopped_again(stopped: int) -> str:
    if stopped == 1:
        return "the server it stopped runs again"
    return "every server it stopped runs again" if stopped else "it stopped no server"


def runbook_text(e: RunbookEvent) -> str:
    """One step of a stop-resize-start runbook, for its thread."""
    servers = ", ".join(f"`{escape(s)}`" for s in e.servers) or "the servers"
    one = len(e.servers) == 1
    if e.event == "runbook-done":
        if e.servers:
            left = f" {servers} {'is' if one else 'are'} not running again: see above."
        else:
            left = f" {_stopped_again(e.stopped).capitalize()}."
        mark = ":white_check_mark:" if e.detail == "success" and not e.servers else ":warning:"
        return f"{mark} Stop-resize-start {runbook_outcome_text(e.detail, e.code, e.why)}.{left}"
    template = _RUNBOOK.get(e.event, "{event}: {detail}")
    if e.unavailable:  # refused because the cloud was busy, failing or unreachable
        template = _RUNBOOK_UNAVAILABLE.get(e.event, template)
    again = f" Starting {servers} again." if e.servers else ""
    seconds = e.retry_after
    later = f"in {max(math.ceil(seconds), 1)} s" if seconds else "in a few minutes"
    return template.format(
        servers=servers,
        detail=escape(e.detail),
        requester=e.requester,
        event=escape(e.event),
        were="was" if one else "were",
        are="is" if one else "are",
        them="it" if one else "them",
        it="it" if one else "they",
        have="has" if one else "have",
        flavors="flavor" if one else "flavors",
        again=again,
        later=later,
        **{"is": "is" if one else "are"},
    )


def runbook_end_text(d: Decided) -> str:
    """Where a stop-resize-start stands, for its confirmation message."""
    if d.runbook == "running":
        return ":arrows_counterclockwise: stop-resize-start under way (each step in the thread)"
    left = ", ".join(f"`{escape(s)}`" for s in d.runbook_left_stopped)
    stopped = f"not running again: {left}" if left else _stopped_again(d.runbook_stopped)
    mark = ":white_check_mark:" if d.runbook == "done" else ":warning:"
    outcome = runbook_outcome_text(d.runbook_resize, why=d.runbook_problem or "")
    return f"{mark} stop-resize-start {outcome}; {stopped}"


def store_unavailable_text() -> str:
    return (
        ":warning: I am temporarily unable to take this (my database is not accepting changes); "
        "nothing was done. Try again in a minute."
    )


def not_handled_text(attempts: int) -> str:
    return (
        f":x: I could not handle this after {attempts} tries and stopped trying. Check "
        "`/sdrs history` to see whether anything was done before asking again."
    )


def unknown_operation_text() -> str:
    return "This confirmation is not known to me (it may belong to another installation)."


def foreign_operation_text() -> str:
    return "This confirmation belongs to another channel; nothing was changed."


def already_decided_text(state: str, by: str | None) -> str:
    who = f" by <@{by}>" if by else ""
    if state == "expired":
        return "This confirmation has expired; nothing was sent to SDRS. Ask again if needed."
    if state == "withdrawn":
        return withdrawn_text()
    if state == "stale":
        return (
            "This confirmation is out of date (the cloud changed since it was requested); "
            "nothing was sent to SDRS. Ask again to see the current state."
        )
    return f"This operation was already {escape(state)}{who}; nothing more was done."


# ---- job reports ---------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


# SDRS/ECS job types as people read them (others are shown as SDRS names them)
JOB_TYPE_NAMES = {
    "resizeProtectedInstanceNew": "resize",
    "resizeProtectedInstance": "resize",
    "resizeServer": "server resize",
    "batchStopServers": "stop",
    "batchStartServers": "start",
}


def job_type_text(job_type: str | None, default: str) -> str:
    return escape(JOB_TYPE_NAMES.get(job_type or "", job_type or default))


SUB_JOBS_SHOWN = 10  # failed sub-jobs a report lists; the rest are counted
CLOUD_TEXT_CHARS = 1_000  # of a reason or message from SDRS/ECS, shown whole up to this


def final_report_text(
    report: FinalReport,
    subject: str,
    link: str | None = None,
    *,
    old_flavors: Mapping[str, str] | None = None,
) -> str:
    """The thread report when a job ends (``subject``: what it acted on, rendered; ``link``:
    to the thread, for a report that is also shown in the channel; ``old_flavors``: site ->
    the flavor it had, shown before the new one)."""
    old_flavors = old_flavors or {}
    confirmer = report.confirmer
    who = f", confirmed by <@{confirmer}>" if confirmer and confirmer != report.requester else ""
    head = (
        f"{subject} (job `{escape(report.job_id)}`, {job_type_text(report.job_type, 'job')}, "
        f"{duration_text(report.seconds)}{who})"
    )
    if report.status == "SUCCESS":
        flavors = ", ".join(
            f"{SITE_LABEL[s]} "
            + (f"`{escape(old_flavors[s])}` " if s in old_flavors else "")
            + f"→ `{escape(f)}`"
            for s, f in report.new_flavors.items()
        )
        new = f" New flavors: {flavors}." if flavors else ""
        return f":white_check_mark: <@{report.requester}> SUCCESS: {head}.{new}{thread_link(link)}"
    lines = [f":x: <@{report.requester}> {escape(report.status)}: {head}.{thread_link(link)}"]
    if report.error_code or report.fail_reason:
        lines.append(
            f"*{escape(clip(report.error_code or 'no code', 64))}* - "
            f"{escape(clip(report.fail_reason or 'no reason given', CLOUD_TEXT_CHARS))}"
        )
    for sub in report.failed_sub_jobs[:SUB_JOBS_SHOWN]:
        detail = " - ".join(escape(clip(x, 200)) for x in (sub.error_code, sub.fail_reason) if x)
        lines.append(
            f"• sub-job `{escape(sub.job_id)}` ({job_type_text(sub.job_type, 'sub-job')}) failed: "
            f"{detail}"
        )
    more = len(report.failed_sub_jobs) - SUB_JOBS_SHOWN
    if more > 0:
        job = escape(report.job_id)
        lines.append(f"• … and {more} more failed sub-jobs: see job `{job}` in the SDRS console.")
    return "\n".join(lines)


def stuck_text(report: StuckReport, link: str | None = None) -> str:
    then = (
        "I stopped watching it: check it in the SDRS console."
        if report.stopped
        else "I keep watching and will report when it ends."
    )
    return (
        f":hourglass: <@{report.requester}> job `{escape(report.job_id)}` is still "
        f"{escape(report.status or 'unknown')} after {duration_text(report.seconds)}. {then}"
        f"{thread_link(link)}"
    )


def status_text(job: TrackedJob, now: datetime, subject: str, link: str | None = None) -> str:
    """One job: what it changes, its SDRS status, who asked and confirmed, since when, and a
    link to its thread."""
    age = duration_text((now - job.submitted_at).total_seconds())
    status = escape(job.last_status or "not checked yet")
    if job.state is JobState.GAVE_UP:
        status += " (no longer watched)"
    elif job.state is JobState.TRACKING:
        status += " (watching)"
    confirmed = (
        f", confirmed by <@{job.confirmer}>"
        if job.confirmer and job.confirmer != job.requester
        else ""
    )
    return (
        f"{subject} · job `{escape(job.job_id)}`: *{status}* · asked by <@{job.requester}>"
        f"{confirmed} · submitted {age} ago{thread_link(link)}"
    )


# A listing's page: its lines within this many characters, so that with its heading and the
# line saying how to see more it stays under the 4,000 Slack recommends for a message's text.
PAGE_CHARS = 3_500


def pages(lines: list[str], budget: int = PAGE_CHARS) -> list[list[str]]:
    """``lines`` in order, cut into pages of at most ``budget`` characters (each line whole;
    a line longer than a page alone is shortened with "…", which no line the bot writes is)."""
    out: list[list[str]] = []
    page: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, budget)
        if page and size + len(line) + 1 > budget:
            out.append(page)
            page, size = [], 0
        page.append(line)
        size += len(line) + 1
    return [*out, page] if page else out


def no_page_text(page: int, count: int) -> str:
    return f"There is no page {page}: the list has {count} page{'s' if count != 1 else ''}."


JOBS_SECTIONS = (
    "Waiting for their maintenance window:",
    "Jobs being tracked here:",
    "Ended in the last day:",
)


def jobs_text(
    active: list[str], finished: list[str], scheduled: list[str] | None = None, page: int = 1
) -> str:
    """The channel's jobs by section, a page at a time (``/sdrs jobs page=N`` for the next)."""
    if not active and not finished and not scheduled:
        return "No SDRS jobs are being tracked in this channel, and none ended in the last day."
    parts_of = (scheduled or [], active, finished)
    sections = [i for i, part in enumerate(parts_of) for _ in part]  # each line's section
    budget = PAGE_CHARS - sum(map(len, JOBS_SECTIONS))
    cut = pages([f"• {line}" for part in parts_of for line in part], budget)
    if page > len(cut):
        return no_page_text(page, len(cut))
    first = sum(len(p) for p in cut[: page - 1])
    parts: list[str] = []
    for at, line in enumerate(cut[page - 1], start=first):
        if at == first or sections[at] != sections[at - 1]:
            parts.append(JOBS_SECTIONS[sections[at]])
        parts.append(line)
    if len(cut) > 1:
        more = f" Next: `/sdrs jobs page={page + 1}`." if page < len(cut) else ""
        parts.append(f"_Page {page} of {len(cut)}._{more}")
    return "\n".join(parts)


def unknown_job_text(job_id: str) -> str:
    return f"I am not tracking a job `{escape(job_id)}` (jobs are tracked from their confirmation)."


def unreadable_resize_text(instance_id: str) -> str:
    return (
        ":warning: SDRS accepted this resize (HTTP 2xx), but its answer could not be read, and "
        f"protected instance `{escape(instance_id)}` does not show it (not resizing, and its "
        "servers do not have the new flavors): the outcome is unknown. Check the instance and "
        "its servers' flavors before asking again. I did not send it a second time."
    )


def unreadable_but_received_text(instance_id: str) -> str:
    return (
        ":arrows_counterclockwise: Sent to SDRS, which accepted it (HTTP 2xx), but its answer "
        "could not be read, so its job id is unknown: following protected instance "
        f"`{escape(instance_id)}` instead, and I report here when it ends. I did not send it a "
        "second time."
    )


def interrupted_resize_text(instance_id: str) -> str:
    return (
        ":warning: I was restarted while sending this resize to SDRS, so I cannot tell whether "
        f"SDRS received it. Check protected instance `{escape(instance_id)}` (status "
        "`resizing`, or a new resize job) before asking again. I did not send it a second time."
    )


def interrupted_but_received_text(instance_id: str) -> str:
    return (
        ":warning: I was restarted while sending this resize, and SDRS did receive it: protected "
        f"instance `{escape(instance_id)}` is resizing. Its job id was lost with the restart, so "
        "I follow the instance and report here when it ends. I did not send it a second time."
    )


# ---- history -------------------------------------------------------------------------------

OUTCOME_MARK = {
    "SUCCESS": ":white_check_mark:",
    "renamed": ":white_check_mark:",
    "FAIL": ":x:",
    "submit-failed": ":x:",
    "rename-failed": ":x:",
    "interrupted": ":warning:",
    "answer-unreadable": ":warning:",
    "still running": ":hourglass:",
    "submitted": ":arrows_counterclockwise:",
    "stop-start running": ":arrows_counterclockwise:",
    "scheduled": ":calendar:",
    "not-started": ":x:",
    "schedule-cancelled": ":no_entry_sign:",
    "withdrawn": ":no_entry_sign:",
    "stop-start: resized": ":white_check_mark:",
    "stop-start: resize failed": ":x:",
    "stop-start: not resized": ":x:",
    "stop-start: outcome unknown": ":warning:",
    "stop-start: servers left stopped": ":rotating_light:",
}


def history_line(entry: HistoryEntry, headline: str, link: str | None = None) -> str:
    outcome = entry.outcome or entry.state
    mark = OUTCOME_MARK.get(outcome, ":white_small_square:")
    confirmed = (
        f", {entry.state} by <@{entry.decided_by}>"
        if entry.decided_by and entry.state in ("confirmed", "cancelled")
        else ""
    )
    code = f" `{escape(entry.error_code)}`" if entry.error_code else ""
    job = f" · job `{escape(entry.job_id)}`" if entry.job_id else ""
    return (
        f"{mark} {entry.requested_at:%Y-%m-%d %H:%M} UTC · {headline} · asked by "
        f"<@{entry.requester}>{confirmed} · *{escape(outcome)}*{code}{job}{thread_link(link)}"
    )


def history_text(
    entries: list[tuple[HistoryEntry, str]], links: dict[str, str] | None = None, page: int = 1
) -> str:
    """``links``: confirmation message ts -> link to the operation's thread; a page at a time
    (``/sdrs history N page=P`` for the next)."""
    if not entries:
        return "No SDRS operations have been requested in this channel yet."
    links = links or {}
    lines = [history_line(e, headline, links.get(e.message_ts or "")) for e, headline in entries]
    cut = pages(lines)
    if page > len(cut):
        return no_page_text(page, len(cut))
    head = f"Latest {len(entries)} operations in this channel"
    if len(cut) == 1:
        return f"{head}:\n" + "\n".join(cut[0])
    more = f" Next: `/sdrs history {len(entries)} page={page + 1}`." if page < len(cut) else ""
    shown = "\n".join(cut[page - 1])
    return f"{head} (page {page} of {len(cut)}):\n{shown}\n_Page {page} of {len(cut)}._{more}"


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


def announce_text(a: Announcement, headline: str, link: str | None = None) -> str:
    """One line for an audit/on-call channel: what, where, who, which job, and a link to the
    operation's thread."""
    by = f" by <@{a.actor}>" if a.actor else ""
    details = [f"job `{escape(a.job_id)}`"] if a.job_id else []
    if a.error_code:
        details.append(f"*{escape(a.error_code)}*")
    if a.no_answer:
        details.append("no answer from SDRS")
    if a.out_of_date:
        details.append("closed: out of date")
    if a.interrupted:
        details.append("outcome unknown (interrupted)")
    if a.unreadable:
        details.append("outcome unknown (answer unreadable)")
    if a.renamed_to is not None:
        details.append(f"renamed to `{escape(a.renamed_to)}`")
    if a.still:
        details.append(f"still {escape(a.still)}")
    more = "".join(f" · {d}" for d in details)
    mark = ANNOUNCE_MARK.get(a.event.value, "")
    line = f"{mark} *{a.event.value}*{by} in <#{a.channel}>: {headline}{more}"
    return f"{line}{thread_link(link)}".strip()
