"""The emulator's dedicated hosts (DeH): what ``GET /v1.0/{project_id}/dedicated-hosts/{id}``
answers and whether a resized server fits on a host.

The answer has the fields of huaweicloudsdkdeh's ``ShowDedicatedHostResponse``
(``dedicated_host``: ``RespDedicatedHost``, ``host_properties``: ``RespHostProperty``,
``available_instance_capacities``: ``[RespInstanceCapacity{flavor}]``), with the SDK's types
(``available_vcpus``/``available_memory`` int, memory in MiB). What is free is computed from the
servers placed on the host (their flavors' vCPUs and memory). The flavors a host takes are the
world's flavors of its type's series (``host_type`` ``s6`` takes ``s6.*``) unless listed.

An unknown host is HTTP 404 with ``{"error": {"code": "DEH.0404", "message"}}``: the code is this
emulator's (the DeH error-code table was not at hand); the bot relies on the 404 alone.

A resize to a host whose type does not take the new flavor, or without the free vCPUs/memory
for it (on the server's own host: for the growth), is refused by the emulated SDRS with 400 and
``SANDBOX.DEH_FLAVOR`` / ``SANDBOX.DEH_CAPACITY``: no SDRS code for either is documented, so the
emulator names its own (the bot refuses both before Confirm and never meets them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

NOT_FOUND_CODE = "DEH.0404"
FLAVOR_CODE = "SANDBOX.DEH_FLAVOR"
CAPACITY_CODE = "SANDBOX.DEH_CAPACITY"


class _Flavor(Protocol):
    id: str
    vcpus: int
    ram: int


class _Server(Protocol):
    id: str
    flavor: str
    dedicated_host_id: str | None


@dataclass
class DedicatedHost:
    id: str
    az: str
    name: str = ""
    host_type: str = "s6"
    vcpus: int = 64
    memory: int = 262144  # MiB
    flavors: tuple[str, ...] = ()  # the flavors it takes; (): those of its type's series
    state: str = "available"
    allocated_at: str = "2026-01-05T08:00:00Z"

    def takes(self, flavors: Iterable[str]) -> list[str]:
        if self.flavors:
            return list(self.flavors)
        return sorted(f for f in flavors if f.split(".", 1)[0] == self.host_type)

    def used(
        self, servers: Iterable[_Server], flavors: Mapping[str, _Flavor]
    ) -> tuple[int, int, list[str]]:
        """(vCPUs, MiB, server ids) of the servers placed on this host."""
        on = [s for s in servers if s.dedicated_host_id == self.id]
        sizes = [flavors.get(s.flavor) for s in on]
        vcpus = sum(f.vcpus for f in sizes if f is not None)
        mib = sum(f.ram for f in sizes if f is not None)
        return vcpus, mib, [s.id for s in on]

    def wire(
        self, servers: Iterable[_Server], flavors: Mapping[str, _Flavor], project_id: str
    ) -> dict[str, Any]:
        vcpus, mib, uuids = self.used(servers, flavors)
        return {
            "dedicated_host_id": self.id,
            "name": self.name,
            "auto_placement": "off",
            "availability_zone": self.az,
            "project_id": project_id,
            "host_properties": {
                "host_type": self.host_type,
                "host_type_name": f"{self.host_type.upper()} general-purpose",
                "vcpus": self.vcpus,
                "cores": self.vcpus // 2,
                "sockets": 2,
                "memory": self.memory,
                "available_instance_capacities": [
                    {"flavor": f} for f in self.takes(flavors.keys())
                ],
            },
            "state": self.state,
            "available_vcpus": max(self.vcpus - vcpus, 0),
            "available_memory": max(self.memory - mib, 0),
            "allocated_at": self.allocated_at,
            "instance_total": len(uuids),
            "instance_uuids": uuids,
            "tags": {},
        }

    def refusal(
        self,
        server: _Server,
        new_flavor: str,
        servers: Iterable[_Server],
        flavors: Mapping[str, _Flavor],
    ) -> tuple[str, str] | None:
        """(code, message) when ``server`` cannot have ``new_flavor`` on this host."""
        if new_flavor not in self.takes(flavors.keys()):
            return (
                FLAVOR_CODE,
                f"The dedicated host {self.id} (type {self.host_type}) does not take {new_flavor}",
            )
        new = flavors.get(new_flavor)
        if new is None:
            return None
        vcpus, mib, _ = self.used(servers, flavors)
        placed = flavors.get(server.flavor) if server.dedicated_host_id == self.id else None
        need_vcpus = new.vcpus - (placed.vcpus if placed else 0)
        need_mib = new.ram - (placed.ram if placed else 0)
        if need_vcpus > self.vcpus - vcpus or need_mib > self.memory - mib:
            return (
                CAPACITY_CODE,
                f"The dedicated host {self.id} has not enough free vCPUs or memory for "
                f"{new_flavor}",
            )
        return None
