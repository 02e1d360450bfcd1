"""Which cloud account a Slack channel acts on, and under which policy. Pure.

A :class:`Binding` ties channels (``*``: every channel not bound by name) to accounts, with the
policy that governs requests and approvals there, and the language of the bot's messages
there. A channel named in some binding uses only the bindings that name it; the ``*``
bindings apply to every other channel. A command names its account (``account=NAME``) or gets
the channel's only account, or its binding's ``default_account``; anything else is answered
with the accounts it may choose from.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.language import DEFAULT, Language
from bot.core.policy import Policy

ANY_CHANNEL = "*"


@dataclass(frozen=True)
class Binding:
    channels: frozenset[str]
    accounts: tuple[str, ...]
    policy: Policy
    default_account: str | None = None
    language: Language = DEFAULT  # of the bot's messages in these channels, seen by everyone


@dataclass(frozen=True)
class Chosen:
    account: str
    policy: Policy


@dataclass(frozen=True)
class NoAccount:
    """Why no account was chosen: ``reason`` is ``unbound`` (the channel has no account),
    ``not-here`` (the asked-for account is not bound to this channel) or ``ambiguous``
    (several and none asked for); ``available`` lists what may be asked for here."""

    reason: str
    available: tuple[str, ...]
    asked: str = ""


@dataclass(frozen=True)
class Bindings:
    items: tuple[Binding, ...]

    def here(self, channel: str) -> list[Binding]:
        named = [b for b in self.items if channel in b.channels]
        return named or [b for b in self.items if ANY_CHANNEL in b.channels]

    def accounts_in(self, channel: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for binding in self.here(channel):
            seen.update(dict.fromkeys(binding.accounts))
        return tuple(seen)

    def policy_for(self, channel: str, account: str) -> Policy | None:
        """The policy of the first binding of this channel that includes the account."""
        for binding in self.here(channel):
            if account in binding.accounts:
                return binding.policy
        return None

    def language_in(self, channel: str) -> Language:
        """The language of a message in ``channel``, seen by everyone: its bindings' (the
        accounts file refuses a channel whose bindings disagree), English where none applies."""
        here = self.here(channel)
        return here[0].language if here else DEFAULT

    def policies_in(self, channel: str) -> list[Policy]:
        return [b.policy for b in self.here(channel)]

    def choose(self, channel: str, asked: str = "") -> Chosen | NoAccount:
        available = self.accounts_in(channel)
        if not available:
            return NoAccount("unbound", (), asked)
        if asked:
            policy = self.policy_for(channel, asked)
            if policy is None:
                return NoAccount("not-here", available, asked)
            return Chosen(asked, policy)
        if len(available) == 1:
            return Chosen(available[0], self.here(channel)[0].policy)
        for binding in self.here(channel):
            if binding.default_account:
                return Chosen(binding.default_account, binding.policy)
        return NoAccount("ambiguous", available)

    @property
    def accounts(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for binding in self.items:
            seen.update(dict.fromkeys(binding.accounts))
        return tuple(seen)
