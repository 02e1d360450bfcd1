"""``/sdrs history``: the channel's latest operations, one line each with how it ended, a page
at a time."""

from __future__ import annotations

from bot.core.notices import History
from bot.core.records import HistoryEntry
from handlers.i18n import N_, _
from handlers.messages.operation import headline
from handlers.messages.text import escape, no_page_text, pages, thread_link

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


# how the outcomes the bot words itself read (msgids); SDRS's own (SUCCESS, FAIL) and the
# states stay as they are
OUTCOME_TEXT = {
    "renamed": N_("renamed"),
    "submit-failed": N_("submit-failed"),
    "rename-failed": N_("rename-failed"),
    "interrupted": N_("interrupted"),
    "answer-unreadable": N_("answer-unreadable"),
    "still running": N_("still running"),
    "stop-start running": N_("stop-start running"),
    "not-started": N_("not-started"),
    "schedule-cancelled": N_("schedule-cancelled"),
    "withdrawn": N_("withdrawn"),
    "stop-start: resized": N_("stop-start: resized"),
    "stop-start: resize failed": N_("stop-start: resize failed"),
    "stop-start: not resized": N_("stop-start: not resized"),
    "stop-start: outcome unknown": N_("stop-start: outcome unknown"),
    "stop-start: servers left stopped": N_("stop-start: servers left stopped"),
}
# the states an operation's history line may show
STATE_TEXT = {
    "confirmed": N_("confirmed"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
    "scheduled": N_("scheduled"),
    "submitted": N_("submitted"),
}


def history_text(n: History) -> str:
    """``n.links``: confirmation message ts -> link to the operation's thread; a page at a
    time (``/sdrs history N page=P`` for the next)."""
    if not n.entries:
        return _("No SDRS operations have been requested in this channel yet.")
    lines = [history_line(e, n.links.get(e.message_ts or "")) for e in n.entries]
    cut = pages(lines)
    page, count = n.page, len(n.entries)
    if page > len(cut):
        return no_page_text(page, len(cut))
    if len(cut) == 1:
        head = _("Latest {count} operations in this channel:").format(count=count)
        return f"{head}\n" + "\n".join(cut[0])
    more = (
        _(" Next: `/sdrs history {count} page={page}`.").format(count=count, page=page + 1)
        if page < len(cut)
        else ""
    )
    shown = "\n".join(cut[page - 1])
    return _(
        "Latest {count} operations in this channel (page {page} of {pages}):\n{lines}\n"
        "_Page {page} of {pages}._{more}"
    ).format(count=count, page=page, pages=len(cut), lines=shown, more=more)


def history_line(entry: HistoryEntry, link: str | None = None) -> str:
    outcome = entry.outcome or entry.state
    mark = OUTCOME_MARK.get(outcome, ":white_small_square:")
    if entry.decided_by and entry.state == "confirmed":
        confirmed = _(", confirmed by <@{user}>").format(user=entry.decided_by)
    elif entry.decided_by and entry.state == "cancelled":
        confirmed = _(", cancelled by <@{user}>").format(user=entry.decided_by)
    else:
        confirmed = ""
    code = f" `{escape(entry.error_code)}`" if entry.error_code else ""
    job = _(" · job `{job}`").format(job=escape(entry.job_id)) if entry.job_id else ""
    shown = OUTCOME_TEXT.get(outcome) or STATE_TEXT.get(outcome)
    return _(
        "{mark} {at} UTC · {operation} · asked by <@{requester}>{confirmed} · "
        "*{outcome}*{code}{job}{link}"
    ).format(
        mark=mark,
        at=f"{entry.requested_at:%Y-%m-%d %H:%M}",
        operation=headline(entry.facts),
        requester=entry.requester,
        confirmed=confirmed,
        outcome=_(shown) if shown else escape(outcome),
        code=code,
        job=job,
        link=thread_link(link),
    )
