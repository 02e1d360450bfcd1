"""Read-only ECS calls the bot needs: a server's power state and flavor, and the flavors a
server may be resized to. Paths follow the ECS API reference (``/v1/{project_id}/cloudservers``).
"""

from __future__ import annotations

from typing import Any

from bot.cloud_http import CloudHttp, path_param
from bot.config import Settings
from bot.core.errors import ConfigError, ResponseFormatError
from bot.core.wire.ecs import Flavor, Server
from bot.sdrs.client import http_for, parse_model


class EcsClient:
    def __init__(self, http: CloudHttp, project_id: str) -> None:
        self._http = http
        self._prefix = f"/v1/{path_param(project_id)}/cloudservers"

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> EcsClient:
        if not settings.huaweicloud_sdk_project_id:
            raise ConfigError(["HUAWEICLOUD_SDK_PROJECT_ID is required to call ECS"])
        http = http_for(settings, settings.ecs_base_url, **kwargs)
        return cls(http, settings.huaweicloud_sdk_project_id)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_server(self, server_id: str) -> Server:
        data = await self._http.request("GET", f"{self._prefix}/{path_param(server_id)}")
        return parse_model(Server, data.get("server"), "show server")

    async def count_servers(self) -> int:
        """ListServersDetails with limit=1: a harmless read that proves the credentials work."""
        data = await self._http.request("GET", f"{self._prefix}/detail", query=[("limit", "1")])
        count = data.get("count")
        if not isinstance(count, int):
            raise ResponseFormatError("list servers: no 'count' in the answer")
        return count

    async def list_resize_flavors(self, server_id: str) -> list[Flavor]:
        data = await self._http.request(
            "GET", f"{self._prefix}/resize_flavors", query=[("instance_uuid", server_id)]
        )
        flavors = data.get("flavors")
        if not isinstance(flavors, list):
            raise ResponseFormatError("list resize flavors: no 'flavors' list in the answer")
        return [parse_model(Flavor, f, "resize flavor") for f in flavors]
