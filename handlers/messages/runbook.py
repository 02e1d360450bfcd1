"""A stop-resize-start (``power=stop-start``): each step as its thread reports it, how it
ended, and where it stands on its confirmation message."""

from __future__ import annotations

from bot.core.facts import Decided, RunbookEvent
from handlers.i18n import N_, _
from handlers.messages.text import escape, retry_in

# each event's text (msgids): one text, or (one server, several servers)
Template = str | tuple[str, str]
RUNBOOK_TEXT: dict[str, Template] = {
    "stopping": N_(":double_vertical_bar: Stopping {servers} (SDRS resizes only stopped servers)."),
    "stopped": N_("Stopped {servers}."),
    "nothing-to-stop": (
        N_("Nothing to stop: {servers} is already off."),
        N_("Nothing to stop: {servers} are already off."),
    ),
    "stop-failed": N_(":x: ECS could not stop {servers}: {detail}. Nothing was resized."),
    "stop-refused": N_(":x: ECS refused to stop {servers}: {detail}. Nothing was changed."),
    "ended-before-stop": (
        N_(
            ":warning: Interrupted while asking ECS to stop {servers}: it is still running; "
            "nothing was changed."
        ),
        N_(
            ":warning: Interrupted while asking ECS to stop {servers}: they are still running; "
            "nothing was changed."
        ),
    ),
    "resize-submitted": N_("Resize submitted to SDRS, job `{detail}`."),
    "resized": N_(":white_check_mark: Resize SUCCESS."),
    "resized-seen": (
        N_(
            ":white_check_mark: The resize was done: {servers} has the new flavor (its answer "
            "was lost with a restart)."
        ),
        N_(
            ":white_check_mark: The resize was done: {servers} have the new flavors (its answer "
            "was lost with a restart)."
        ),
    ),
    "resize-failed": N_(":x: The resize failed: {detail}.{again}"),
    "resize-refused": N_(
        ":x: The preflight refuses the resize now: {detail}. Nothing was resized.{again}"
    ),
    "resize-unknown-ended": N_(":warning: {detail}."),
    "stop-unreadable": N_(
        ":warning: ECS took the stop of {servers} (HTTP 2xx), but its answer could not be read: "
        "following the servers to see whether they stop."
    ),
    "resize-unreadable": N_(
        ":warning: SDRS took the resize (HTTP 2xx), but its answer could not be read, so its "
        "job id is unknown: following the instance instead."
    ),
    "start-unreadable": N_(
        ":warning: ECS took the start of {servers} (HTTP 2xx), but its answer could not be "
        "read: following the servers to see whether they run again."
    ),
    "starting": N_("Starting {servers} again."),
    "started": N_(":white_check_mark: {servers} running again."),
    "left-stopped": (
        N_(
            ":rotating_light: <@{requester}> {servers} was stopped by the bot and is NOT "
            "running ({detail}). Check it in the ECS console (status, and the server's event "
            "log if it is ERROR) and start it there or with the ECS API."
        ),
        N_(
            ":rotating_light: <@{requester}> {servers} were stopped by the bot and are NOT "
            "running ({detail}). Check them in the ECS console (status, and the server's event "
            "log if it is ERROR) and start them there or with the ECS API."
        ),
    ),
}


RUNBOOK_UNAVAILABLE_TEXT: dict[str, Template] = {
    "stop-refused": N_(
        ":warning: Huawei Cloud is unavailable right now: ECS did not stop {servers} "
        "({detail}). Nothing was changed. Ask again {later}."
    ),
    "resize-failed": N_(
        ":x: Huawei Cloud was unavailable for the resize ({detail}): nothing was "
        "resized.{again} Ask again {later}."
    ),
}


def runbook_outcome_text(outcome: str | None, code: str | None = None, why: str = "") -> str:
    """How a stop-resize-start ended (bot.core.runbook.ResizeOutcome): "done: resized" only
    when it resized; otherwise what happened, never worded as a success."""
    code_text = f" (`{escape(code)}`)" if code else ""
    why = recorded(why)
    because = f": {escape(why)}" if why else ""
    if outcome == "success":
        return _("done: resized")
    if outcome == "fail":
        return _("ended without resizing: {why}{code}").format(
            why=escape(why) or _("the resize failed"), code=code_text
        )
    if outcome == "refused":
        return _("ended without resizing: the preflight refused it{because}").format(
            because=because
        )
    if outcome == "pending":
        return _("ended without resizing{because}").format(
            because=because or _(": nothing was sent to SDRS")
        )
    if outcome == "submitted":
        return _("ended before the resize did: check the instance's flavors in the SDRS console")
    return _("ended, the resize's outcome is not known: check the instance's flavors")


def recorded(text: str) -> str:
    """A reason the core recorded in English (an N_-marked msgid: "the stop failed"), in the
    reader's language; anything else (a cloud's message, a job id) as it is."""
    return _(text)


def _stopped_again(stopped: int) -> str:
    if stopped == 1:
        return _("the server it stopped runs again")
    return _("every server it stopped runs again") if stopped else _("it stopped no server")


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def runbook_text(e: RunbookEvent) -> str:
    """One step of a stop-resize-start runbook, for its thread."""
    servers = ", ".join(f"`{escape(s)}`" for s in e.servers) or _("the servers")
    one = len(e.servers) == 1
    if e.event == "runbook-done":
        if e.servers:
            left = " " + (
                _("{servers} is not running again: see above.")
                if one
                else _("{servers} are not running again: see above.")
            ).format(servers=servers)
        else:
            left = f" {_capitalized(_stopped_again(e.stopped))}."
        mark = ":white_check_mark:" if e.detail == "success" and not e.servers else ":warning:"
        return _("{mark} Stop-resize-start {outcome}.{left}").format(
            mark=mark, outcome=runbook_outcome_text(e.detail, e.code, e.why), left=left
        )
    template = RUNBOOK_TEXT.get(e.event)
    if e.unavailable:  # refused because the cloud was busy, failing or unreachable
        template = RUNBOOK_UNAVAILABLE_TEXT.get(e.event, template)
    if template is None:
        return f"{escape(e.event)}: {escape(e.detail)}"
    if isinstance(template, tuple):
        template = template[0] if one else template[1]
    again = _(" Starting {servers} again.").format(servers=servers) if e.servers else ""
    return _(template).format(
        servers=servers,
        detail=escape(recorded(e.detail)),
        requester=e.requester,
        again=again,
        later=retry_in(e.retry_after),
    )


def runbook_end_text(d: Decided) -> str:
    """Where a stop-resize-start stands, for its confirmation message."""
    if d.runbook == "running":
        return _(":arrows_counterclockwise: stop-resize-start under way (each step in the thread)")
    left = ", ".join(f"`{escape(s)}`" for s in d.runbook_left_stopped)
    stopped = (
        _("not running again: {servers}").format(servers=left)
        if left
        else _stopped_again(d.runbook_stopped)
    )
    mark = ":white_check_mark:" if d.runbook == "done" else ":warning:"
    outcome = runbook_outcome_text(d.runbook_resize, why=d.runbook_problem or "")
    return _("{mark} stop-resize-start {outcome}; {stopped}").format(
        mark=mark, outcome=outcome, stopped=stopped
    )
