"""The ECS calls the bot needs: reads (a server's power state, flavor, placement and billing, the
flavors a server may be resized to, the flavors of an availability zone with their sale status,
the project's limits, an ECS job) and the two power actions of the
stop-resize-start runbook (batch stop, batch start). Paths follow the ECS API reference
(``/v1/{project_id}/cloudservers``, ``/v1/{project_id}/jobs/{job_id}``) and equal what
``huaweicloudsdkecs``' ``EcsClient`` sends (``BatchStopServers``, ``BatchStartServers``: ``POST
/v1/{project_id}/cloudservers/action``; ``ShowJob``: ``GET /v1/{project_id}/jobs/{job_id}``);
bodies and answers are in :mod:`bot.core.wire.ecs`. Signing, transport, retries and errors come
from :mod:`bot.huaweicloud`. Built from the settings in :mod:`bot.huaweicloud.wiring`.

The power actions are POSTs that change servers: :mod:`bot.core.retry` never repeats them once
they may have been sent (a read timeout, a dropped connection, a 502/504 raise
:class:`~bot.core.errors.OutcomeUnknownError`, with a hint to read the servers before asking
again), exactly as for the SDRS resize. Server ids travel in the body; each is checked before
anything is sent (:func:`bot.core.wire.ecs.server_refs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.errors import ResponseFormatError
from bot.core.hints import power_hint
from bot.core.wire.capacity import ServerLimits, ZoneFlavor
from bot.core.wire.ecs import EcsJob, EcsJobCreated, Flavor, Server, start_body, stop_body
from bot.huaweicloud.http import CloudHttp, api_path, parse_model

FLAVOR_PAGE = 1000  # ListFlavors' default and the page the bot asks for


class EcsClient:
    def __init__(self, http: CloudHttp, project_id: str) -> None:
        self._http = http
        self._project = project_id
        api_path(project_id)  # refuse a project id that is not one path segment, now

    def _path(self, *segments: str) -> str:
        return api_path("v1", self._project, "cloudservers", *segments)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_server(self, server_id: str) -> Server:
        data = await self._http.request("GET", self._path(server_id))
        return parse_model(Server, data.get("server"), "show server")

    async def count_servers(self) -> int:
        """ListServersDetails with limit=1: a harmless read that proves the credentials work."""
        data = await self._http.request("GET", self._path("detail"), query=[("limit", "1")])
        count = data.get("count")
        if not isinstance(count, int):
            raise ResponseFormatError("list servers: no 'count' in the answer")
        return count

    async def list_resize_flavors(self, server_id: str) -> list[Flavor]:
        if not server_id:
            raise ValueError("an empty server id cannot be looked up; nothing was sent")
        data = await self._http.request(
            "GET", self._path("resize_flavors"), query=[("instance_uuid", server_id)]
        )
        flavors = data.get("flavors")
        if not isinstance(flavors, list):
            raise ResponseFormatError("list resize flavors: no 'flavors' list in the answer")
        return [parse_model(Flavor, f, "resize flavor") for f in flavors]

    async def list_zone_flavors(self, zone: str | None) -> list[ZoneFlavor]:
        """ECS "Querying Flavors" (``ListFlavors``): ``GET
        /v1/{project_id}/cloudservers/flavors?availability_zone=`` with each flavor's sale
        status (``os_extra_specs``), every page (``limit`` 1000, ``marker`` the last id);
        ``zone`` None: the region's flavors, no zone asked for."""
        if zone == "":
            raise ValueError("an empty availability zone cannot be looked up; nothing was sent")
        found: list[ZoneFlavor] = []
        marker = ""
        while True:
            query = [("availability_zone", zone)] if zone else []
            query.append(("limit", str(FLAVOR_PAGE)))
            if marker:
                query.append(("marker", marker))
            data = await self._http.request("GET", self._path("flavors"), query=query)
            page = data.get("flavors")
            if not isinstance(page, list):
                raise ResponseFormatError("list flavors: no 'flavors' list in the answer")
            found += [parse_model(ZoneFlavor, f, "flavor") for f in page]
            if len(page) < FLAVOR_PAGE or found[-1].id == marker:
                return found
            marker = found[-1].id

    async def get_limits(self) -> ServerLimits:
        """ECS "Querying Tenant Quotas" (``ShowServerLimits``): ``GET
        /v1/{project_id}/cloudservers/limits``, the ``absolute`` object."""
        data = await self._http.request("GET", self._path("limits"))
        return parse_model(ServerLimits, data.get("absolute"), "show server limits")

    async def batch_stop(self, server_ids: Sequence[str], *, hard: bool = False) -> str:
        """ECS "Stopping ECSs in a Batch" (``BatchStopServers``): ``POST
        /v1/{project_id}/cloudservers/action`` with ``{"os-stop": {"type": "SOFT"|"HARD",
        "servers": [{"id"}]}}``; returns the ECS job id. Accepted is not stopped: poll
        :meth:`get_job` (each server is SHUTOFF when the job is SUCCESS). Never retried once it
        may have been sent."""
        body = stop_body(server_ids, hard=hard)
        return await self._power_action(body, server_ids, "stop")

    async def batch_start(self, server_ids: Sequence[str]) -> str:
        """ECS "Starting ECSs in a Batch" (``BatchStartServers``): ``POST
        /v1/{project_id}/cloudservers/action`` with ``{"os-start": {"servers": [{"id"}]}}``;
        returns the ECS job id. Never retried once it may have been sent."""
        body = start_body(server_ids)
        return await self._power_action(body, server_ids, "start")

    async def _power_action(
        self, body: dict[str, Any], server_ids: Sequence[str], what: str
    ) -> str:
        """POST cloudservers/action; a lost answer says how to tell whether it was accepted."""
        data = await self._http.request(
            "POST",
            self._path("action"),
            body=body,
            unknown_outcome_hint=power_hint(server_ids, stop=what == "stop"),
        )
        return parse_model(EcsJobCreated, data, f"batch {what}").job_id

    async def get_job(self, job_id: str) -> EcsJob:
        """ECS "Querying Job Execution Status" (``ShowJob``): ``GET
        /v1/{project_id}/jobs/{job_id}`` on the ECS endpoint (the SDRS endpoint has a job API at
        the same path for SDRS jobs: the endpoint decides which service answers)."""
        data = await self._http.request("GET", api_path("v1", self._project, "jobs", job_id))
        return parse_model(EcsJob, data, "show ECS job")
