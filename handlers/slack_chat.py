"""The chat port (:class:`bot.operations.chat.Chat`) for Slack: group membership through
``usergroups.users.list``, the confirmation through ``chat.postMessage``, private replies through
``chat.postEphemeral`` (clicks, forms) or the command's ``response_url``, links to messages
through ``chat.getPermalink`` (cached, see :mod:`handlers.links`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

import aiohttp
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.language import Language
from bot.core.notices import Notice
from bot.core.policy import Policy
from bot.core.records import PendingOperation
from bot.operations.chat import ChatPostError, Tell
from handlers import render
from handlers.i18n import speaking
from handlers.links import PERMALINKS
from handlers.lookup import find_posted, group_members
from handlers.slack_errors import slack_error

log = logging.getLogger(__name__)
CONFIRMATION_EVENT = "sdrs_bot_confirmation"  # message metadata naming the operation
HISTORY_PAGES = 10  # a confirmation is looked for among the channel's newest 2,000 messages


class SlackChat:
    """``channel_language``: the language of a message in a channel, seen by everyone (the
    channel binding's, :meth:`bot.core.bindings.Bindings.language_in`): the confirmation is
    rendered in it. Private replies (:meth:`tell`) are rendered in the language of the context
    (the person's, set where their payload is handled: :mod:`handlers.app`,
    :mod:`handlers.inbox`).

    ``groups_within``: group membership must be known within that many seconds (an options
    load, answered in its ack); a group not known by then counts as not the user's."""

    def __init__(
        self,
        client: AsyncWebClient,
        channel_language: Callable[[str], Language],
        *,
        groups_within: float | None = None,
    ) -> None:
        self.client = client
        self.channel_language = channel_language
        self.groups_within = groups_within

    async def member_groups(self, user: str, groups: Collection[str]) -> set[str]:
        """From :func:`handlers.lookup.group_members` (kept a minute, read when older)."""
        cache = group_members(self.client)
        loop = asyncio.get_running_loop()
        deadline = None if self.groups_within is None else loop.time() + self.groups_within
        member_of: set[str] = set()
        for group in sorted(groups):
            within = None if deadline is None else deadline - loop.time()
            try:
                members = await cache.members(self.client, group, within=within)
            except SlackApiError as exc:
                log.warning("cannot list user group %s: %s", group, slack_error(exc))
                continue
            except TimeoutError:
                log.info("user group %s not known in time: counted as not %s's", group, user)
                continue
            if user in members:
                member_of.add(group)
        return member_of

    async def post_confirmation(
        self, op: PendingOperation, policy: Policy, *, maybe_posted: bool = False
    ) -> str:
        """A post Slack answered with a 5xx, or that got no answer (timeout, connection), may
        have been posted all the same: the channel is then looked at (its metadata names the
        operation, as after a crash) and the message found is the confirmation. Only a post
        that Slack refused (4xx), or that is not found, raises :class:`ChatPostError`."""
        try:
            if maybe_posted:
                found = await self._find_confirmation(op)
                if found is not None:
                    return found
            with speaking(self.channel_language(op.channel)):  # seen by everyone there
                text, blocks = render.confirmation(op, policy)
            posted = await self.client.chat_postMessage(
                channel=op.channel,
                text=text,
                blocks=blocks,
                metadata={"event_type": CONFIRMATION_EVENT, "event_payload": {"op_id": op.id}},
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            found = await self._look_after(op, error) if exc.response.status_code >= 500 else None
            if found is None:
                raise ChatPostError(error) from exc
            return found
        except Exception as exc:
            found = await self._look_after(op, type(exc).__name__)
            if found is None:
                raise ChatPostError(type(exc).__name__) from exc
            return found
        return str(posted["ts"])

    async def _look_after(self, op: PendingOperation, error: str) -> str | None:
        """The confirmation's ts if an uncertain post did reach the channel; None otherwise
        (also when the channel cannot be read)."""
        try:
            found = await self._find_confirmation(op)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "confirmation %s: post failed (%s) and the channel cannot be read: %s",
                op.id,
                error,
                type(exc).__name__,
            )
            return None
        if found is not None:
            log.info(
                "confirmation %s: post answered %s, but it is in the channel (ts %s)",
                op.id,
                error,
                found,
            )
        return found

    async def _find_confirmation(self, op: PendingOperation) -> str | None:
        """The ts of ``op``'s confirmation if it is in the channel (its metadata names the
        operation), among the messages since the operation was made."""
        found, _ = await find_posted(
            self.client,
            channel=op.channel,
            event_type=CONFIRMATION_EVENT,
            matches=lambda payload: payload.get("op_id") == op.id,
            oldest=op.created_at.timestamp() - 5,
            pages=HISTORY_PAGES,
        )
        return found

    async def tell(self, channel: str, user: str, notice: Notice) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=render.notice(notice)
            )
        except SlackApiError as exc:
            log.warning("ephemeral to %s in %s failed: %s", user, channel, slack_error(exc))

    async def permalinks(self, channel: str, timestamps: Collection[str]) -> dict[str, str]:
        return await PERMALINKS.many(self.client, channel, timestamps)


def responder(respond: AsyncRespond) -> Tell:
    """Answer a slash command privately through its response_url."""

    async def tell(notice: Notice) -> None:
        await respond(response_type="ephemeral", text=render.notice(notice))

    return tell
