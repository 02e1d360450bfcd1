"""Malformed requests over HTTP never get a 5xx: unsigned or badly signed ones get 401, signed
ones Slack would never send get 400 (or Bolt's own answer), each with at most a rate-limited
warning line - no traceback, no error log."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import httpx
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.app import build_web_app
from tests.support.slack_harness import Harness
from tests.support.slack_helpers import SIGNING_SECRET, slack_signed_headers

FORM = {"content-type": "application/x-www-form-urlencoded"}
UNSIGNED = [
    (FORM, "payload=not json at all"),
    (FORM, "payload=%7B%22type%22%3A"),  # "{"type":" cut short
    ({"content-type": "application/json"}, "garbage {{{"),
    ({"content-type": "application/json"}, "[1, 2, 3]"),
    (
        {**FORM, "x-slack-request-timestamp": "yesterday", "x-slack-signature": "v0=00"},
        "command=%2Fsdrs&text=help",
    ),
    ({**FORM, "x-slack-request-timestamp": "", "x-slack-signature": ""}, "a=b"),
    ({"content-type": "text/plain"}, "\x00\x01\x02"),
]


def _signed(body: str, content_type: str = FORM["content-type"]) -> dict[str, str]:
    return {"content-type": content_type, **slack_signed_headers(body)}


@pytest.mark.slow
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
    "payload="
    + quote(
        json.dumps(
            {
                "type": "block_actions",
                "actions": [],
                "user": {"id": "U0ALICE001"},
                "team": {"id": "T1"},
            }
        )
    ),
    "payload=" + quote("{not json"),
    "command=%2Fsdrs&text=" + quote("resize \ud800 s6.large.2".encode("utf-8", "surrogatepass")),
    "command=%2Fsdrs&text=%ED%A0%80",  # a lone surrogate, UTF-8 encoded (invalid UTF-8)
    "payload=" + quote(json.dumps([1, 2])),
    "payload=" + quote(json.dumps({"type": "view_submission"})),
]


async def test_signed_oddities_get_a_clear_answer_not_a_5xx(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    server = TestServer(build_web_app(h.app, signing_secret=SIGNING_SECRET))
    await server.start_server()
    try:
        url = str(server.make_url("/slack/events"))
        async with httpx.AsyncClient() as http:
            for body in SIGNED_ODDITIES:
                answer = await http.post(
                    url, content=body.encode("utf-8", "surrogatepass"), headers=_signed(body)
                )
                assert answer.status_code < 500, (body, answer.status_code, answer.text)
        await h.quiesce()
    finally:
        await server.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300).map(lambda b: (b, False)),
        st.text(max_size=300).map(lambda t: (t.encode("utf-8", "surrogatepass"), True)),
    ),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
    ),
)
@pytest.mark.slow
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
            headers.update(slack_signed_headers(raw.decode("utf-8", "surrogatepass")))
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                str(server.make_url("/slack/events")), content=raw, headers=headers
            )
        assert answer.status_code < 500, (raw, answer.status_code, answer.text)
    finally:
        await server.close()


def _payload(**fields: object) -> str:
    return "payload=" + quote(json.dumps(fields))


CLICK = {
    "type": "block_actions",
    "user": {"id": "U0ALICE001"},
    "team": {"id": "T1"},
    "channel": {"id": "C0DROPS001"},
    "container": {"message_ts": "1.2"},
    "trigger_id": "t1",
}
VIEW = {
    "type": "view_submission",
    "user": {"id": "U0ALICE001"},
    "team": {"id": "T1"},
    "trigger_id": "t1",
}
NINES = "9" * 400
# (name, headers beyond the content type - None: signed now -, body, status). Each is what
# Slack never sends: an unsigned one gets 401, a signed one 400 (404: no listener takes it)
# - never a 5xx.
TABLE = [
    (
        "timestamp of 400 nines",
        {"x-slack-request-timestamp": NINES, "x-slack-signature": "v0=" + "0" * 64},
        "a=b",
        401,
    ),
    ("timestamp of 400 nines, signed with it", "nines", "command=%2Fsdrs&text=help", 401),
    (
        "negative timestamp",
        {"x-slack-request-timestamp": "-1", "x-slack-signature": "v0=00"},
        "a=b",
        401,
    ),
    (
        "fractional timestamp",
        {"x-slack-request-timestamp": "1.5e9", "x-slack-signature": "v0=00"},
        "a=b",
        401,
    ),
    (
        "timestamp nan",
        {"x-slack-request-timestamp": "nan", "x-slack-signature": "v0=00"},
        "a=b",
        401,
    ),
    (
        "timestamp in other digits",
        {"x-slack-request-timestamp": "\u0661\u0662".encode(), "x-slack-signature": "v0=00"},
        "a=b",
        401,
    ),
    (
        "timestamp with underscores",
        {"x-slack-request-timestamp": "1_700_000_000", "x-slack-signature": "v0=00"},
        "a=b",
        401,
    ),
    ("no signature", {"x-slack-request-timestamp": "1"}, "a=b", 401),
    ('"actions":[null]', None, _payload(**CLICK, actions=[None]), 400),
    ('"actions":[1]', None, _payload(**CLICK, actions=[1]), 400),
    ('"actions":"x"', None, _payload(**CLICK, actions="x"), 400),
    ('"actions":[{}]', None, _payload(**CLICK, actions=[{}]), 400),
    ('"actions":[{"action_id":null}]', None, _payload(**CLICK, actions=[{"action_id": None}]), 400),
    ('"actions":{}', None, _payload(**CLICK, actions={}), 400),
    (
        "click with user null",
        None,
        _payload(**{**CLICK, "user": None}, actions=[{"action_id": "sdrs_confirm", "value": "x"}]),
        400,
    ),
    (
        "click with container a string",
        None,
        _payload(
            **{**CLICK, "container": "x"}, actions=[{"action_id": "sdrs_confirm", "value": "x"}]
        ),
        400,
    ),
    (
        "click with channel a string",
        None,
        _payload(
            **{**CLICK, "channel": "C1"}, actions=[{"action_id": "sdrs_confirm", "value": "x"}]
        ),
        400,
    ),
    (
        "confirm with value null",
        None,
        _payload(**CLICK, actions=[{"action_id": "sdrs_confirm", "value": None}]),
        400,
    ),
    ('"view":null', None, _payload(**VIEW, view=None), 400),
    ('"view":"x"', None, _payload(**VIEW, view="x"), 400),
    ("view without callback_id", None, _payload(**VIEW, view={"id": "V1"}), 400),
    (
        "view with state null",
        None,
        _payload(**VIEW, view={"callback_id": "sdrs_resize_form", "state": None}),
        400,
    ),
    ("view_closed with view null", None, _payload(type="view_closed", view=None), 400),
    (
        "options without value",
        None,
        _payload(type="block_suggestion", user={"id": "U1"}, action_id="sdrs_pick_instance"),
        400,
    ),
    (
        "options with value null",
        None,
        _payload(
            type="block_suggestion",
            user={"id": "U1"},
            action_id="sdrs_pick_instance",
            value=None,
            view=None,
        ),
        400,
    ),
    ('"type":null', None, _payload(type=None), 400),
    ("payload of a string", None, "payload=" + quote('"x"'), 400),
    ("command without user or channel", None, "command=%2Fsdrs&text=help", 400),
    (
        "command without text",
        None,
        "command=%2Fsdrs&user_id=U0ALICE001&channel_id=C0DROPS001&trigger_id=t",
        400,
    ),
    (
        "command of another name",
        None,
        "command=%2Fother&text=help&user_id=U0ALICE001&channel_id=C0DROPS001",
        404,
    ),
    ("form body with no command or payload", None, "a=b", 404),
]


@pytest.mark.parametrize(
    ("headers", "body", "status"), [pytest.param(*t[1:], id=t[0]) for t in TABLE]
)
async def test_every_malformed_request_gets_its_4xx_and_at_most_one_log_line(
    h: Harness,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str | bytes] | str | None,
    body: str,
    status: int,
) -> None:
    """Each sent three times to the real HTTP app: the same 4xx each time, no traceback, and
    at most one (rate-limited) log line about them."""
    if headers is None:
        headers = slack_signed_headers(body)
    elif headers == "nines":
        sig = slack_signed_headers(body)["x-slack-signature"]
        headers = {"x-slack-request-timestamp": NINES, "x-slack-signature": sig}
    assert isinstance(headers, dict)
    server = TestServer(build_web_app(h.app, signing_secret=SIGNING_SECRET))
    await server.start_server()
    try:
        url = str(server.make_url("/slack/events"))
        with caplog.at_level(logging.DEBUG):
            async with httpx.AsyncClient() as http:
                for _ in range(3):
                    answer = await http.post(
                        url, content=body.encode(), headers={**FORM, **headers}
                    )
                    assert answer.status_code == status, answer.text
            await h.quiesce()
    finally:
        await server.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) <= 1, [r.getMessage() for r in lines]
    sent = [c.method for c in h.state.calls if c.method != "auth.test"]  # Bolt's own look-up
    assert not sent, f"a malformed request reached Slack: {sent}"
