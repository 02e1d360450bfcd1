"""Malformed requests over HTTP never get a 5xx: unsigned or badly signed ones get 401, signed
ones Slack would never send get 400 (or Bolt's own answer), each with at most a rate-limited
warning line - no traceback, no error log (issue 13 item 3)."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import httpx
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_web_app
from tests.slack_harness import Harness
from tests.slack_helpers import SIGNING_SECRET, signed_headers

FORM = {"content-type": "application/x-www-form-urlencoded"}
UNSIGNED = [
    (FORM, "payload=not json at all"),
    (FORM, "payload=%7B%22type%22%3A"),  # "{"type":" cut short
    ({"content-type": "application/json"}, "garbage {{{"),
    ({"content-type": "application/json"}, "[1, 2, 3]"),
    ({**FORM, "x-slack-request-timestamp": "yesterday", "x-slack-signature": "v0=00"},
     "command=%2Fsdrs&text=help"),
    ({**FORM, "x-slack-request-timestamp": "", "x-slack-signature": ""}, "a=b"),
    ({"content-type": "text/plain"}, "\x00\x01\x02"),
]  # fmt: skip


def _signed(body: str, content_type: str = FORM["content-type"]) -> dict[str, str]:
    return {"content-type": content_type, **signed_headers(body)}


async def test_unsigned_malformed_requests_get_401_and_no_traceback(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    server = TestServer(build_web_app(h.app, signing_secret=SIGNING_SECRET))
    await server.start_server()
    try:
        url = str(server.make_url("/slack/events"))
        with caplog.at_level(logging.DEBUG):
            async with httpx.AsyncClient() as http:
                for _ in range(100):  # 700 requests: a flood of junk
                    for headers, body in UNSIGNED:
                        answer = await http.post(url, content=body.encode(), headers=headers)
                        assert answer.status_code == 401, (headers, body, answer.text)
    finally:
        await server.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert 1 <= len(warnings) <= 3, [r.getMessage() for r in warnings]  # rate-limited


SIGNED_ODDITIES = [
    "payload=" + quote(json.dumps({"type": "block_actions", "actions": [],
                                   "user": {"id": "U0ALICE001"}, "team": {"id": "T1"}})),
    "payload=" + quote("{not json"),
    "command=%2Fsdrs&text=" + quote("resize \ud800 s6.large.2".encode("utf-8", "surrogatepass")),
    "command=%2Fsdrs&text=%ED%A0%80",  # a lone surrogate, UTF-8 encoded (invalid UTF-8)
    "payload=" + quote(json.dumps([1, 2])),
    "payload=" + quote(json.dumps({"type": "view_submission"})),
]  # fmt: skip


async def test_signed_oddities_get_a_clear_answer_not_a_5xx(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    server = TestServer(build_web_app(h.app, signing_secret=SIGNING_SECRET))
    await server.start_server()
    try:
        url = str(server.make_url("/slack/events"))
        async with httpx.AsyncClient() as http:
            for body in SIGNED_ODDITIES:
                answer = await http.post(url, content=body.encode("utf-8", "surrogatepass"),
                                         headers=_signed(body))  # fmt: skip
                assert answer.status_code < 500, (body, answer.status_code, answer.text)
        await h.quiesce()
    finally:
        await server.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    body=st.one_of(st.binary(max_size=300).map(lambda b: (b, False)),
                   st.text(max_size=300).map(lambda t: (t.encode("utf-8", "surrogatepass"),
                                                        True))),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]),
)  # fmt: skip
async def test_fuzzed_requests_never_get_a_5xx(
    h: Harness, body: tuple[bytes, bool], content_type: str
) -> None:
    """Random bodies, unsigned (bytes) or correctly signed (text, lone surrogates included)."""
    raw, signed = body
    server = TestServer(build_web_app(h.app, signing_secret=SIGNING_SECRET))
    await server.start_server()
    try:
        headers = {"content-type": content_type} if content_type else {}
        if signed:
            headers.update(signed_headers(raw.decode("utf-8", "surrogatepass")))
        async with httpx.AsyncClient() as http:
            answer = await http.post(str(server.make_url("/slack/events")), content=raw,
                                     headers=headers)  # fmt: skip
        assert answer.status_code < 500, (raw, answer.status_code, answer.text)
    finally:
        await server.close()
