"""Small Slack Web API helpers shared by the listeners."""

from __future__ import annotations

import logging
from collections.abc import Collection

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_errors import slack_error

log = logging.getLogger(__name__)

__all__ = ["groups_of", "slack_error", "tell_user"]


async def groups_of(client: AsyncWebClient, user: str, groups: Collection[str]) -> set[str]:
    """Which of ``groups`` the user belongs to (usergroups.users.list, one call per group).
    A group Slack will not list counts as not a member: the decision fails closed."""
    member_of: set[str] = set()
    for group in sorted(groups):
        try:
            response = await client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.warning("cannot list user group %s: %s", group, slack_error(exc))
            continue
        if user in (response.get("users") or []):
            member_of.add(group)
    return member_of


async def tell_user(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    """An ephemeral message only ``user`` sees; failures are logged, never raised."""
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        log.warning("ephemeral to %s in %s failed: %s", user, channel, slack_error(exc))
