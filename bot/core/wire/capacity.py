"""ECS capacity and quota wire models: flavors as listed for an availability zone, with their
sale status, and the project's ECS limits.

Wire names follow huaweicloudsdkecs: ``ListFlavorsResponse`` (``flavors``: ``Flavor`` with
``os_extra_specs``: ``FlavorExtraSpec``, whose ``condoperationstatus`` / ``condoperationaz`` are
the JSON keys ``cond:operation:status`` / ``cond:operation:az``) for ``GET
/v1/{project_id}/cloudservers/flavors?availability_zone=``; ``ShowServerLimitsResponse``
(``absolute``: ``ServerLimits``, keys ``maxTotalCores``, ``totalCoresUsed``,
``maxTotalRAMSize``, ``totalRAMUsed``; RAM in MiB) for ``GET
/v1/{project_id}/cloudservers/limits``. What the values mean: :mod:`bot.core.capacity`.
"""

from __future__ import annotations

from pydantic import Field

from bot.core.wire.base import Wire
from bot.core.wire.ecs import Flavor


class FlavorExtraSpecs(Wire):
    """``FlavorExtraSpec``: the two sale-status keys the bot reads (the others are ignored)."""

    operation_status: str | None = Field(default=None, alias="cond:operation:status")
    operation_az: str | None = Field(default=None, alias="cond:operation:az")


class ZoneFlavor(Flavor):
    """A flavor as ``ListFlavors`` describes it (``vcpus`` a string, ``ram`` an int in MiB)."""

    extra_specs: FlavorExtraSpecs | None = Field(default=None, alias="os_extra_specs")


class ServerLimits(Wire):
    """``ServerLimits`` (the ``absolute`` object): the project's ECS quota in this region. A
    negative maximum means no limit (the Nova convention ECS keeps)."""

    max_total_cores: int = Field(alias="maxTotalCores")
    total_cores_used: int = Field(alias="totalCoresUsed")
    max_total_ram_size: int = Field(alias="maxTotalRAMSize", description="MiB")
    total_ram_used: int = Field(alias="totalRAMUsed", description="MiB")
