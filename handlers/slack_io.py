"""Small Slack Web API helpers shared by the listeners."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack_errors import slack_error

log = logging.getLogger(__name__)

__all__ = ["slack_error", "tell_user"]


async def tell_user(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    """An ephemeral message only ``user`` sees; failures are logged, never raised."""
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        log.warning("ephemeral to %s in %s failed: %s", user, channel, slack_error(exc))
