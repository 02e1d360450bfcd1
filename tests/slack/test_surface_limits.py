"""What the bot sends stays inside Slack's limits with inputs at their maximum, through the
strict stand-in: the confirm dialog (plain text, at most 300 characters, naming the servers a
stop-resize-start stops), the resize form with a site ticked, more flavors than a select holds,
and a cloud refusal shown in the form escaped once."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.core.errors import ApiError
from bot.sandbox import block_limits
from bot.sandbox.seed import sid
from handlers import forms, modals
from handlers.messages import cloud, confirmation
from tests.support.slack_harness import ALICE, Harness
from tests.support.slack_helpers import dispatch, until, view_action_body, view_checkboxes_body

APP = sid("pi-erp-app")  # production server running, DR server stopped
LONG = "erp-app-" + "x" * 56  # 64 bytes, SDRS's longest name


def confirm_dialog(post: dict[str, Any]) -> dict[str, Any]:
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    confirm: dict[str, Any] = actions["elements"][0]["confirm"]
    return confirm


async def test_the_confirm_dialog_of_a_long_named_stop_start_resize_is_short_and_says_what_stops(
    h: Harness,
) -> None:
    h.world.instances[APP].name = LONG
    await h.command(f"resize {APP} s6.xlarge.2 power=stop-start")
    await h.confirmation()
    post = next(c.args for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks"))
    dialog = confirm_dialog(post)["text"]
    assert dialog["type"] == "plain_text"
    assert len(dialog["text"]) <= block_limits.CONFIRM_TEXT
    assert "Running servers are stopped first (shut down): ecs-erp-app-src" in dialog["text"]
    assert "erp-app-xxxx" in dialog["text"] and "This calls the SDRS API" in dialog["text"]
    assert "`" not in dialog["text"] and "&" not in dialog["text"]  # plain text, as written
    assert h.state.rejections == []


async def test_the_resize_form_with_a_site_ticked_and_a_long_name_is_taken_by_slack(
    h: Harness,
) -> None:
    h.world.instances[APP].name = LONG
    await h.command("resize")
    view = await until(lambda: h.state.views and next(iter(h.state.views.values())))
    await dispatch(
        h.app,
        view_action_body(
            ALICE,
            view,
            action_id=modals.PICK_INSTANCE,
            block_id="instance",
            value=APP,
            text=f"{LONG} (protected)",
        ),
    )
    await until(lambda: h.state.calls_to("views.update"))
    shown = h.state.views[view["id"]]
    await dispatch(
        h.app,
        view_checkboxes_body(
            ALICE,
            shown,
            action_id=modals.SITES_ACTION,
            block_id=modals.SITES_BLOCK,
            values=["production"],
        ),
    )
    await until(lambda: h.state.calls_to("views.update")[1:])
    shown = h.state.views[view["id"]]
    power = next(b for b in shown["blocks"] if b.get("block_id") == modals.POWER_BLOCK)
    stop_start = power["element"]["options"][0]
    assert stop_start["value"] == "stop-start"
    assert len(stop_start["description"]["text"]) <= block_limits.OPTION_DESCRIPTION
    assert "also if the resize fails" in power["hint"]["text"]
    assert any(b.get("block_id") == "production_flavor" for b in shown["blocks"])
    assert h.state.rejections == []
    assert block_limits.view_errors(shown) == []


async def test_a_flavor_list_past_a_selects_100_options_is_typed_ahead_within_slacks_limits(
    h: Harness,
) -> None:
    for i in range(150):
        h.world.add_flavor(f"t6.size{i:03d}.2", 2, 4096)
    await h.command("resize")
    view = await until(lambda: h.state.views and next(iter(h.state.views.values())))
    await dispatch(
        h.app,
        view_action_body(
            ALICE,
            view,
            action_id=modals.PICK_INSTANCE,
            block_id="instance",
            value=APP,
            text="erp-app (protected)",
        ),
    )
    await until(lambda: h.state.calls_to("views.update"))
    shown = h.state.views[view["id"]]
    assert h.state.rejections == []
    select = next(b for b in shown["blocks"] if b.get("block_id") == "production_flavor")
    # not cut at a select's 100 options: typed ahead, the options loaded from the bot
    assert select["element"]["type"] == "external_select"
    assert "options" not in select["element"]


def test_a_cloud_refusal_in_the_form_is_escaped_once() -> None:
    refusal = ApiError("name <must> not contain & or quotes", status=400, code="SDRS.0202")
    view = modals.resize_view("C0DROPS001", (APP, "erp-app"), problem=forms.form_problem(refusal))
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "&lt;must&gt; not contain &amp; or quotes" in shown
    assert "&amp;lt;" not in shown and "&amp;amp;" not in shown


def test_many_approvers_are_counted_not_listed() -> None:
    from bot.core.policy import Policy

    policy = Policy(
        approval_mode="two-person",
        approvers=frozenset(f"U{i:09d}" for i in range(200)),
        approver_groups=frozenset({"S0LEADS001"}),
    )
    text = confirmation.approvers_text(policy)
    assert text.startswith("<!subteam^S0LEADS001>, <@U000000000>")  # groups first
    assert text.count("<@U") == confirmation.APPROVERS_SHOWN - 1 and text.endswith("… or 191 more")


async def test_a_form_slack_refuses_is_logged_as_a_warning(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A form Slack does not take leaves the person without its fields: that is a warning,
    unlike a hash_conflict (their newer edit wins), which stays at INFO."""
    caplog.set_level(logging.INFO, logger="handlers.forms")
    h.state.fail_next["views.update"] = ["error:hash_conflict", "error:invalid_arguments"]
    await h.command("resize")
    view = await until(lambda: h.state.views and next(iter(h.state.views.values())))
    for _ in range(2):
        await dispatch(
            h.app,
            view_action_body(
                ALICE,
                view,
                action_id=modals.PICK_INSTANCE,
                block_id="instance",
                value=APP,
                text="erp-app (protected)",
            ),
        )
    await until(lambda: "refused: invalid_arguments" in caplog.text)
    refused = [r for r in caplog.records if "views.update" in r.getMessage()]
    assert [(r.levelname, r.getMessage().rsplit(": ", 1)[1]) for r in refused] == [
        ("INFO", "hash_conflict"),
        ("WARNING", "invalid_arguments"),
    ]


@pytest.mark.parametrize("status", [400, 503])
def test_a_long_cloud_refusal_is_shortened_on_purpose(status: int) -> None:
    """What the cloud writes (message, code, request id) is cut with "…", so a reply quoting it
    stays within Slack's recommended 4,000 characters whatever the cloud sent."""
    refusal = ApiError("<&>" * 5000, status=status, code="SDRS." + "9" * 500, request_id="r" * 500)
    text = cloud.cloud_error_text(refusal)
    assert len(text) <= 4000 and "…" in text
