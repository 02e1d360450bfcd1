"""The cloud accounts this bot acts on, each with its own SDRS and ECS clients.

Built by :mod:`bot.huaweicloud.wiring` from the environment (one account) or ``ACCOUNTS_FILE``.
Operations and the tracker pick the clients of the account an operation or job records; a
record made before accounts existed (account ``""``) belongs to the environment's account.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.credential_status import CredentialStatus
from bot.core.errors import CloudError
from bot.core.windows import WindowSpec
from bot.huaweicloud.credentials import CredentialProvider
from bot.huaweicloud.deh import DehClient
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient


class AccountUnavailable(CloudError):
    """The account a record names is not configured (any more): nothing is sent."""


@dataclass(frozen=True)
class Account:
    name: str
    region: str
    project_id: str
    sdrs: SdrsClient
    ecs: EcsClient
    sdrs_url: str = ""
    ecs_url: str = ""
    # where its keys come from (refreshed ahead of expiry); None: the environment's keys
    credentials: CredentialProvider | None = field(default=None, compare=False)
    # its own maintenance windows (ACCOUNTS_FILE), overriding MAINTENANCE_WINDOWS by name
    windows: Mapping[str, WindowSpec] = field(default_factory=dict, compare=False)
    # dedicated hosts (None: no DeH endpoint for the region; hosts are then not read)
    deh: DehClient | None = field(default=None, compare=False)

    def label(self) -> str:
        return f"{self.name} ({self.region})"


class Fleet:
    def __init__(self, accounts: Sequence[Account], *, legacy: str | None = None) -> None:
        """``legacy``: the account of records stored before accounts existed (the environment's
        account, when there is one)."""
        if not accounts:
            raise ValueError("a fleet needs at least one account")
        self._accounts = {a.name: a for a in accounts}
        self._legacy = legacy

    def __iter__(self) -> Iterator[Account]:
        return iter(self._accounts.values())

    def __len__(self) -> int:
        return len(self._accounts)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._accounts)

    def resolve(self, name: str) -> str:
        """The account a record means (a record from before accounts: the legacy account)."""
        return name or self._legacy or ""

    def get(self, name: str) -> Account:
        key = self.resolve(name)
        account = self._accounts.get(key)
        if account is None:
            raise AccountUnavailable(
                f"account {name or '(from before accounts)'!r} is not configured in this bot "
                f"(configured: {', '.join(self._accounts)}); nothing was sent"
            )
        return account

    def credential_statuses(self) -> list[tuple[str, CredentialStatus]]:
        """(account, status) of every account whose keys come from a credential source."""
        return [
            (a.name, a.credentials.status())
            for a in self._accounts.values()
            if a.credentials is not None
        ]

    async def aclose(self) -> None:
        for account in self._accounts.values():
            await account.sdrs.aclose()
            await account.ecs.aclose()
            if account.deh is not None:
                await account.deh.aclose()
            if account.credentials is not None:
                await account.credentials.aclose()
