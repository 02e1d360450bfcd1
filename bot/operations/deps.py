"""What the operations need, built once by the composition root and passed down."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config.settings import Settings
from bot.core.bindings import Bindings, Chosen
from bot.core.errors import CloudError
from bot.core.facts import Announcement
from bot.core.records import OutboxMessage
from bot.core.routing import announcements
from bot.core.windows import WindowSpec
from bot.huaweicloud.fleet import Account, Fleet
from bot.metrics import Metrics
from bot.operations.background import Background, Limited
from bot.store import Store
from bot.store.intake import Intake


def utc_now() -> datetime:
    return datetime.now(UTC)


def replica_name(settings: Settings) -> str:
    return settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class Deps:
    settings: Settings
    store: Store
    fleet: Fleet  # the cloud accounts, each with its clients
    bindings: Bindings  # which channel may act on which account, under which policy
    now: Callable[[], datetime] = utc_now
    background: Background = field(default_factory=Background)
    metrics: Metrics = field(default_factory=Metrics)
    routes: dict[str, frozenset[str]] = field(init=False)  # NOTIFY_ROUTES, parsed once
    # deliver queued messages soon (the outbox sender's kick), where this process sends them
    kick_outbox: Callable[[], None] | None = None
    intake: Intake = field(init=False)  # inbox rows, written with group commit
    # acked commands and clicks this process handles at once (INBOX_CONCURRENCY)
    inbox_slots: Limited = field(init=False)

    def __post_init__(self) -> None:
        self.routes = self.settings.routes()
        self.intake = Intake(self.store)
        self.inbox_slots = Limited(self.background, self.settings.inbox_concurrency)
        # a message queued for a channel is rendered, when sent, in its binding's language
        self.store.channel_language = self.bindings.language_in

    def announce(
        self, key: str, content: Announcement, *, skip: str | None = None
    ) -> list[OutboxMessage]:
        """Announcements of one lifecycle event to the channels NOTIFY_ROUTES names."""
        return announcements(self.routes, key, content, skip=skip)

    def cloud(self, account: str) -> Account:
        """The clients of one account (AccountUnavailable, a CloudError, if not configured)."""
        return self.fleet.get(account)

    def windows(self, account: str) -> dict[str, WindowSpec]:
        """The maintenance windows an operation on ``account`` may name: MAINTENANCE_WINDOWS,
        with the account's own (ACCOUNTS_FILE) overriding those of the same name."""
        found = self.settings.windows()
        try:
            found.update(self.fleet.get(account).windows)
        except CloudError:  # an account not configured: it has no windows of its own
            pass
        return found

    def estimated_seconds(self, stop_start: bool) -> float:
        """How long a resize is expected to take (stop-start: stopping and starting too)."""
        s = self.settings
        return s.estimated_resize_seconds + (s.estimated_stop_start_seconds if stop_start else 0)

    def form_account(self, channel: str) -> Account | None:
        """The account a form opened in ``channel`` reads and acts on: the channel's account
        (its binding's default where it has several, else the first); None: unbound."""
        chosen = self.bindings.choose(channel)
        if isinstance(chosen, Chosen):
            return self.fleet.get(chosen.account)
        return self.fleet.get(chosen.available[0]) if chosen.available else None

    def kick(self) -> None:
        if self.kick_outbox is not None:
            self.kick_outbox()

    @property
    def owner(self) -> str:
        return replica_name(self.settings)

    def execution_lease(self) -> float:
        """Long enough for every attempt of the SDRS call, with a margin (or as configured)."""
        s = self.settings
        if s.execution_lease_seconds:
            return s.execution_lease_seconds
        return s.http_max_attempts * (s.http_read_timeout + s.http_backoff_cap) + 30
