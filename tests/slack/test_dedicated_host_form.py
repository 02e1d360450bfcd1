"""The resize form for a server on a dedicated host: an optional host field whose hint names
the current host (left empty: it stays there), and a host typed there reaches the intent."""

from __future__ import annotations

from typing import Any

from bot.core.intents import ResizeIntent
from bot.core.wire.ecs import Flavor
from handlers import modal_input, modals
from handlers.messages.text import SITE_LABEL

PI = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
DEH = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
FLAVOR = Flavor(id="s6.large.2", vcpus=2, ram=4096)


def site(on_host: bool, current: str = "") -> modals.SiteInfo:
    return modals.SiteInfo("production", "ecs-src", "SHUTOFF", FLAVOR, [FLAVOR], on_host, current)


def host_block(view: dict[str, Any]) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == "production_host"), None)


def test_the_host_field_names_the_current_host_and_is_optional() -> None:
    view = modals.resize_view("C1", (PI, "erp-deh"), [site(True, DEH)], ticked=["production"])
    block = host_block(view)
    assert block is not None and block["optional"] is True
    assert block["label"]["text"] == f"Dedicated host id, {SITE_LABEL['production']}"
    hint = block["hint"]["text"]
    assert f"dedicated host {DEH}: leave this empty to keep it there" in hint
    unknown = host_block(modals.resize_view("C1", (PI, "x"), [site(True)], ticked=["production"]))
    assert unknown is not None and "ECS does not say which" in unknown["hint"]["text"]
    shared = modals.resize_view("C1", (PI, "x"), [site(False)], ticked=["production"])
    assert host_block(shared) is None


def test_a_host_typed_in_the_form_reaches_the_intent() -> None:
    values: dict[str, Any] = {
        "instance": {modals.PICK_INSTANCE: {"selected_option": {"value": PI}}},
        modals.SITES_BLOCK: {modals.SITES_ACTION: {"selected_options": [{"value": "production"}]}},
        "production_flavor": {"flavor": {"selected_option": {"value": "s6.xlarge.2"}}},
        "production_host": {"host": {"value": DEH}},
    }
    intent = modal_input.resize_from_view({"state": {"values": values}})
    assert intent == ResizeIntent(
        instance_id=PI, production_flavor="s6.xlarge.2", production_host=DEH
    )
    del values["production_host"]
    kept = modal_input.resize_from_view({"state": {"values": values}})
    assert isinstance(kept, ResizeIntent) and kept.production_host is None  # stays: preflight
