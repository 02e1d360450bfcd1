"""Maintenance windows: when a scheduled operation runs, how its scheduled run ended, that it
was not started, and the replies about windows and cancelling a scheduled run."""

from __future__ import annotations

from bot.core.facts import NotStarted, ScheduleFacts
from bot.core.notices import CannotSchedule, NotCancellable, UnknownWindow
from handlers.i18n import N_, _, tr
from handlers.messages.text import escape, slack_date

NOT_STARTED_TEXT = {  # msgids: _(NOT_STARTED_TEXT[...])
    "preflight-refused": N_("the preflight refused it at the window's start"),
    "changed": N_("a server or its flavor changed since it was approved"),
    "too-short": N_("the window is shorter than its estimated duration"),
    "missed": N_("too little of the window was left to finish it (the bot was down or late)"),
    "window-gone": N_("its window is no longer configured"),
}


def _why(reason: str) -> str:
    known = NOT_STARTED_TEXT.get(reason)
    return _(known) if known else escape(reason or _("unknown"))


def schedule_when_text(s: ScheduleFacts) -> str:
    """When a scheduled operation runs: "in window `nightly` (Sun 02:00-04:00 Asia/Shanghai):
    <start> to <end>", and what happens if it cannot start then."""
    where = (
        _("in window `{window}` ({spec})").format(window=escape(s.window), spec=escape(s.spec))
        if s.window
        else _("at a one-off time")
    )
    then = _("moved to the next window") if s.moves_on_miss else _("not started, and reported here")
    return _("{where}: from {start} to {end}; if it cannot start and finish in it: {then}").format(
        where=where, start=slack_date(s.starts_at), end=slack_date(s.ends_at), then=then
    )


def scheduled_outcome_text(s: ScheduleFacts) -> str:
    if s.state == "cancelled":
        return _(
            ":no_entry_sign: scheduled run cancelled by <@{user}>: nothing was sent to SDRS"
        ).format(user=s.by)
    if s.state == "not-started":
        return _(":warning: not started: {why}; nothing was sent to SDRS").format(
            why=_why(s.reason or "")
        )
    return _(":calendar: scheduled {when}").format(when=schedule_when_text(s))


def not_started_text(n: NotStarted) -> str:
    why = _why(n.reason)
    said = tr(n.said_detail)
    detail = f" ({escape(said)})" if said else ""
    window = (
        _("window `{window}`").format(window=escape(n.window))
        if n.window
        else _("its one-off window")
    )
    head = _(
        ":warning: <@{requester}> the resize was *not started* in {window} "
        "({start} to {end}): {why}{detail}. Nothing was sent to SDRS."
    ).format(
        requester=n.requester,
        window=window,
        start=slack_date(n.starts_at),
        end=slack_date(n.ends_at),
        why=why,
        detail=detail,
    )
    if n.next_starts_at and n.next_ends_at:
        return _("{head} It moved to the next window: {start} to {end}.").format(
            head=head, start=slack_date(n.next_starts_at), end=slack_date(n.next_ends_at)
        )
    return _("{head} Ask again if it is still needed.").format(head=head)


def unknown_window_text(n: UnknownWindow) -> str:
    known = ", ".join(f"`{escape(w)}`" for w in n.available) if n.available else _("none")
    return _(
        "There is no maintenance window `{window}` for this account (windows here: "
        "{known}). Nothing was posted. Use `window=&lt;name&gt;` with one of them, or "
        "`when=2026-11-29T02:00+08:00` for a one-off time."
    ).format(window=escape(n.name), known=known)


def cannot_schedule_text(n: CannotSchedule) -> str:
    return _("This cannot be scheduled: {problem}. Nothing was posted.").format(
        problem=escape(tr(n.problem))
    )


def not_cancellable_text(n: NotCancellable) -> str:
    if n.state == "started":
        return _("Too late to cancel: it has started (its window began and it was sent).")
    if n.state == "cancelled":
        if n.by:
            return _("It was already cancelled by <@{user}>.").format(user=n.by)
        return _("It was already cancelled.")
    return _("It is not waiting for a window any more (it was not started); nothing to cancel.")
