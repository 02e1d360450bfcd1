"""May this person read or change through the bot, here? The policy of the channel's binding
(pure) with the user's groups read from the chat."""

from __future__ import annotations

from bot.core.policy import Decision, Denial, Policy, groups_that_matter, may_read, may_request
from bot.operations.chat import Chat
from bot.operations.deps import Deps


async def allowed(
    deps: Deps,
    chat: Chat,
    user: str,
    channel: str,
    kind: str | None = None,
    policy: Policy | None = None,
) -> Decision:
    """``kind``: may the user ask for that change here, under ``policy`` (the chosen account's
    binding); None: may they read here (forms, pickers, status, jobs, history follow the same
    policy as changing, under any binding of the channel)."""
    policies = [policy] if policy is not None else deps.bindings.policies_in(channel)
    if not policies:
        return Decision.deny(Denial.CHANNEL)
    wanted = frozenset().union(*(groups_that_matter(p, kind) for p in policies))
    groups = await chat.member_groups(user, wanted) if wanted else set()
    first: Decision | None = None
    for each in policies:
        decision = (
            may_request(each, kind, user, groups, channel)
            if kind is not None
            else may_read(each, user, groups, channel)
        )
        if decision.allowed:
            return decision
        first = first or decision
    assert first is not None
    return first
