"""``/sdrs history``: the channel's latest operations, one line each with how it ended, a page
at a time."""

from __future__ import annotations

from bot.core.notices import History
from bot.core.records import HistoryEntry
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


def history_text(n: History) -> str:
    """``n.links``: confirmation message ts -> link to the operation's thread; a page at a
    time (``/sdrs history N page=P`` for the next)."""
    if not n.entries:
        return "No SDRS operations have been requested in this channel yet."
    lines = [history_line(e, n.links.get(e.message_ts or "")) for e in n.entries]
    cut = pages(lines)
    page, count = n.page, len(n.entries)
    if page > len(cut):
        return no_page_text(page, len(cut))
    head = f"Latest {count} operations in this channel"
    if len(cut) == 1:
        return f"{head}:\n" + "\n".join(cut[0])
    more = f" Next: `/sdrs history {count} page={page + 1}`." if page < len(cut) else ""
    shown = "\n".join(cut[page - 1])
    return f"{head} (page {page} of {len(cut)}):\n{shown}\n_Page {page} of {len(cut)}._{more}"


def history_line(entry: HistoryEntry, link: str | None = None) -> str:
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
        f"{mark} {entry.requested_at:%Y-%m-%d %H:%M} UTC · {headline(entry.facts)} · asked by "
        f"<@{entry.requester}>{confirmed} · *{escape(outcome)}*{code}{job}{thread_link(link)}"
    )
