"""Announcements in an audit or on-call channel (NOTIFY_ROUTES): one line per event - what,
where, who, which job - with a link to the operation's thread."""

from __future__ import annotations

from bot.core.facts import Announcement
from handlers.i18n import N_, _
from handlers.messages.operation import headline
from handlers.messages.text import escape, thread_link

# the events as announced (msgids: _(ANNOUNCE_EVENT[...]))
ANNOUNCE_EVENT = {
    "requested": N_("requested"),
    "confirmed": N_("confirmed"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
    "submitted": N_("submitted"),
    "finished": N_("finished"),
    "failed": N_("failed"),
    "stuck": N_("stuck"),
}
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
    by = _(" by <@{user}>").format(user=a.actor) if a.actor else ""
    details = [_("job `{job}`").format(job=escape(a.job_id))] if a.job_id else []
    if a.error_code:
        details.append(f"*{escape(a.error_code)}*")
    if a.no_answer:
        details.append(_("no answer from SDRS"))
    if a.out_of_date:
        details.append(_("closed: out of date"))
    if a.interrupted:
        details.append(_("outcome unknown (interrupted)"))
    if a.unreadable:
        details.append(_("outcome unknown (answer unreadable)"))
    if a.renamed_to is not None:
        details.append(_("renamed to `{name}`").format(name=escape(a.renamed_to)))
    if a.still:
        details.append(_("still {status}").format(status=escape(a.still)))
    more = "".join(f" · {d}" for d in details)
    mark = ANNOUNCE_MARK.get(a.event.value, "")
    event = _(ANNOUNCE_EVENT[a.event.value]) if a.event.value in ANNOUNCE_EVENT else a.event.value
    line = _("{mark} *{event}*{by} in <#{channel}>: {operation}{more}").format(
        mark=mark, event=event, by=by, channel=a.channel, operation=headline(a.op), more=more
    )
    return f"{line}{thread_link(link)}".strip()
