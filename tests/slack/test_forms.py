"""The resize and rename modals: views.open / views.update as Slack documents them, options
loaded from SDRS, signed block_suggestion, block_actions and view_submission bodies through the
real app; a submitted form reaches the same preflight and confirmation as the typed command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.core.intents import ResizeIntent
from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from handlers import modal_input, modals
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, BOB, CHANNEL, Harness, running
from tests.support.slack_helpers import (
    action_body,
    dispatch,
    suggestion_body,
    until,
    view_action_body,
    view_checkboxes_body,
    view_submission_body,
    view_with_state,
)

DB = sid("pi-erp-db")


def opened_view(h: Harness, index: int = 0) -> dict[str, Any]:
    call = h.state.calls_to("views.open")[index]
    view_id = next(
        v
        for v in h.state.views
        if h.state.views[v]["callback_id"] == call.args["view"]["callback_id"]
    )
    return h.state.views[view_id]


async def latest_view(h: Harness, updates: int) -> dict[str, Any]:
    """The view after ``updates`` views.update calls (as the stand-in holds it)."""
    call = (await until(lambda: h.state.calls_to("views.update")[updates - 1 :] or None))[0]
    return h.state.views[call.args["view_id"]]


def select(value: str, text: str = "") -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": text or value}, "value": value},
    }


def resize_state(instance: str, sites: list[str], **flavors: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "instance": {modals.PICK_INSTANCE: {**select(instance), "type": "external_select"}},
        modals.SITES_BLOCK: {
            modals.SITES_ACTION: {
                "type": "checkboxes",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": s}, "value": s} for s in sites
                ],
            }
        },
    }
    for site, flavor in flavors.items():
        values[f"{site}_flavor"] = {"flavor": select(flavor)}
    return values


async def pick_instance(h: Harness, instance_id: str) -> dict[str, Any]:
    await h.command("resize")
    view = await until(lambda: h.state.views and opened_view(h))
    assert view["callback_id"] == modals.RESIZE_CALLBACK
    assert json.loads(view["private_metadata"])["channel"] == CHANNEL
    await dispatch(
        h.app,
        view_action_body(
            ALICE,
            view,
            action_id=modals.PICK_INSTANCE,
            block_id="instance",
            value=instance_id,
            text="erp-db (protected)",
        ),
    )
    return await latest_view(h, 1)


async def test_resize_form_loads_instances_and_flavors_then_confirms_like_the_command(
    h: Harness,
) -> None:
    await h.command("resize")
    view = await until(lambda: h.state.views and opened_view(h))
    opened = h.state.calls_to("views.open")[0].args
    assert opened["trigger_id"].startswith("trigger-")
    # the searchable select: Slack asks for options as the user types
    response = await dispatch(
        h.app,
        suggestion_body(
            ALICE,
            view,
            action_id=modals.PICK_INSTANCE,
            block_id="instance",
            value="erp",
        ),
    )
    options = json.loads(response.body)["options"]
    labels = [o["text"]["text"] for o in options]
    assert "erp-db (protected)" in labels and "erp-cache (error)" in labels
    assert not any(label.startswith("web") for label in labels)  # SDRS filtered by name
    assert {o["value"] for o in options} >= {DB}

    view = await pick_instance(h, DB)
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Now s6.large.2 (2 vCPU, 4 GiB) · stopped" in shown
    prod_select = next(b for b in view["blocks"] if b.get("block_id") == "production_flavor")
    values = [o["value"] for o in prod_select["element"]["options"]]
    assert "s6.xlarge.2" in values and "c7.large.2" in values  # ECS resize flavors, prod AZ
    dr_select = next(b for b in view["blocks"] if b.get("block_id") == "dr_flavor")
    assert "c7.large.2" not in [o["value"] for o in dr_select["element"]["options"]]
    assert view["blocks"][0]["element"]["initial_option"]["value"] == DB

    submitted = view_with_state(
        view, resize_state(DB, ["production", "dr"], production="s6.xlarge.2", dr="s6.xlarge.2")
    )
    response = await dispatch(h.app, view_submission_body(ALICE, submitted))
    assert response.status == 200 and response.body == ""  # closes the modal
    await h.confirmation()
    await h.command(f"resize {DB} production=s6.xlarge.2 dr=s6.xlarge.2")
    await h.confirmation(1)
    form, typed = [c.args for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]
    assert form["channel"] == typed["channel"] == CHANNEL
    assert form["blocks"][0] == typed["blocks"][0]  # the same summary, same preflight
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    assert "Submitted to SDRS" in (await until(lambda: h.thread_replies(ts)))[0]


async def test_form_mistakes_come_back_as_field_errors(h: Harness) -> None:
    view = await pick_instance(h, DB)
    cases = [
        (resize_state(DB, []), {"sites": "Choose at least one site to resize."}),
        (resize_state(DB, ["dr"]), {"dr_flavor": "Choose the new flavor for the DR site."}),
    ]
    for values, errors in cases:
        response = await dispatch(h.app, view_submission_body(ALICE, view_with_state(view, values)))
        assert json.loads(response.body) == {"response_action": "errors", "errors": errors}
    unpicked = view_with_state(opened_view(h), {"instance": {modals.PICK_INSTANCE: {}}})
    response = await dispatch(h.app, view_submission_body(ALICE, unpicked))
    assert json.loads(response.body)["errors"] == {"instance": "Choose a protected instance."}
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage") and h.sdrs_posts() == 0


def flavor_fields(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b.get("block_id", "").endswith("_flavor")}


async def test_ticking_a_site_rebuilds_the_form_with_only_its_required_flavor_field(
    h: Harness,
) -> None:
    """The sites checkboxes dispatch their action: the form is rebuilt (views.update with the
    view's hash) with a required flavor field for each ticked site only, naming its server, its
    current flavor and power state as SDRS/ECS say now; what was typed in a kept field stays."""
    app_pi = sid("pi-erp-app")  # production server running, DR server stopped
    view = await pick_instance(h, app_pi)
    fields = flavor_fields(view)
    assert set(fields) == {"production_flavor", "dr_flavor"}
    assert not any(f.get("optional") for f in fields.values())
    sites = next(b for b in view["blocks"] if b.get("block_id") == modals.SITES_BLOCK)
    assert sites["dispatch_action"] is True
    # the person picks a production flavor, then unticks production: DR only
    h.state.enter(view["id"], resize_state(app_pi, ["production", "dr"], production="s6.xlarge.2"))
    h.world.set_power(sid("pi-erp-app-tgt"), "ACTIVE")  # the DR server was started meanwhile
    await dispatch(
        h.app,
        view_checkboxes_body(
            ALICE,
            h.state.views[view["id"]],
            action_id=modals.SITES_ACTION,
            block_id=modals.SITES_BLOCK,
            values=["dr"],
        ),
    )
    dr_only = await latest_view(h, 2)
    update = h.state.calls_to("views.update")[1].args
    assert update["hash"] == view["hash"] and update["view_id"] == view["id"]
    fields = flavor_fields(dr_only)
    assert list(fields) == ["dr_flavor"]
    dr = fields["dr_flavor"]
    assert "optional" not in dr or dr["optional"] is False
    assert "ecs-erp-app-tgt" in dr["label"]["text"]
    assert (
        dr["hint"]["text"]
        == "Now s6.large.2 (2 vCPU, 4 GiB) · running (ACTIVE): stop it before resizing, or "
        "tick Stop and start again below"
    )
    assert [
        o["value"]
        for o in next(b for b in dr_only["blocks"] if b.get("block_id") == modals.SITES_BLOCK)[
            "element"
        ]["initial_options"]
    ] == ["dr"]
    # Slack keeps what was entered in blocks that stay: the production choice went with its field
    assert set(dr_only["state"]["values"]) == {"instance", modals.SITES_BLOCK}
    # submitted without a DR flavor: the error names the DR field
    values = resize_state(app_pi, ["dr"])
    response = await dispatch(h.app, view_submission_body(ALICE, view_with_state(dr_only, values)))
    assert json.loads(response.body) == {
        "response_action": "errors",
        "errors": {"dr_flavor": "Choose the new flavor for the DR site."},
    }
    # untick DR too: no flavor field is left
    h.state.enter(dr_only["id"], values)
    await dispatch(
        h.app,
        view_checkboxes_body(
            ALICE,
            h.state.views[view["id"]],
            action_id=modals.SITES_ACTION,
            block_id=modals.SITES_BLOCK,
            values=[],
        ),
    )
    none = await latest_view(h, 3)
    assert flavor_fields(none) == {}
    assert "Tick a site" in json.dumps(none["blocks"])
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage") and h.sdrs_posts() == 0


async def test_form_submission_refused_by_preflight_tells_the_user_privately(h: Harness) -> None:
    view = await pick_instance(h, sid("pi-erp-app"))
    assert "running (ACTIVE): stop it before resizing" in json.dumps(
        view["blocks"], ensure_ascii=False
    )
    values = resize_state(sid("pi-erp-app"), ["production"], production="s6.xlarge.2")
    await dispatch(h.app, view_submission_body(ALICE, view_with_state(view, values)))
    text = (await until(lambda: h.ephemerals(ALICE)))[0]
    assert "Production-site server `ecs-erp-app-src` is ACTIVE" in text
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage") and h.sdrs_posts() == 0


async def test_rename_form_is_prefilled_and_checks_the_name(h: Harness) -> None:
    drill = sid("drill-erp")
    await h.command(f"drill rename {drill}")
    view = await latest_view(h, 1)  # opened at once, then filled once the drill was read
    assert view["callback_id"] == modals.RENAME_CALLBACK
    name_block = next(b for b in view["blocks"] if b.get("block_id", "").startswith("name_"))
    assert name_block["element"]["initial_value"] == "erp-季度演练"
    assert "erp-protection" in json.dumps(view["blocks"], ensure_ascii=False)

    def state(name: str) -> dict[str, Any]:
        return {
            "drill": {modals.PICK_DRILL: {**select(drill), "type": "external_select"}},
            name_block["block_id"]: {"name": {"type": "plain_text_input", "value": name}},
        }

    for name, error in (("erp-季度演练", "current name"), ("bad name!", "not allowed")):
        body = view_submission_body(ALICE, view_with_state(view, state(name)))
        errors = json.loads((await dispatch(h.app, body)).body)["errors"]
        assert error in errors[name_block["block_id"]]
    body = view_submission_body(ALICE, view_with_state(view, state("erp-演练-2")))
    assert (await dispatch(h.app, body)).body == ""
    await h.confirmation()
    summary = json.dumps(h.state.calls_to("chat.postMessage")[0].args["blocks"], ensure_ascii=False)
    assert "`erp-季度演练` → `erp-演练-2`" in summary


async def test_help_buttons_open_the_forms_and_drills_are_searchable(h: Harness) -> None:
    response = await h.command("help")
    help_blocks = json.loads(response.body)["blocks"]
    buttons = [e["action_id"] for b in help_blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [modals.OPEN_RESIZE, modals.OPEN_RENAME]
    body = action_body(
        action_id=modals.OPEN_RENAME,
        op_id="rename",
        user=ALICE,
        channel=CHANNEL,
        message_ts="1700000000.000001",
        response_url=f"{h.slack.url}/response/x",
    )
    await dispatch(h.app, body)
    view = await until(lambda: h.state.views and opened_view(h))
    assert view["callback_id"] == modals.RENAME_CALLBACK
    response = await dispatch(
        h.app,
        suggestion_body(
            ALICE,
            view,
            action_id=modals.PICK_DRILL,
            block_id="drill",
            value="演练",
        ),
    )
    labels = [o["text"]["text"] for o in json.loads(response.body)["options"]]
    assert sorted(labels) == ["erp-季度演练", "账单容灾演练"]


def _resize_view(instance: str, sites: list[str], **fields: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "instance": {modals.PICK_INSTANCE: {"selected_option": {"value": instance}}},
        modals.SITES_BLOCK: {
            modals.SITES_ACTION: {"selected_options": [{"value": s} for s in sites]}
        },
    }
    for block, value in fields.items():
        action = "host" if block.endswith("_host") else "flavor"
        values[block] = {action: {"selected_option": {"value": value}}}
    return {"state": {"values": values}}


@pytest.mark.parametrize("hostile", [".", "..", "a/b", "%2e%2e", "", "pi-1"])
def test_forms_refuse_ids_that_are_not_picked_uuids(hostile: str) -> None:
    """Picker values come back from the client: a forged one never reaches a request path."""
    result = modal_input.resize_from_view(
        _resize_view(hostile, ["production"], production_flavor="s6.large.2")
    )
    assert isinstance(result, dict) and "instance" in result
    drill = {
        "state": {"values": {"drill": {modals.PICK_DRILL: {"selected_option": {"value": hostile}}}}}
    }
    renamed = modal_input.rename_from_view(drill)
    assert isinstance(renamed, dict) and "drill" in renamed


def test_the_form_builds_the_intent_itself() -> None:
    pi = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
    intent = modal_input.resize_from_view(
        _resize_view(pi, ["dr", "bogus"], dr_flavor="s6.xlarge.2", production_flavor="x.y")
    )
    assert intent == ResizeIntent(instance_id=pi, dr_flavor="s6.xlarge.2")


async def test_reading_follows_the_policy_for_changing(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """Someone who may not change anything here cannot read through the bot either: no form,
    no instance or drill list, no status, jobs or history - and a job is shown only in its own
    channel."""
    async with running(
        tmp_path,
        slack,
        emulator,
        world,
        policy_resize_users=frozenset({ALICE}),
        policy_rename_users=frozenset({ALICE}),
    ) as h:
        await h.command("resize", user=BOB)
        await h.command("drill rename", user=BOB)
        denied = await until(lambda: len(h.ephemerals(BOB)) >= 2 and h.ephemerals(BOB))
        assert all("not on the list" in text for text in denied)
        await h.quiesce()
        assert not h.state.calls_to("views.open")
        view = {"id": "V0FORGED01", "private_metadata": json.dumps({"channel": CHANNEL})}
        for action, block in ((modals.PICK_INSTANCE, "instance"), (modals.PICK_DRILL, "drill")):
            response = await dispatch(
                h.app,
                suggestion_body(
                    BOB,
                    view,
                    action_id=action,
                    block_id=block,
                    value="",
                ),
            )
            assert json.loads(response.body)["options"] == []
        for text in ("history", "jobs", "status 0123456789abcdef"):
            await h.command(text, user=BOB)
        answers = await until(lambda: len(h.responses()) >= 3 and h.responses())
        assert all("not on the list" in a["text"] for a in answers)
        # ALICE may; her job is shown in its channel only
        await h.command("history")
        assert "No SDRS operations" in (await until(lambda: h.responses()[3:]))[0]["text"]


async def test_a_job_is_shown_only_in_its_own_channel(h: Harness) -> None:
    await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    job_id = (await until(lambda: h.thread_replies(ts)))[0].split("`")[1]
    await h.command(f"status {job_id}", channel="C0ELSEWH01")
    elsewhere = (await until(h.responses))[0]["text"]
    assert "not tracking a job" in elsewhere
    await h.command(f"status {job_id}")
    here = (await until(lambda: h.responses()[1:]))[0]["text"]
    assert f"job `{job_id}`" in here and "not tracking" not in here


@pytest.mark.parametrize(
    ("ticked", "expected"),
    [
        ([], {}),
        (["stop-start"], {"power": "stop-start"}),
        (["stop-start", "hard"], {"power": "stop-start", "stop": "hard"}),
    ],
)
def test_the_form_asks_for_stop_start_with_a_checkbox(
    ticked: list[str], expected: dict[str, str]
) -> None:
    pi = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
    view = _resize_view(pi, ["dr"], dr_flavor="s6.xlarge.2")
    view["state"]["values"][modals.POWER_BLOCK] = {
        modals.POWER_ACTION: {"selected_options": [{"value": v} for v in ticked]}
    }
    intent = modal_input.resize_from_view(view)
    assert intent == ResizeIntent(instance_id=pi, dr_flavor="s6.xlarge.2", **expected)


def test_a_hard_stop_alone_is_a_field_error() -> None:
    pi = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
    view = _resize_view(pi, ["dr"], dr_flavor="s6.xlarge.2")
    view["state"]["values"][modals.POWER_BLOCK] = {
        modals.POWER_ACTION: {"selected_options": [{"value": "hard"}]}
    }
    assert modal_input.resize_from_view(view) == {
        modals.POWER_BLOCK: "A hard stop is for Stop and start again: tick that too."
    }


async def test_the_form_offers_stop_start_once_a_site_is_ticked(h: Harness) -> None:
    view = await pick_instance(h, DB)
    power = [b for b in view["blocks"] if b.get("block_id") == modals.POWER_BLOCK]
    assert len(power) == 1 and power[0]["optional"] is True
    assert [o["value"] for o in power[0]["element"]["options"]] == ["stop-start", "hard"]
    assert "`" not in json.dumps(power[0])  # plain text, shown as written


async def test_the_form_tells_an_unavailable_cloud_once_marked(h: Harness) -> None:
    """SDRS answering 503 while the form reads the picked instance: the form says the cloud is
    unavailable (one warning mark, not the private reply's mark twice)."""
    h.emulator.emulator.faults.add(
        Fault("status", status=503, times=None, path_contains="/protected-instances/")
    )
    view = await pick_instance(h, DB)
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Huawei Cloud is unavailable right now" in shown
    assert ":warning: Huawei" in shown and ":warning: :warning:" not in shown
