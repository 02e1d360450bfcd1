"""ECS wire models: a server's power state, flavor, placement and billing; a resize flavor.

Wire names and types follow huaweicloudsdkecs (``ServerDetail``, ``ServerFlavor``,
``ServerSchedulerHints``, ``ListResizeFlavorsResult``) and the ECS API reference:

* ``OS-EXT-SRV-ATTR:host`` is the name of the host a server runs on - every server has one - so
  it says nothing about dedicated hosts. Dedicated-host placement is ``os:scheduler_hints``:
  ``tenancy`` ``["dedicated"]`` and ``dedicated_host_id`` ``["<DeH id>"]`` (lists of strings).
* ``metadata.charging_mode``: ``"0"`` pay-per-use (postPaid), ``"1"`` yearly/monthly (prePaid),
  ``"2"`` spot.
* ``flavor.vcpus``/``flavor.ram`` arrive as strings in ``ServerFlavor``; ``ram`` is an int and
  ``vcpus`` a string in ``ListResizeFlavorsResult``. Both are read as ints here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from bot.core.wire.base import Wire

POWERED_OFF = "SHUTOFF"
CHARGING_PREPAID = "1"
TENANCY_DEDICATED = "dedicated"


class Flavor(Wire):
    """A flavor as ECS describes it (``vcpus``/``ram`` arrive as strings in some answers)."""

    id: str
    name: str = ""
    vcpus: int = 0
    ram: int = Field(default=0, description="MiB")


class SchedulerHints(Wire):
    """``os:scheduler_hints`` of a server (``ServerSchedulerHints``)."""

    tenancy: list[str] = Field(default_factory=list)
    dedicated_host_id: list[str] = Field(default_factory=list)

    @field_validator("tenancy", "dedicated_host_id", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """The SDK types these as lists; accept a bare string too (older answers)."""
        if value is None or value == "":
            return []
        return [value] if isinstance(value, str) else value


class Server(Wire):
    id: str
    name: str = ""
    status: str
    flavor: Flavor
    availability_zone: str | None = Field(default=None, alias="OS-EXT-AZ:availability_zone")
    host_name: str | None = Field(default=None, alias="OS-EXT-SRV-ATTR:host")
    # what ECS is doing to it now (powering-off, powering-on, ...); None or "" when nothing
    task_state: str | None = Field(default=None, alias="OS-EXT-STS:task_state")
    scheduler_hints: SchedulerHints | None = Field(default=None, alias="os:scheduler_hints")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def powered_off(self) -> bool:
        return self.status == POWERED_OFF

    @property
    def on_dedicated_host(self) -> bool:
        hints = self.scheduler_hints
        return hints is not None and (
            TENANCY_DEDICATED in hints.tenancy or bool(hints.dedicated_host_id)
        )

    @property
    def dedicated_host_id(self) -> str | None:
        """The DeH the server runs on, when it runs on one (None on the shared pool)."""
        hints = self.scheduler_hints
        if not self.on_dedicated_host or hints is None:
            return None
        return hints.dedicated_host_id[0] if hints.dedicated_host_id else ""

    @property
    def prepaid(self) -> bool:
        """Billed yearly/monthly: SDRS refuses to resize it (SDRS.1376)."""
        return self.metadata.get("charging_mode") == CHARGING_PREPAID
