"""Hostile ids never leave the documented path: empty, ``.`` and ``..``
segments are refused before anything is sent; anything else stays one quoted segment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from pydantic import SecretStr

from bot.core.errors import CloudError
from bot.core.wire.sdrs import ResizeParams
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.http import CloudHttp, api_path, path_param
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.signing import AkSkAuth
from bot.sandbox.seed import SANDBOX_PROJECT_ID
from bot.sandbox.server import EmulatorThread
from tests.support.httpx_sender import HttpxSender

P = SANDBOX_PROJECT_ID
REFUSED = ["", ".", ".."]
KEPT = ["a/b", "%2e%2e", "..a", "a b", "?x=1#y"]
XLARGE = ResizeParams(flavorRef="s6.xlarge.2")

Call = Callable[[SdrsClient, EcsClient, str], Awaitable[Any]]
# (name, call, documented path with {} for the id)
METHODS: list[tuple[str, Call, str]] = [
    (
        "resize",
        lambda s, e, i: s.resize_protected_instance(i, XLARGE),
        f"/v1/{P}/protected-instances/{{}}/resize",
    ),
    (
        "rename_drill",
        lambda s, e, i: s.rename_drill(i, "new-name"),
        f"/v1/{P}/disaster-recovery-drills/{{}}",
    ),
    ("get_drill", lambda s, e, i: s.get_drill(i), f"/v1/{P}/disaster-recovery-drills/{{}}"),
    ("get_job", lambda s, e, i: s.get_job(i), f"/v1/{P}/jobs/{{}}"),
    (
        "get_protected_instance",
        lambda s, e, i: s.get_protected_instance(i),
        f"/v1/{P}/protected-instances/{{}}",
    ),
    (
        "get_protection_group",
        lambda s, e, i: s.get_protection_group(i),
        f"/v1/{P}/server-groups/{{}}",
    ),
    ("get_server", lambda s, e, i: e.get_server(i), f"/v1/{P}/cloudservers/{{}}"),
    ("ecs_get_job", lambda s, e, i: e.get_job(i), f"/v1/{P}/jobs/{{}}"),
]
# Methods whose ids travel in the body: the path never changes, and a server id that cannot be
# one (empty, '.', '..', a '/') is refused before anything is sent.
BODY_METHODS: list[tuple[str, Call]] = [
    ("batch_stop", lambda s, e, i: e.batch_stop(["srv-ok", i])),
    ("batch_stop_hard", lambda s, e, i: e.batch_stop([i], hard=True)),
    ("batch_start", lambda s, e, i: e.batch_start([i, "srv-ok"])),
]
# Methods whose ids travel in the query: the path never changes.
QUERY_METHODS: list[tuple[str, Call, str]] = [
    (
        "list_resize_flavors",
        lambda s, e, i: e.list_resize_flavors(i),
        f"/v1/{P}/cloudservers/resize_flavors",
    ),
    (
        "list_protected_instances",
        lambda s, e, i: s.list_protected_instances(server_group_id=i),
        f"/v1/{P}/protected-instances",
    ),
    (
        "list_drills",
        lambda s, e, i: s.list_drills(server_group_id=i, name=i),
        f"/v1/{P}/disaster-recovery-drills",
    ),
]


class Recorder:
    def __init__(self) -> None:
        self.raw_paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.raw_paths.append(request.url.raw_path.decode("ascii").split("?", 1)[0])
        body = {"error": {"code": "SDRS.1320", "message": "does not exist"}}
        return httpx.Response(404, json=body)


async def run(call: Call, hostile: str, recorder: Recorder | None = None) -> list[str]:
    recorder = recorder or Recorder()
    sender = HttpxSender(httpx.MockTransport(recorder))
    auth = AkSkAuth("AK", SecretStr("SK"), P)
    sdrs = SdrsClient(CloudHttp("https://sdrs.example", auth, sender=sender), P)
    ecs = EcsClient(CloudHttp("https://ecs.example", auth, sender=sender), P)
    try:
        await call(sdrs, ecs, hostile)
    except CloudError:
        pass
    finally:
        await sdrs.aclose()
        await ecs.aclose()
    return recorder.raw_paths


@pytest.mark.parametrize("hostile", REFUSED)
@pytest.mark.parametrize(("name", "call", "path"), METHODS, ids=[m[0] for m in METHODS])
async def test_dot_and_empty_segments_are_refused_unsent(
    name: str, call: Call, path: str, hostile: str
) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError, match="not a valid id"):
        await run(call, hostile, recorder)
    assert recorder.raw_paths == []


@pytest.mark.parametrize("hostile", KEPT)
@pytest.mark.parametrize(("name", "call", "path"), METHODS, ids=[m[0] for m in METHODS])
async def test_other_ids_stay_one_quoted_segment(
    name: str, call: Call, path: str, hostile: str
) -> None:
    assert await run(call, hostile) == [path.format(quote(hostile, safe=""))]


@pytest.mark.parametrize("hostile", [*REFUSED[1:], *KEPT])
@pytest.mark.parametrize(("name", "call", "path"), QUERY_METHODS, ids=[m[0] for m in QUERY_METHODS])
async def test_ids_in_the_query_never_change_the_path(
    name: str, call: Call, path: str, hostile: str
) -> None:
    assert await run(call, hostile) == [path]


async def test_empty_server_id_for_resize_flavors_is_refused() -> None:
    with pytest.raises(ValueError):
        await run(QUERY_METHODS[0][1], "")


def test_path_builder() -> None:
    assert api_path("v1", "p", "jobs", "a/b") == "/v1/p/jobs/a%2Fb"
    for bad in REFUSED:
        with pytest.raises(ValueError):
            path_param(bad)
    with pytest.raises(ValueError):
        SdrsClient(CloudHttp("https://x", AkSkAuth("AK", SecretStr("SK"))), "..")


async def test_through_the_real_transport_the_emulator_sees_one_segment(
    sdrs: SdrsClient, emulator: EmulatorThread
) -> None:
    """aiohttp/yarl must not decode or normalise what the path builder quoted."""
    for hostile in KEPT:
        with pytest.raises(CloudError):
            await sdrs.get_job(hostile)
        assert emulator.emulator.requests[-1].raw_path == f"/v1/{P}/jobs/" + quote(hostile, safe="")


@pytest.mark.parametrize("hostile", [*REFUSED, "a/b", "/", "../x"])
@pytest.mark.parametrize(("name", "call"), BODY_METHODS, ids=[m[0] for m in BODY_METHODS])
async def test_hostile_server_ids_in_a_power_action_are_refused_unsent(
    name: str, call: Call, hostile: str
) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError, match="not a valid server id"):
        await run(call, hostile, recorder)
    assert recorder.raw_paths == []


@pytest.mark.parametrize(
    "ids", [[], "srv-1", ["srv-1", "srv-1"]], ids=["none", "a-bare-string", "twice"]
)
@pytest.mark.parametrize("action", ["stop", "start"])
async def test_a_power_action_needs_a_list_of_distinct_ids(action: str, ids: Any) -> None:
    recorder = Recorder()

    async def call(s: SdrsClient, e: EcsClient, i: str) -> Any:
        return await (e.batch_stop(ids) if action == "stop" else e.batch_start(ids))

    with pytest.raises(ValueError, match="nothing was sent"):
        await run(call, "", recorder)
    assert recorder.raw_paths == []


@pytest.mark.parametrize("odd", ["..a", "a b", "%2e%2e", "?x=1#y"])
async def test_other_server_ids_go_in_the_body_on_the_documented_path(odd: str) -> None:
    """Ids that are not path-changing go out as they are, in the body; the path is fixed."""
    assert await run(BODY_METHODS[0][1], odd) == [f"/v1/{P}/cloudservers/action"]
