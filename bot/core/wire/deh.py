"""DeH (Dedicated Host) wire models: what ``GET /v1.0/{project_id}/dedicated-hosts/{id}`` answers.

Names and types follow huaweicloudsdkdeh (``ShowDedicatedHostResponse`` -> ``dedicated_host``:
``RespDedicatedHost``; ``host_properties``: ``RespHostProperty``; its
``available_instance_capacities``: ``RespInstanceCapacity`` ``{flavor}``) and the DeH API
reference ("Querying Details About a DeH"):

* ``availability_zone``, ``name``, ``state`` (``available``, ``fault``, ``released``),
  ``available_vcpus`` (int) and ``available_memory`` (int, MiB): what is free on the host now;
* ``host_properties.host_type`` (e.g. ``s6``), ``vcpus``/``memory`` (the whole host) and
  ``available_instance_capacities``: the flavors this host type takes.
"""

from __future__ import annotations

from pydantic import Field

from bot.core.wire.base import Wire


class InstanceCapacity(Wire):
    """``RespInstanceCapacity``: one flavor the host type takes."""

    flavor: str = ""


class HostProperties(Wire):
    """``RespHostProperty``."""

    host_type: str = ""
    host_type_name: str = ""
    vcpus: int = 0
    memory: int = Field(default=0, description="MiB")
    available_instance_capacities: list[InstanceCapacity] = Field(default_factory=list)


class DedicatedHost(Wire):
    """``RespDedicatedHost`` (the parts a resize preflight reads)."""

    dedicated_host_id: str
    name: str = ""
    availability_zone: str = ""
    state: str = ""
    available_vcpus: int = 0
    available_memory: int = Field(default=0, description="MiB")
    host_properties: HostProperties = Field(default_factory=HostProperties)

    @property
    def host_type(self) -> str:
        return self.host_properties.host_type

    def takes(self) -> frozenset[str]:
        """The flavors this host's type takes (empty: the answer did not list them)."""
        return frozenset(c.flavor for c in self.host_properties.available_instance_capacities)
