"""IAM refusals in the emulator: deny grants (custom-policy actions such as
``ecs:cloudServers:list``, or the system role ``SDRS Administrator``) for one access key or for
every caller, so ``sdrs-bot check`` and its tests meet a least-privilege gap the way a real
account shows it.

Control (no authentication, like every ``/_sandbox/`` route): ``POST /_sandbox/deny``
``{"grants": ["ecs:cloudServers:list"], "ak": "AK..."}`` (``ak`` optional: every caller) adds
refusals; ``DELETE /_sandbox/deny`` clears them; ``GET /_sandbox/deny`` lists them.

A refused call is answered after authentication succeeded, before the service looks at the
request, with HTTP 403 and the API gateway's documented error form: ``error_code``
``APIGW.0302`` ("The IAM user is not authorized to access the API", 403, in Huawei's API gateway
error code table), ``error_msg``, ``request_id`` and ``encoded_authorization_message`` (the
field Huawei documents on IAM identity-policy refusals). The message names the action that
was refused (for a role: that the role is not granted). This shape is the emulator's choice:
Huawei documents no one code for a policy refusal of SDRS or ECS calls; the bot's decision
(:func:`bot.core.permissions.refused_grant`) relies on the 403, not on the code.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from typing import Any

from aiohttp import web

from bot.core.permissions import GrantKind, permission_for
from bot.huaweicloud import signing

DENIED_CODE = "APIGW.0302"
EVERYONE = "*"


class AccessDenials:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._denied: dict[str, set[str]] = {}  # access key (or "*") -> denied grant names

    def deny(self, grants: list[str], ak: str | None = None) -> None:
        with self._lock:
            self._denied.setdefault(ak or EVERYONE, set()).update(grants)

    def clear(self) -> None:
        with self._lock:
            self._denied.clear()

    def snapshot(self) -> dict[str, list[str]]:
        with self._lock:
            return {ak: sorted(names) for ak, names in self._denied.items()}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/_sandbox/deny", self._ctl_list)
        router.add_post("/_sandbox/deny", self._ctl_deny)
        router.add_delete("/_sandbox/deny", self._ctl_clear)

    def refusal(
        self, request: web.Request, body: bytes = b"", service: str | None = None
    ) -> web.Response | None:
        """The 403 for an authenticated request whose grant is denied to its caller, else None.
        ``body`` tells actions on one path apart (ECS batch stop/start), ``service`` a path two
        services share (the jobs path)."""
        permission = permission_for(
            request.method, request.path, service=service, body=_json_or_none(body)
        )
        if permission is None:
            return None
        ak = _access_key(request)
        with self._lock:
            denied = self._denied.get(EVERYONE, set()) | self._denied.get(ak or "", set())
        grant = permission.grant
        if grant.name not in denied:
            return None
        if grant.kind is GrantKind.ACTION:
            why = f"policy doesn't allow {grant.name} to be performed"
        else:
            why = f"the role {grant.name} is not granted in this project"
        answer = {
            "error_code": DENIED_CODE,
            "error_msg": f"The IAM user is not authorized to access the API: {why}",
            "request_id": uuid.uuid4().hex,
            "encoded_authorization_message": base64.b64encode(
                f"deny {grant.name} {request.method} {request.path}".encode()
            ).decode(),
        }
        return web.json_response(answer, status=403, headers={"X-Request-Id": answer["request_id"]})

    async def _ctl_list(self, request: web.Request) -> web.Response:
        return web.json_response(self.snapshot())

    async def _ctl_deny(self, request: web.Request) -> web.Response:
        data = await request.json()
        grants = data.get("grants")
        if not isinstance(grants, list) or not all(isinstance(g, str) for g in grants):
            return web.json_response({"ok": False, "error": "grants: a list of names"}, status=400)
        ak = data.get("ak")
        self.deny(grants, str(ak) if ak else None)
        return web.json_response({"ok": True})

    async def _ctl_clear(self, request: web.Request) -> web.Response:
        self.clear()
        return web.json_response({"ok": True})


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _access_key(request: web.Request) -> str | None:
    parsed = signing.parse_authorization(request.headers.get("Authorization", ""))
    return parsed[0] if parsed else None
