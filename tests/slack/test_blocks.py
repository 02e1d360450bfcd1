"""Block Kit builders: documented shapes, the opaque op id on buttons, escaping, error text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.core.errors import (
    ClientError,
    CloudError,
    CredentialsUnavailable,
    OutcomeUnknownError,
    ParseError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bot.core.facts import FailureFacts, RenameFacts, RunbookEvent, resize_facts
from bot.core.intents import ResizeIntent, parse
from bot.core.policy import Denial, Policy
from bot.core.preflight import Preflight, SiteChange, Warning
from bot.core.wire.ecs import Flavor
from bot.core.wording import verbatim
from handlers.messages import cloud, confirmation, errors, help, operation, runbook
from handlers.messages.outcome import confirmed_text, outcome_blocks

PI = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
DEH = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
WHEN = datetime(2026, 11, 23, 12, 15, tzinfo=UTC)


def test_confirmation_message_has_summary_context_and_two_buttons() -> None:
    intent = parse(f"resize {PI} production=s6.large.2 dr=s6.xlarge.2 production-host={DEH}")
    assert isinstance(intent, ResizeIntent)
    small = Flavor(id="s6.medium.2", vcpus=1, ram=2048)
    check = Preflight(
        True,
        group_name="erp",
        instance_name="erp-db",
        changes=[
            SiteChange("production", "s1", "ecs-a", small, "s6.large.2"),
            SiteChange("dr", "s2", "ecs-b", small, "s6.xlarge.2"),
        ],
        warnings=[(Warning.SAME_FLAVOR, "dr")],
    )
    summary = operation.describe_resize(resize_facts(intent, check, {}))
    assert (
        "production site, server `ecs-a`: `s6.medium.2` (1 vCPU, 2 GiB) → `s6.large.2`"
        f" · stays on dedicated host `{DEH}`"  # no host read: its id alone
    ) in summary
    assert "DR site, server `ecs-b`: `s6.medium.2` (1 vCPU, 2 GiB) → `s6.xlarge.2`" in summary
    assert ":warning: The DR site server already has this flavor" in summary
    result = confirmation.confirmation_blocks(
        op_id="a" * 32, summary=summary, requester="U_A", expires_at=WHEN
    )
    assert [b["type"] for b in result] == ["section", "context", "actions"]
    confirm, cancel = result[2]["elements"]
    assert confirm["action_id"] == confirmation.CONFIRM_ACTION and confirm["style"] == "primary"
    assert confirm["value"] == cancel["value"] == "a" * 32  # only the opaque id
    assert "confirm" in confirm  # a confirm dialog before anything is sent
    assert cancel["action_id"] == confirmation.CANCEL_ACTION
    assert "<@U_A>" in result[1]["elements"][0]["text"]
    assert "<!date^" in result[1]["elements"][0]["text"]


def test_two_person_wording_and_outcome_replaces_buttons() -> None:
    result = confirmation.confirmation_blocks(
        op_id="b" * 32,
        summary="s",
        requester="U_A",
        expires_at=WHEN,
        approvers=confirmation.approvers_text(
            Policy(
                approval_mode="two-person",
                approvers=frozenset({"U_B"}),
                approver_groups=frozenset({"S_LEADS"}),
            )
        ),
    )
    assert "<@U_B> or <!subteam^S_LEADS> (not the requester)" in result[1]["elements"][0]["text"]
    done = outcome_blocks("s", confirmed_text("U_B", WHEN))
    assert [b["type"] for b in done] == ["section", "context"]
    assert "Confirmed by <@U_B> at 2026-11-23 12:15:00 UTC" in str(done)


def test_user_values_are_escaped() -> None:
    facts = RenameFacts(drill_id=PI, new_name="x", current_name="<!channel> & <http://evil|click>")
    text = operation.describe_rename(facts)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text


def test_parse_error_and_help_are_readable() -> None:
    error = ParseError(verbatim("`x` is not a flavor name"), verbatim("/sdrs resize <id> <flavor>"))
    text = str(errors.parse_error_blocks(error))
    # shown by Slack as typed: <id> <flavor>
    assert "is not a flavor name" in text and "/sdrs resize &lt;id&gt; &lt;flavor&gt;" in text
    for topic in (None, "resize", "drill"):
        assert help.help_blocks(topic)[0]["type"] == "section"
    assert "64 bytes" in str(help.help_blocks("drill"))
    for denial in Denial:
        assert errors.DENIAL_TEXT[denial]


def test_cloud_errors_are_shown_with_code_never_a_traceback() -> None:
    refused = ClientError(
        "The production-site server x is ACTIVE, not stopped",
        status=400,
        code="SDRS.1316",
        request_id="req-9",
    )
    text = cloud.cloud_error_text(refused)
    assert "*SDRS.1316*" in text and "req-9" in text and "Traceback" not in text
    unknown = OutcomeUnknownError(
        "no answer", hint=verbatim("Check instance y before asking again.")
    )
    assert "Check instance y" in cloud.cloud_error_text(unknown)
    assert "Could not reach SDRS" in cloud.cloud_error_text(httpx.ConnectError("refused"))


def test_the_list_of_who_may_confirm_never_names_the_requester() -> None:
    two = Policy(approval_mode="two-person", approvers=frozenset({"U_A", "U_B"}))
    assert confirmation.approvers_text(two, "U_A") == "<@U_B>"
    assert confirmation.approvers_text(two, "U_C") == "<@U_A> or <@U_B>"
    alone = Policy(approval_mode="two-person", approvers=frozenset({"U_A"}))
    assert "<@U_A>" not in confirmation.approvers_text(alone, "U_A")
    assert "no other approver" in confirmation.approvers_text(alone, "U_A")


def test_runbook_wording_speaks_of_one_server_in_the_singular() -> None:
    def said(event: str, servers: list[str], **more: Any) -> str:
        return runbook.runbook_text(
            RunbookEvent(event=event, requester="U_A", servers=servers, **more)
        )

    plural = re.compile(r"\b(are|they|them|have|servers it)\b")
    for event in (
        "nothing-to-stop",
        "ended-before-stop",
        "resized-seen",
        "left-stopped",
        "resize-failed",
        "resize-refused",
    ):
        one = said(event, ["web-01"], detail="x")
        assert "`web-01`" in one, one
        assert not plural.search(one.replace("SDRS resizes only stopped servers", "")), one
        if event not in ("resize-failed", "resize-refused"):  # these name them, no verb
            assert plural.search(said(event, ["web-01", "web-02"], detail="x")), event
    assert "The server it stopped runs again." in said(
        "runbook-done", [], detail="success", stopped=1
    )
    assert "Every server it stopped runs again." in said(
        "runbook-done", [], detail="success", stopped=2
    )
    # a resize that failed with nothing stopped does not claim to start anything again
    assert "Starting" not in said("resize-failed", [], detail="SDRS.1301")


def test_a_runbook_that_resized_nothing_is_not_worded_as_done() -> None:
    for outcome, why in (
        ("pending", "the stop failed"),
        ("refused", "the DR server runs"),
        ("fail", ""),
    ):
        line = runbook.runbook_text(
            RunbookEvent(event="runbook-done", requester="U_A", detail=outcome, why=why, loud=False)
        )
        assert "done" not in line and "ended without resizing" in line, line
        assert line.startswith(":warning:"), line  # even when not broadcast
        assert why in line


def test_an_unavailable_cloud_is_told_as_such_with_what_became_of_the_request() -> None:
    def told(error: CloudError, at: str = "thread") -> str:
        return cloud.failure_text(FailureFacts.of(error), "/sdrs resize erp-db s6.large.2", at)

    busy = ServerError("busy", status=503, code="APIGW.0503", method="POST", retry_after=2.5)
    text = told(busy)
    assert text.startswith(":warning: Huawei Cloud is unavailable right now: it answered HTTP 503")
    assert "Nothing was changed." in text and "in 3 s" in text and "SDRS refused" not in text
    assert "`/sdrs resize erp-db s6.large.2`" in text
    refused = TransportError("connect refused", method="POST")  # never left
    assert "could not be reached. Nothing was sent." in told(refused, "request")
    assert "Nothing was posted" in told(refused, "request") and "a few minutes" in told(refused)
    read = TransportError("read timeout", method="GET", maybe_sent=True)  # a read changes nothing
    assert "Nothing was changed." in told(read, "confirm")
    assert "click Confirm again" in told(read, "confirm")
    rename = TransportError("read timeout", method="PUT", maybe_sent=True)
    assert "may or may not have been carried out" in told(rename)
    gateway = ServerError("gateway timeout", status=504, code="APIGW.0504", method="PUT")
    assert "may or may not have been carried out" in told(gateway)
    limited = RateLimitedError("slow down", status=429, code="APIGW.0308", method="GET")
    assert "limiting how often it is called" in told(limited)
    # a refusal about the request itself, and missing credentials, are not "unavailable"
    assert "SDRS refused" in told(ClientError("no", status=400, code="SDRS.1316", method="POST"))
    assert "unavailable" not in told(CredentialsUnavailable("ecs-metadata", "no answer"))
