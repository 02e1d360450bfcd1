"""What every message uses: escaping and shortening, the site names, the thread link, dates
and durations, and cutting a listing into pages."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from handlers.i18n import N_, _, ngettext
from handlers.links import SAFE_URL

Blocks = list[dict[str, Any]] | None  # a message's Block Kit (None: text only)

SITE_LABEL = {"production": N_("production site"), "dr": N_("DR site")}  # msgids: _(...)


def escape(text: str) -> str:
    """Slack's rule for text: ``&``, ``<`` and ``>`` become entities, so nothing a user, the
    cloud or a usage line supplies is read as a mention, a link or a date."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, most: int) -> str:
    """``text`` shortened on purpose to at most ``most`` characters, ending in "…" when cut."""
    return text if len(text) <= most else text[: max(most - 1, 0)] + "…"


def thread_link(url: str | None) -> str:
    """`` · <url|thread>``: the one link the bot writes itself, to an operation's thread; only
    a plain https URL from Slack (``&`` as ``&amp;``), else nothing."""
    if not url or not SAFE_URL.fullmatch(url):
        return ""
    label = _("thread")
    return f" · <{url.replace('&', '&amp;')}|{label}>"


def confirmed_by(confirmer: str | None, requester: str) -> str:
    """ ", confirmed by <@U2>" when someone other than the requester confirmed, else ""."""
    if confirmer and confirmer != requester:
        return _(", confirmed by <@{user}>").format(user=confirmer)
    return ""


def slack_date(at: datetime) -> str:
    """A time Slack shows in each reader's own time zone (``<!date^...>``, built only here),
    with the UTC time as the fallback."""
    return (
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|"
        f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC>"
    )


def duration_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("{hours}h {minutes}m").format(hours=hours, minutes=minutes)
    if minutes:
        return _("{minutes}m {seconds}s").format(minutes=minutes, seconds=secs)
    return _("{seconds}s").format(seconds=secs)


def retry_in(seconds: float | None) -> str:
    """When to try again: "in 12 s" (the cloud's Retry-After), else "in a few minutes"."""
    if seconds:
        return _("in {seconds} s").format(seconds=max(math.ceil(seconds), 1))
    return _("in a few minutes")


def md_section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


# ---- listings ------------------------------------------------------------------------------

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
    return ngettext(
        "There is no page {page}: the list has {count} page.",
        "There is no page {page}: the list has {count} pages.",
        count,
    ).format(page=page, count=count)
