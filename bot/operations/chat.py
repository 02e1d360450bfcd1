"""The chat port: what the operations need from a chat surface. ``handlers.slack_chat``
implements it for Slack; another surface implements the same calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

from bot.core.notices import Notice
from bot.core.policy import Policy
from bot.core.records import PendingOperation


class ChatPostError(Exception):
    """The chat did not take the confirmation (``error``: the surface's error code); it may
    exist without us knowing, so the operation is cancelled."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Chat(Protocol):
    async def member_groups(self, user: str, groups: Collection[str]) -> set[str]:
        """Which of ``groups`` the user belongs to; a group that cannot be read counts as not
        a member (decisions fail closed)."""
        ...

    async def post_confirmation(
        self, op: PendingOperation, policy: Policy, *, maybe_posted: bool = False
    ) -> str:
        """Post the confirmation of ``op`` in its channel (``policy`` says who may confirm
        it); its message id (ts). With
        ``maybe_posted`` (a process died after posting it, perhaps), look for it first and
        post only if it is not there. Raises :class:`ChatPostError`."""
        ...

    async def tell(self, channel: str, user: str, notice: Notice) -> None:
        """Tell one person privately, in a channel; failures are logged, never raised."""
        ...

    async def permalinks(self, channel: str, timestamps: Collection[str]) -> dict[str, str]:
        """Links to messages of ``channel`` by their ids (ts), for those that have one; a link
        that cannot be had is left out (never raised: a line without its link is fine)."""
        ...


# Answering the person who asked (a command's private reply channel)
Tell = Callable[[Notice], Awaitable[None]]
