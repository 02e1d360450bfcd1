"""May this person read or change through the bot, here? The policy (pure) with the user's
groups read from the chat."""

from __future__ import annotations

from bot.core.policy import Decision, groups_that_matter, may_read, may_request
from bot.operations.chat import Chat
from bot.operations.deps import Deps


async def allowed(
    deps: Deps, chat: Chat, user: str, channel: str, kind: str | None = None
) -> Decision:
    """``kind``: may the user ask for that change here; None: may they read here (forms,
    pickers, status, jobs, history follow the same policy as changing)."""
    wanted = groups_that_matter(deps.policy, kind)
    groups = await chat.member_groups(user, wanted) if wanted else set()
    if kind is not None:
        return may_request(deps.policy, kind, user, groups, channel)
    return may_read(deps.policy, user, groups, channel)
