"""Announcements in an audit or on-call channel (NOTIFY_ROUTES): one line per event - what,
where, who, which job - with a link to the operation's thread."""

from __future__ import annotations

from bot.core.facts import Announcement
from handlers.messages.operation import headline
from handlers.messages.text import escape, thread_link

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


def announce_text(a: Announcement, link: str | None = None) -> str:
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
    line = f"{mark} *{a.event.value}*{by} in <#{a.channel}>: {headline(a.op)}{more}"
    return f"{line}{thread_link(link)}".strip()
