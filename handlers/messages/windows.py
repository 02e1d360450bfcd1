"""Maintenance windows: when a scheduled operation runs, how its scheduled run ended, that it
was not started, and the replies about windows and cancelling a scheduled run."""

from __future__ import annotations

from bot.core.facts import NotStarted, ScheduleFacts
from bot.core.notices import CannotSchedule, NotCancellable, UnknownWindow
from handlers.messages.text import escape, slack_date

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


def unknown_window_text(n: UnknownWindow) -> str:
    known = ", ".join(f"`{escape(w)}`" for w in n.available) if n.available else "none"
    return (
        f"There is no maintenance window `{escape(n.name)}` for this account (windows here: "
        f"{known}). Nothing was posted. Use `window=&lt;name&gt;` with one of them, or "
        "`when=2026-11-29T02:00+08:00` for a one-off time."
    )


def cannot_schedule_text(n: CannotSchedule) -> str:
    return f"This cannot be scheduled: {escape(n.problem)}. Nothing was posted."


def not_cancellable_text(n: NotCancellable) -> str:
    if n.state == "started":
        return "Too late to cancel: it has started (its window began and it was sent)."
    if n.state == "cancelled":
        return f"It was already cancelled{f' by <@{n.by}>' if n.by else ''}."
    return "It is not waiting for a window any more (it was not started); nothing to cancel."
