"""The Slack Web API client every part of the bot sends with."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config.settings import Settings
from bot.core.errors import ConfigError

SlackClient = AsyncWebClient  # what the rest of the bot (outside handlers/) names it by


def slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None, *, retries: bool = True
) -> AsyncWebClient:
    """The Web API client. Pass a shared ``session`` (created inside the running loop) so calls
    reuse keep-alive connections; without one, slack_sdk opens a new session per call."""
    if settings.slack_bot_token is None:
        raise ConfigError(["SLACK_BOT_TOKEN is required (the xoxb- token of the app)"])
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=session,
        # not slack_sdk's default connection-error retry: a connection that drops after sending
        # may have posted, and a repeat would post twice (the outbox finds such a post instead)
        retry_handlers=[],
    )
    if retries:
        # 429s only: a 429 was not processed, so repeating is safe.
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client
