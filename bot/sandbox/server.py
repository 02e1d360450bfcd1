"""The SDRS (+ ECS) emulator as a real HTTP server (aiohttp).

It serves the documented paths for one project, checks authentication the way the API gateway
does (``SDK-HMAC-SHA256`` signatures with a 15-minute clock window, or ``X-Auth-Token``), answers
with the documented error shapes and an ``X-Request-Id`` on every answer, records every request
it received (for fidelity tests), and injects faults on demand (:mod:`bot.sandbox.faults`).

Control endpoints under ``/_sandbox/`` (no authentication; the emulator binds to loopback by
default): ``GET state``, ``POST faults``, ``DELETE faults``, ``POST servers/{id}/power``,
``POST next-job``, ``POST ecs-faults`` (an ECS power fault, :class:`~bot.sandbox.faults.
PowerFault`: ``{"kind": "stop_fails"|"start_fails"|"start_to_error", "server_id"?,
"error_code"?, "fail_reason"?}``), ``GET ecs-faults``, ``DELETE ecs-faults``, and ``deny`` (IAM
refusals, :mod:`bot.sandbox.access_denial`).

``GET /v1/{project_id}/jobs/{job_id}`` serves SDRS and ECS jobs on one host: an id of an ECS job
(batch stop/start) is answered in ECS's shape, any other as SDRS answers
(:mod:`bot.sandbox.world`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.huaweicloud import signing
from bot.sandbox import gateway
from bot.sandbox.access_denial import AccessDenials
from bot.sandbox.faults import Fault, FaultPlan, PowerFault
from bot.sandbox.gateway import TemporaryKeys
from bot.sandbox.runner import AppThread
from bot.sandbox.world import JobPlan, SdrsApiError, World

MAX_CLOCK_SKEW_SECONDS = gateway.MAX_CLOCK_SKEW_SECONDS


@dataclass(frozen=True)
class CapturedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)  # when it arrived (epoch seconds)
    raw_path: str = ""  # as sent, percent-encoding kept (``path`` is decoded)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def signed_headers(self) -> list[str]:
        parsed = signing.parse_authorization(self.headers.get("authorization", ""))
        return parsed[1] if parsed else []


Handler = Callable[[Any, dict[str, str]], Awaitable[Any]]


def _gateway_error(status: int, code: str, message: str) -> web.Response:
    body = {"error_code": code, "error_msg": message, "request_id": uuid.uuid4().hex}
    return web.json_response(body, status=status)


class Emulator:
    """Wraps a :class:`World` in an aiohttp application."""

    def __init__(
        self, world: World, project_id: str, *, temporary: TemporaryKeys | None = None
    ) -> None:
        """``temporary``: the temporary keys an IAM emulator issues (shared with it), so the
        gateway accepts them with their security token."""
        self.world = world
        self.project_id = project_id
        self.temporary = temporary if temporary is not None else TemporaryKeys(world.now)
        self.faults = FaultPlan()
        self.denials = AccessDenials()  # IAM refusals per access key (POST /_sandbox/deny)
        self.requests: deque[CapturedRequest] = deque(maxlen=20_000)
        self.counts: Counter[str] = Counter()  # "METHOD /route" -> calls served
        # "METHOD route" -> requests being answered now, and the most at once so far
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        p = r"/v1/(?P<project>[^/]+)"
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(p + r"/protected-instances/(?P<id>[^/]+)/resize"), self._resize),
            ("GET", re.compile(p + r"/protected-instances/(?P<id>[^/]+)"), self._instance),
            ("GET", re.compile(p + r"/protected-instances"), self._instances),
            ("GET", re.compile(p + r"/server-groups/(?P<id>[^/]+)"), self._group),
            ("GET", re.compile(p + r"/jobs/(?P<id>[^/]+)"), self._job),
            ("GET", re.compile(p + r"/disaster-recovery-drills/(?P<id>[^/]+)"), self._drill),
            ("PUT", re.compile(p + r"/disaster-recovery-drills/(?P<id>[^/]+)"), self._rename),
            ("GET", re.compile(p + r"/disaster-recovery-drills"), self._drills),
            ("POST", re.compile(p + r"/cloudservers/action"), self._power),
            ("GET", re.compile(p + r"/cloudservers/resize_flavors"), self._flavors),
            ("GET", re.compile(p + r"/cloudservers/detail"), self._servers),
            ("GET", re.compile(p + r"/cloudservers/flavors"), self._zone_flavors),
            ("GET", re.compile(p + r"/cloudservers/limits"), self._limits),
            ("GET", re.compile(p + r"/cloudservers/(?P<id>[^/]+)"), self._server),
            (
                "GET",
                re.compile(r"/v1\.0/(?P<project>[^/]+)/dedicated-hosts/(?P<id>[^/]+)"),
                self._dedicated_host,
            ),
        ]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/_sandbox/state", self._ctl_state)
        app.router.add_post("/_sandbox/faults", self._ctl_add_fault)
        app.router.add_delete("/_sandbox/faults", self._ctl_clear_faults)
        app.router.add_post("/_sandbox/servers/{id}/power", self._ctl_power)
        app.router.add_post("/_sandbox/next-job", self._ctl_next_job)
        app.router.add_get("/_sandbox/ecs-faults", self._ctl_power_faults)
        app.router.add_post("/_sandbox/ecs-faults", self._ctl_add_power_fault)
        app.router.add_delete("/_sandbox/ecs-faults", self._ctl_clear_power_faults)
        self.denials.add_routes(app.router)
        app.router.add_route("*", "/v1/{tail:.*}", self._dispatch)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._dispatch)  # DeH
        return app

    # ---- the API ------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route = self._route_name(request.method, request.path)
        self.in_flight[route] += 1
        self.peak_in_flight[route] = max(self.peak_in_flight[route], self.in_flight[route])
        try:
            return await self._answer(request)
        finally:
            self.in_flight[route] -= 1

    def _route_name(self, method: str, path: str) -> str:
        for route_method, pattern, handler in self._routes:
            if route_method == method and pattern.fullmatch(path):
                return f"{method} {handler.__name__.lstrip('_')}"
        return f"{method} ?"

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        raw_path = request.raw_path.split("?", 1)[0]
        query = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
        self.requests.append(
            CapturedRequest(
                request.method,
                request.path,
                query,
                {k.lower(): v for k, v in request.headers.items()},
                body,
                raw_path=raw_path,
            )
        )
        late = 0.0  # carried out now, answered this much later
        garbled: str | None = None  # carried out, answered 200 with this unreadable body
        for fault in self.faults.take(request.method, request.path):
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "late":
                late += fault.seconds
            elif fault.kind == "garbled":
                garbled = fault.body
            elif fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            else:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
                err = {"error_code": f"APIGW.{fault.status}", "error_msg": "injected fault"}
                if fault.status == 429:
                    err = {
                        "error_code": "APIGW.0308",
                        "error_msg": "The throttling threshold has been reached",
                    }
                return web.json_response(err, status=fault.status, headers=headers)
        refusal = self._authenticate(request, raw_path, query, body)
        if refusal is not None:
            return refusal
        denied = self.denials.refusal(request, body, self._service_of(request.path))
        if denied is not None:
            return denied
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None or method != request.method:
                continue
            if match["project"] != self.project_id:
                return self._error(SdrsApiError(400, "SDRS.0001", "Invalid tenant ID"))
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                return self._error(
                    SdrsApiError(400, "SDRS.0201", "Invalid request parameters: body is not JSON")
                )
            self.counts[f"{method} {handler.__name__.lstrip('_')}"] += 1
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            params.update({f"q:{k}": v for k, v in query})
            try:
                result = await handler(payload, params)
            except SdrsApiError as exc:
                return self._error(exc)
            if late:
                await asyncio.sleep(late)
            if garbled is not None:
                headers = {"X-Request-Id": uuid.uuid4().hex}
                return web.Response(
                    body=garbled.encode(), content_type="application/json", headers=headers
                )
            return web.json_response(result, headers={"X-Request-Id": uuid.uuid4().hex})
        return _gateway_error(404, "APIGW.0101", "The API does not exist or has not been published")

    def _authenticate(
        self, request: web.Request, raw_path: str, query: list[tuple[str, str]], body: bytes
    ) -> web.Response | None:
        """The gateway's check (:func:`bot.sandbox.gateway.authenticate`): permanent or
        temporary AK/SK (with its security token), or a token."""
        outcome = gateway.authenticate(
            request.method,
            raw_path,
            query,
            {k.lower(): v for k, v in request.headers.items()},
            body,
            permanent=self.world.credentials,
            tokens=self.world.tokens,
            temporary=self.temporary,
            now=self.world.now(),
        )
        if isinstance(outcome, tuple):
            return _gateway_error(*outcome)
        return None

    def _service_of(self, path: str) -> str | None:
        """Which service a request on a path both share is for (the jobs path: by the job id)."""
        match = re.fullmatch(r"/v1/[^/]+/jobs/(?P<id>[^/]+)", path)
        if match is None:
            return None
        return "ecs" if self.world.is_ecs_job(match["id"]) else "sdrs"

    @staticmethod
    def _error(exc: SdrsApiError) -> web.Response:
        return web.json_response(
            exc.body(), status=exc.status, headers={"X-Request-Id": uuid.uuid4().hex}
        )

    async def _resize(self, payload: Any, p: dict[str, str]) -> Any:
        return {"job_id": self.world.resize(p["id"], payload)}

    async def _instance(self, payload: Any, p: dict[str, str]) -> Any:
        return {"protected_instance": self.world.instance(p["id"])}

    async def _instances(self, payload: Any, p: dict[str, str]) -> Any:
        items = self.world.list_instances(p.get("q:server_group_id"), p.get("q:name"))
        offset = int(p.get("q:offset", "0"))
        limit = int(p.get("q:limit", "1000"))
        page = items[offset : offset + limit]
        return {"protected_instances": page, "count": len(page)}

    async def _group(self, payload: Any, p: dict[str, str]) -> Any:
        return {"server_group": self.world.group(p["id"])}

    async def _job(self, payload: Any, p: dict[str, str]) -> Any:
        if self.world.is_ecs_job(p["id"]):
            return self.world.ecs_job(p["id"])
        return self.world.job(p["id"])

    async def _power(self, payload: Any, p: dict[str, str]) -> Any:
        return {"job_id": self.world.power_action(payload)}

    async def _drill(self, payload: Any, p: dict[str, str]) -> Any:
        return {"disaster_recovery_drill": self.world.drill(p["id"])}

    async def _rename(self, payload: Any, p: dict[str, str]) -> Any:
        return {"disaster_recovery_drill": self.world.rename_drill(p["id"], payload)}

    async def _drills(self, payload: Any, p: dict[str, str]) -> Any:
        filters = {k[2:]: v for k, v in p.items() if k.startswith("q:")}
        return self.world.list_drills(filters)

    async def _servers(self, payload: Any, p: dict[str, str]) -> Any:
        ids = sorted(self.world.servers)
        limit = int(p.get("q:limit", "1000"))
        servers = [self.world.server_wire(i) for i in ids[:limit]]
        return {"count": len(ids), "servers": servers}

    async def _server(self, payload: Any, p: dict[str, str]) -> Any:
        return {"server": self.world.server_wire(p["id"])}

    async def _dedicated_host(self, payload: Any, p: dict[str, str]) -> Any:
        return {"dedicated_host": self.world.dedicated_host(p["id"], self.project_id)}

    async def _flavors(self, payload: Any, p: dict[str, str]) -> Any:
        server_id = p.get("q:instance_uuid")
        if not server_id:
            raise SdrsApiError(400, "Ecs.0005", "Request parameter instance_uuid is missing")
        return {"flavors": self.world.resize_flavors(server_id)}

    async def _zone_flavors(self, payload: Any, p: dict[str, str]) -> Any:
        try:
            limit = int(p.get("q:limit", "1000"))
        except ValueError:
            raise SdrsApiError(400, "Ecs.0005", "Request parameter limit is invalid") from None
        return {"flavors": self.world.zone_flavors(limit, p.get("q:marker") or None)}

    async def _limits(self, payload: Any, p: dict[str, str]) -> Any:
        return self.world.limits_wire()

    # ---- control ------------------------------------------------------------------------
    async def _ctl_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.world.snapshot())

    async def _ctl_add_fault(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.faults.add(Fault(**data))
        return web.json_response({"ok": True})

    async def _ctl_clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({"ok": True})

    async def _ctl_power(self, request: web.Request) -> web.Response:
        data = await request.json()
        try:
            self.world.set_power(request.match_info["id"], str(data["status"]))
        except KeyError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=404)
        return web.json_response({"ok": True})

    async def _ctl_next_job(self, request: web.Request) -> web.Response:
        data = await request.json()
        fail = data.get("fail")
        plan = JobPlan(
            seconds=data.get("seconds"),
            fail=(str(fail[0]), str(fail[1])) if fail else None,
            hang=bool(data.get("hang", False)),
        )
        self.world.plan_next_job(plan)
        return web.json_response({"ok": True})

    async def _ctl_power_faults(self, request: web.Request) -> web.Response:
        with self.world.lock:
            faults = [vars(f) | {"describe": f.describe()} for f in self.world.power_faults]
        return web.json_response(faults)

    async def _ctl_add_power_fault(self, request: web.Request) -> web.Response:
        data = await request.json()
        try:
            if not isinstance(data, dict):
                raise TypeError("a JSON object")
            fault = PowerFault(**{k: str(v) for k, v in data.items()})  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        self.world.add_power_fault(fault)
        return web.json_response({"ok": True})

    async def _ctl_clear_power_faults(self, request: web.Request) -> web.Response:
        self.world.clear_power_faults()
        return web.json_response({"ok": True})


class EmulatorThread(AppThread):
    """Runs an :class:`Emulator` on its own event loop in a daemon thread (port 0 by default)."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(emulator.app(), host, port)
        self.emulator = emulator
