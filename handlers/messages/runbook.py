"""A stop-resize-start (``power=stop-start``): each step as its thread reports it, how it
ended, and where it stands on its confirmation message."""

from __future__ import annotations

from bot.core.facts import Decided, RunbookEvent
from handlers.messages.text import escape, retry_in

RUNBOOK_TEXT = {  # {it}/{is}/...: one server is spoken of in the singular
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


RUNBOOK_UNAVAILABLE_TEXT = {
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
    template = RUNBOOK_TEXT.get(e.event, "{event}: {detail}")
    if e.unavailable:  # refused because the cloud was busy, failing or unreachable
        template = RUNBOOK_UNAVAILABLE_TEXT.get(e.event, template)
    again = f" Starting {servers} again." if e.servers else ""
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
        later=retry_in(e.retry_after),
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
