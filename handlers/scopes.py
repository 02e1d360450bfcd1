"""The bot scopes the code needs (manifest.yml asks for exactly these; a test derives them from
the Web API calls in the code, and ``sdrs-bot check`` compares them with the token's)."""

from __future__ import annotations

BOT_SCOPES = (
    "chat:write",  # confirmations, their updates, thread reports, ephemeral notes
    "commands",  # /sdrs
    "usergroups:read",  # user-group allow-lists and approver groups
    "users:read",  # each person's Slack locale (users.info), the language of private answers
    "channels:history",  # the outbox reads a thread before re-sending a report that may
    "groups:history",  # already have arrived (public / private channels,
    "im:history",  # direct messages,
    "mpim:history",  # group direct messages)
)
