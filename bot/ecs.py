"""Read-only ECS calls the bot needs: a server's power state, flavor, placement and billing, and
the flavors a server may be resized to. Paths follow the ECS API reference
(``/v1/{project_id}/cloudservers``); signing, transport, retries and errors come from
:mod:`bot.huaweicloud`. Built from the settings in :mod:`bot.cloud_wiring`.
"""

from __future__ import annotations

from bot.core.errors import ResponseFormatError
from bot.core.wire.ecs import Flavor, Server
from bot.huaweicloud.http import CloudHttp, api_path, parse_model


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
