"""Notification routing (pure): which channels hear about which lifecycle event.

``NOTIFY_ROUTES`` lists ``kinds=channels`` entries separated by ``;``, kinds and channels
comma-separated, e.g. ``all=C0AUDIT;failed,stuck=C0ONCALL``: every event to the audit channel,
failures and stuck jobs also to on-call. Announcements are ordinary outbox messages (one per
event and channel, with a dedupe key), queued in the same transaction as the state they announce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.core.facts import Announcement
from bot.core.records import OutboxMessage
from bot.core.states import EventKind

EVENT_KINDS = tuple(kind.value for kind in EventKind)
_CHANNEL_RE = re.compile(r"[CG][A-Z0-9]{2,31}")

Routes = Mapping[str, frozenset[str]]


def parse_routes(text: str) -> dict[str, frozenset[str]]:
    """Raises ValueError saying what is wrong and how to write it - by position, never echoing
    the value (a token pasted into the wrong variable must not reach a log)."""
    routes: dict[str, set[str]] = {}
    entries = [e.strip() for e in text.split(";") if e.strip()]
    for n, entry in enumerate(entries, start=1):
        kinds_part, sep, channels_part = entry.partition("=")
        if not sep:
            raise ValueError(f"entry {n} has no '=': write kinds=channels, e.g. failed=C0ONCALL")
        kinds = [k.strip().lower() for k in kinds_part.split(",") if k.strip()]
        channels = [c.strip() for c in channels_part.split(",") if c.strip()]
        unknown = [k for k in kinds if k not in EVENT_KINDS and k != "all"]
        if unknown or not kinds:
            raise ValueError(
                f"entry {n} names {len(unknown) or 'no'} unknown event kind(s): use "
                f"{', '.join(EVENT_KINDS)} or all"
            )
        bad = [c for c in channels if not _CHANNEL_RE.fullmatch(c)]
        if bad or not channels:
            raise ValueError(
                f"entry {n}: {len(bad) or 'no'} value(s) after '=' are not channel ids "
                "(ids look like C024BE91L; channel names are not accepted)"
            )
        for kind in EVENT_KINDS if "all" in kinds else kinds:
            routes.setdefault(kind, set()).update(channels)
    return {kind: frozenset(channels) for kind, channels in routes.items()}


def announcements(
    routes: Routes, key: str, content: Announcement, *, skip: str | None = None
) -> list[OutboxMessage]:
    """The messages announcing one event (``key`` names the operation or job) to the channels
    routed for its kind, in a stable order; ``skip`` is the channel the thread is in (it hears
    about the operation already)."""
    kind = content.event.value
    return [
        OutboxMessage(dedupe_key=f"notify:{key}:{kind}:{channel}", channel=channel, content=content)
        for channel in sorted(routes.get(kind, ()))
        if channel != skip
    ]
