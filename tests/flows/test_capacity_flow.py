"""Capacity through the real app (Slack stand-in, emulator): a flavor sold out in the server's
availability zone and a resize past the project's ECS cores quota are refused before any
confirmation, and again at Confirm; nothing reaches SDRS. The form offers only the flavors sold
in each server's zone."""

from __future__ import annotations

from bot.sandbox.seed import near_core_quota, sid
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.flows.test_preflight_flow import audit_actions, confirmation_posts
from tests.slack.test_forms import pick_instance
from tests.support.slack_harness import ALICE, Harness
from tests.support.slack_helpers import until

DB = sid("pi-erp-db")


async def test_a_flavor_sold_out_in_the_dr_zone_reaches_no_confirmation(h: Harness) -> None:
    await h.command(f"resize {DB} c7.xlarge.2")
    text = (await until(h.responses))[0]["text"]
    assert (
        "`c7.xlarge.2` is sold out in availability zone `cn-north-4b`, where the DR site "
        "server `ecs-erp-db-tgt` runs; SDRS would refuse the resize (SDRS.1379)."
    ) in text
    # c7.large.2 is not offered in that zone: the closest sold there are other families
    assert "Closest flavors sold there: `s6.xlarge.2`, " in text
    await h.quiesce()
    assert not confirmation_posts(h) and h.sdrs_posts() == 0
    assert "preflight-refused" in audit_actions(h)
    # the production zone sells it: a production-only resize goes to Confirm
    await h.command(f"resize {DB} production=c7.xlarge.2")
    await h.confirmation()


async def test_a_resize_past_the_core_quota_reaches_no_confirmation(h: Harness) -> None:
    near_core_quota(h.world, headroom=8)
    used = h.world.used()[0]
    await h.command(f"resize {DB} s6.2xlarge.2")
    text = (await until(h.responses))[0]["text"]
    assert (
        f"Resizing protected instance `erp-db` needs 12 vCPUs more, but the project uses "
        f"{used} vCPUs of its {used + 8} vCPUs quota (8 vCPUs free)"
    ) in text
    assert "counting every resized site" in text and "ECS would refuse the resize" in text
    await h.quiesce()
    assert not confirmation_posts(h) and h.sdrs_posts() == 0
    await h.command(f"resize {DB} s6.xlarge.2")  # +2 on each site: fits
    await h.confirmation()


async def test_quota_used_up_after_the_request_is_refused_at_confirm(h: Harness) -> None:
    near_core_quota(h.world, headroom=8)
    await h.command(f"resize {DB} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    h.world.other_cores_used += 6  # other servers took the room meanwhile
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    text = (await until(lambda: h.ephemerals(ALICE)))[0]
    assert "Not sent: Resizing protected instance `erp-db` needs 4 vCPUs more" in text
    await h.quiesce()
    assert h.sdrs_posts() == 0


async def test_the_form_offers_only_flavors_sold_in_each_servers_zone(h: Harness) -> None:
    view = await pick_instance(h, DB)
    options = {
        b["block_id"]: [o["value"] for o in b["element"]["options"]]
        for b in view["blocks"]
        if b.get("block_id") in ("production_flavor", "dr_flavor")
    }
    assert "c7.xlarge.2" in options["production_flavor"]
    assert "c7.xlarge.2" not in options["dr_flavor"]
    assert "s6.xlarge.2" in options["dr_flavor"]
