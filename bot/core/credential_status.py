"""How one account's credential source stands: what /readyz, the metrics and ``sdrs-bot check``
show about it (no secrets). Kept by :class:`bot.huaweicloud.credentials.CredentialProvider`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CredentialStatus:
    """What /readyz, metrics and ``sdrs-bot check`` show about one provider (no secrets)."""

    ok: bool  # a valid snapshot is held (or none was asked for yet and the last try did not fail)
    source: str  # the source kind: static, ecs-metadata, oidc, assume-agency...
    description: str  # e.g. "assume-agency ops@acct-b via ecs-metadata"
    expires_at: datetime | None
    last_error: str | None  # the last refresh failure, None after a success
    consecutive_failures: int
    refreshes: int  # successful fetches so far

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (``expires_at`` ISO 8601) for /readyz and ``sdrs-bot check``."""
        return {
            "ok": self.ok,
            "source": self.source,
            "description": self.description,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "refreshes": self.refreshes,
        }
