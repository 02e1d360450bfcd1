"""ECS wire models: a server's power state, flavor and placement; a resize flavor."""

from __future__ import annotations

from pydantic import Field

from bot.core.wire.base import Wire

POWERED_OFF = "SHUTOFF"


class Flavor(Wire):
    """A flavor as ECS describes it (``vcpus``/``ram`` arrive as strings in some answers)."""

    id: str
    name: str = ""
    vcpus: int = 0
    ram: int = Field(default=0, description="MiB")


class Server(Wire):
    id: str
    name: str = ""
    status: str
    flavor: Flavor
    availability_zone: str | None = Field(default=None, alias="OS-EXT-AZ:availability_zone")
    dedicated_host_id: str | None = Field(default=None, alias="OS-EXT-SRV-ATTR:host")

    @property
    def powered_off(self) -> bool:
        return self.status == POWERED_OFF
