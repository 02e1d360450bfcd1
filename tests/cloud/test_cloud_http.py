"""Retries, backoff and error conversion: pure decisions, then against the emulator's faults."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from pydantic import SecretStr

from bot.core.errors import (
    AuthError,
    ClientError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bot.core.wire.sdrs import ResizeParams
from bot.huaweicloud.aiohttp_transport import AiohttpSender
from bot.huaweicloud.errors import error_for, parse_error_body, parse_retry_after
from bot.huaweicloud.http import CloudHttp
from bot.huaweicloud.sdrs import NOT_FOUND_CODES, SdrsClient
from bot.huaweicloud.signing import AkSkAuth
from bot.huaweicloud.wiring import build_clients
from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_AK, sid
from bot.sandbox.server import EmulatorThread
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.conftest import SleepRecorder, sandbox_settings
from tests.support.httpx_sender import HttpxSender
from tests.support.local_env import free_port
from tests.support.slack_harness import ALICE, Harness
from tests.support.slack_helpers import until

XLARGE = ResizeParams(flavorRef="s6.xlarge.2")


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b'{"error": {"code": "SDRS.1341", "message": "same flavor"}}', "SDRS.1341", "same flavor"),
        (b'{"badRequest": {"code": "SDRS.0201", "message": "bad"}}', "SDRS.0201", "bad"),
        (b'{"itemNotFound": {"code": "SDRS.1320", "message": "gone"}}', "SDRS.1320", "gone"),
        (
            b'{"error_code": "APIGW.0301", "error_msg": "sig", "request_id": "r"}',
            "APIGW.0301",
            "sig",
        ),
        (b'{"errorCode": "X.1", "errorMsg": "camel"}', "X.1", "camel"),
        (b"<html>Bad Gateway</html>", "HTTP.502", "<html>Bad Gateway</html>"),
        (b"", "HTTP.502", "HTTP 502 with an empty body"),
    ],
)
def test_parse_error_body_shapes(body: bytes, code: str, message: str) -> None:
    assert parse_error_body(502, body) == (code, message)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, b'{"error": {"code": "SDRS.1341", "message": "m"}}', ClientError),
        (400, b'{"error": {"code": "SDRS.1902", "message": "m"}}', NotFoundError),
        (404, b'{"itemNotFound": {"code": "SDRS.1320", "message": "m"}}', NotFoundError),
        (401, b'{"error_code": "APIGW.0301", "error_msg": "m"}', AuthError),
        (403, b'{"error": {"code": "SDRS.0004", "message": "m"}}', AuthError),
        (429, b'{"error_code": "APIGW.0308", "error_msg": "m"}', RateLimitedError),
        (503, b"", ServerError),
    ],
)
def test_error_classes(status: int, body: bytes, cls: type) -> None:
    headers = httpx.Headers({"X-Request-Id": "req-1", "Retry-After": "2"})
    err = error_for(status, body, headers, "GET", "https://x/y", not_found_codes=NOT_FOUND_CODES)
    assert type(err) is cls
    assert err.status == status
    assert err.request_id == "req-1"
    assert err.retry_after == 2.0


# ---- against the emulator ------------------------------------------------------------------


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert parse_retry_after("soon") is None


def _count(emulator: EmulatorThread, method: str, fragment: str) -> int:
    return sum(1 for r in emulator.emulator.requests if r.method == method and fragment in r.path)


async def test_get_retries_through_503_429_and_a_dropped_connection(
    sdrs: SdrsClient, emulator: EmulatorThread, sleeps: SleepRecorder
) -> None:
    faults = emulator.emulator.faults
    faults.add(Fault("status", method="GET", path_contains="/protected-instances/", status=503))
    faults.add(
        Fault(
            "status",
            method="GET",
            path_contains="/protected-instances/",
            status=429,
            retry_after=0.04,
        )
    )
    faults.add(Fault("drop", method="GET", path_contains="/protected-instances/"))
    instance = await sdrs.get_protected_instance(sid("pi-erp-db"))
    assert instance.name == "erp-db"
    assert _count(emulator, "GET", "/protected-instances/") == 4
    # 503 and 429 go through our backoff; a GET whose reused keep-alive connection drops is
    # re-sent once by the aiohttp pool itself (idempotent methods only), else by our loop.
    assert len(sleeps.delays) in (2, 3)
    assert 0.04 in sleeps.delays  # Retry-After honoured (within the cap)


async def test_get_gives_up_after_max_attempts_with_the_last_error(
    sdrs: SdrsClient, emulator: EmulatorThread
) -> None:
    emulator.emulator.faults.add(Fault("status", method="GET", status=500, times=None))
    with pytest.raises(ServerError) as caught:
        await sdrs.get_job("anything")
    assert caught.value.status == 500
    assert _count(emulator, "GET", "/jobs/") == 4


async def test_resize_post_is_never_repeated_on_5xx(
    sdrs: SdrsClient, emulator: EmulatorThread
) -> None:
    emulator.emulator.faults.add(Fault("status", method="POST", status=503))
    with pytest.raises(ServerError):
        await sdrs.resize_protected_instance(sid("pi-erp-db"), XLARGE)
    assert _count(emulator, "POST", "/resize") == 1


async def test_resize_post_dropped_connection_is_outcome_unknown(
    sdrs: SdrsClient, emulator: EmulatorThread
) -> None:
    # Warm the pool first, so the POST goes out on a reused keep-alive connection: even there
    # it must not be re-sent (by us or by the pool).
    await sdrs.get_protected_instance(sid("pi-erp-db"))
    emulator.emulator.faults.add(Fault("drop", method="POST"))
    with pytest.raises(OutcomeUnknownError) as caught:
        await sdrs.resize_protected_instance(sid("pi-erp-db"), XLARGE)
    assert "resizing" in caught.value.hint
    assert sid("pi-erp-db") in caught.value.hint
    assert _count(emulator, "POST", "/resize") == 1


async def test_resize_post_read_timeout_is_outcome_unknown(emulator: EmulatorThread) -> None:
    emulator.emulator.faults.add(Fault("latency", method="POST", seconds=1.0))
    settings = sandbox_settings(emulator.url, http_read_timeout=0.2)
    async with build_clients(settings).sdrs as client:
        with pytest.raises(OutcomeUnknownError):
            await client.resize_protected_instance(
                sid("pi-erp-db"), ResizeParams(flavorRef="s6.xlarge.2")
            )
    assert _count(emulator, "POST", "/resize") == 1


async def test_a_late_answer_is_outcome_unknown_although_the_resize_happened(
    emulator: EmulatorThread,
) -> None:
    """The emulator's ``late`` fault carries the request out and answers after the client gave
    up: the bot cannot know, and the cloud shows that it happened."""
    emulator.emulator.faults.add(Fault("late", method="POST", path_contains="/resize", seconds=1))
    settings = sandbox_settings(emulator.url, http_read_timeout=0.2)
    async with build_clients(settings).sdrs as client:
        with pytest.raises(OutcomeUnknownError):
            await client.resize_protected_instance(
                sid("pi-erp-db"), ResizeParams(flavorRef="s6.xlarge.2")
            )
        instance = await client.get_protected_instance(sid("pi-erp-db"))
    assert instance.status == "resizing"
    assert _count(emulator, "POST", "/resize") == 1


async def test_resize_post_502_from_gateway_is_outcome_unknown(
    sdrs: SdrsClient, emulator: EmulatorThread
) -> None:
    emulator.emulator.faults.add(Fault("status", method="POST", status=502))
    with pytest.raises(OutcomeUnknownError):
        await sdrs.resize_protected_instance(sid("pi-erp-db"), XLARGE)


async def test_connection_refused_is_a_transport_error_after_retries(
    sleeps: SleepRecorder,
) -> None:
    settings = sandbox_settings(f"http://127.0.0.1:{free_port()}")  # nobody listens there
    async with build_clients(settings, sleep=sleeps).sdrs as client:
        with pytest.raises(TransportError) as caught:
            await client.get_job("j")
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert not caught.value.maybe_sent  # it never left: "nothing was sent" is true
    assert len(sleeps.delays) == settings.http_max_attempts - 1


async def test_a_dropped_rename_may_have_been_sent(emulator: EmulatorThread) -> None:
    """A PUT whose connection drops after it was written is retried (renaming twice is
    harmless) and, when every attempt drops, may have reached SDRS: not "nothing was sent"."""
    emulator.emulator.faults.add(Fault("drop", method="PUT", times=None))
    async with build_clients(sandbox_settings(emulator.url)).sdrs as client:
        with pytest.raises(TransportError) as caught:
            await client.rename_drill(sid("drill-web"), "web-renamed")
    assert caught.value.maybe_sent


async def test_wrong_secret_key_is_refused_like_the_gateway(emulator: EmulatorThread) -> None:
    settings = sandbox_settings(emulator.url, huaweicloud_sdk_sk="not-the-sk")
    async with build_clients(settings).sdrs as client:
        with pytest.raises(AuthError) as caught:
            await client.get_protected_instance(sid("pi-erp-db"))
    assert caught.value.code == "APIGW.0301"
    assert caught.value.status == 401
    assert "signature" in caught.value.message


async def test_unknown_access_key_and_token_auth(emulator: EmulatorThread) -> None:
    bad_ak = sandbox_settings(emulator.url, huaweicloud_sdk_ak="AK-UNKNOWN")
    async with build_clients(bad_ak).sdrs as client:
        with pytest.raises(AuthError):
            await client.get_protected_instance(sid("pi-erp-db"))
    token = sandbox_settings(
        emulator.url,
        huaweicloud_sdk_ak=None,
        huaweicloud_sdk_sk=None,
        huaweicloud_sdk_auth_token="sandbox-iam-token",
    )
    async with build_clients(token).sdrs as client:
        assert (await client.get_protected_instance(sid("pi-erp-db"))).name == "erp-db"
    assert SANDBOX_AK not in emulator.emulator.requests[-1].headers.get("authorization", "")


async def test_stale_signature_date_is_refused(emulator: EmulatorThread) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.sandbox.seed import SANDBOX_PROJECT_ID, SANDBOX_SK

    stale = datetime.now(UTC) - timedelta(minutes=16)
    auth = AkSkAuth(SANDBOX_AK, __import__("pydantic").SecretStr(SANDBOX_SK), now=lambda: stale)
    client = SdrsClient(CloudHttp(emulator.url, auth), SANDBOX_PROJECT_ID)
    try:
        with pytest.raises(AuthError, match="15 minutes"):
            await client.get_job("j")
    finally:
        await client.aclose()


async def test_ecs_reads_power_state_and_resize_flavors(ecs, world) -> None:  # type: ignore[no-untyped-def]
    server = await ecs.get_server(sid("pi-erp-app-src"))
    assert server.status == "ACTIVE" and not server.powered_off
    assert server.flavor.id == "s6.large.2" and server.flavor.vcpus == 2
    assert server.availability_zone == "cn-north-4a"
    flavors = await ecs.list_resize_flavors(sid("pi-erp-app-tgt"))
    names = [f.id for f in flavors]
    assert "s6.large.2" not in names and "c7.large.2" not in names and "s6.xlarge.2" in names
    with pytest.raises(NotFoundError):
        await ecs.get_server("missing")


def test_transport_honours_proxy_environment_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,.local.example")
    sender = AiohttpSender()
    monkeypatch.delenv("HTTPS_PROXY")  # read at creation, not per request
    assert sender.proxy_for("https", "sdrs.cn-north-4.myhuaweicloud.com") == (
        "http://proxy.internal:3128"
    )
    assert sender.proxy_for("https", "127.0.0.1") is None
    assert sender.proxy_for("https", "x.local.example") is None
    assert sender.proxy_for("http", "plain.example") is None  # no HTTP_PROXY


async def test_the_request_id_of_every_accepted_change_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A change SDRS accepted is logged with its ``X-Request-Id`` (the line
    and the record's ``request_id`` field the JSON log carries); reads are not."""
    answers = {"POST": "req-post-1", "PUT": "req-put-2", "GET": "req-get-3"}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={}, headers={"X-Request-Id": answers[request.method]})

    http = CloudHttp(
        "https://sdrs.example",
        AkSkAuth("AK", SecretStr("SK"), "p"),
        sender=HttpxSender(httpx.MockTransport(answer)),
    )
    caplog.set_level(logging.INFO, logger="bot.huaweicloud.http")
    try:
        for method in ("POST", "PUT", "GET"):
            await http.request(
                method, f"/v1/p/{method.lower()}", body={} if method != "GET" else None
            )
    finally:
        await http.aclose()
    accepted = [r for r in caplog.records if r.getMessage().startswith("cloud change accepted")]
    assert [getattr(r, "request_id", None) for r in accepted] == ["req-post-1", "req-put-2"]
    assert "POST /v1/p/post (HTTP 200, request id req-post-1)" in accepted[0].getMessage()
    assert "req-get-3" not in caplog.text


async def test_resize_and_rename_log_the_request_id_sdrs_sent(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The same against the emulator, through the whole flow (Confirm, then SDRS's answer)."""
    caplog.set_level(logging.INFO, logger="bot.huaweicloud.http")
    await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    await h.command(f"drill rename {sid('drill-web')} web-q9")
    rename_op, rename_ts = await h.confirmation(1)
    await h.click(CONFIRM_ACTION, rename_op, ALICE, rename_ts)
    await until(lambda: h.thread_replies(ts) and h.thread_replies(rename_ts))
    await h.quiesce()
    accepted = {
        r.getMessage().split(" ")[3]: getattr(r, "request_id", None)
        for r in caplog.records
        if r.getMessage().startswith("cloud change accepted")
    }
    assert set(accepted) == {"POST", "PUT"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid or "") for rid in accepted.values())
