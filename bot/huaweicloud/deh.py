"""The DeH (Dedicated Host) call the bot needs: one host's details, read by the resize preflight
for each resized site on a dedicated host (:mod:`bot.huaweicloud.reads`).

``GET /v1.0/{project_id}/dedicated-hosts/{dedicated_host_id}`` on the DeH endpoint, as the DeH
API reference ("Querying Details About a DeH") and ``huaweicloudsdkdeh``'s ``DeHClient``
(``ShowDedicatedHost``) send it; signed like ECS (AK/SK with the project id header, or the IAM
token), through :class:`bot.huaweicloud.http.CloudHttp`. The answer is
``{"dedicated_host": RespDedicatedHost}`` (:class:`bot.core.wire.deh.DedicatedHost`). A host that
does not exist is HTTP 404 (:class:`bot.core.errors.NotFoundError`): the caller refuses it.
"""

from __future__ import annotations

from bot.core.wire.deh import DedicatedHost
from bot.huaweicloud.http import CloudHttp, api_path, parse_model


class DehClient:
    def __init__(self, http: CloudHttp, project_id: str) -> None:
        self._http = http
        self._project = project_id
        api_path(project_id)  # refuse a project id that is not one path segment, now

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_dedicated_host(self, host_id: str) -> DedicatedHost:
        if not host_id:
            raise ValueError("an empty dedicated host id cannot be looked up; nothing was sent")
        path = api_path("v1.0", self._project, "dedicated-hosts", host_id)
        data = await self._http.request("GET", path)
        return parse_model(DedicatedHost, data.get("dedicated_host"), "show dedicated host")
