"""What every message uses: escaping and shortening, the site names, the thread link, dates
and durations, and cutting a listing into pages."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from handlers.links import SAFE_URL

Blocks = list[dict[str, Any]] | None  # a message's Block Kit (None: text only)

SITE_LABEL = {"production": "production site", "dr": "DR site"}


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
    return f" · <{url.replace('&', '&amp;')}|thread>"


def confirmed_by(confirmer: str | None, requester: str) -> str:
    """ ", confirmed by <@U2>" when someone other than the requester confirmed, else ""."""
    return f", confirmed by <@{confirmer}>" if confirmer and confirmer != requester else ""


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
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def retry_in(seconds: float | None) -> str:
    """When to try again: "in 12 s" (the cloud's Retry-After), else "in a few minutes"."""
    return f"in {max(math.ceil(seconds), 1)} s" if seconds else "in a few minutes"


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
    return f"There is no page {page}: the list has {count} page{'s' if count != 1 else ''}."
