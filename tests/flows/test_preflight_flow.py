"""Preflight scenarios: the preflight reads SDRS and ECS (the emulator) before a confirmation is
posted and again at Confirm; signed payloads through the real app, Slack stand-in recording."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.sandbox.seed import sid
from bot.store import OpState
from bot.store.schema import audit_events
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, BOB, Harness
from tests.support.slack_helpers import until

DB = sid("pi-erp-db")


def audit_actions(harness: Harness) -> list[str]:
    with harness.deps.store.engine.connect() as conn:
        return [r.action for r in conn.execute(select(audit_events.c.action))]


def confirmation_posts(harness: Harness) -> list[dict[str, object]]:
    return [c.args for c in harness.state.calls_to("chat.postMessage") if c.args.get("blocks")]


async def test_running_server_is_refused_before_anything_is_posted(h: Harness) -> None:
    await h.command(f"resize {sid('pi-erp-app')} s6.xlarge.2")
    text = (await until(h.responses))[0]["text"]
    assert "Production-site server `ecs-erp-app-src` is ACTIVE" in text
    assert "must be stopped (SHUTOFF)" in text
    await h.quiesce()
    assert not confirmation_posts(h) and h.sdrs_posts() == 0
    assert "preflight-refused" in audit_actions(h)
    assert "requested" not in audit_actions(h)  # no operation was made


async def test_group_and_instance_status_refusals_name_the_status(h: Harness) -> None:
    await h.command(f"resize {sid('pi-reports')} s6.xlarge.2")
    await h.command(f"resize {sid('pi-erp-cache')} s6.xlarge.2")
    texts = [r["text"] for r in await until(lambda: len(h.responses()) == 2 and h.responses())]
    joined = "\n".join(texts)
    assert "Protection group `reports-failing-over` is `failing-over`" in joined
    assert "Protected instance `erp-cache` is `error`" in joined
    assert not confirmation_posts(h)


async def test_after_failover_the_production_server_is_the_target(h: Harness) -> None:
    h.world.set_power(sid("pi-billing-tgt"), "ACTIVE")  # production runs there after failover
    await h.command(f"resize {sid('pi-billing')} production=s6.2xlarge.2")
    text = (await until(h.responses))[0]["text"]
    assert "Production-site server `ecs-billing-tgt` is ACTIVE" in text


async def test_wrong_flavor_gets_the_closest_valid_ones(h: Harness) -> None:
    await h.command(f"resize {DB} s6.xlarg.2")
    text = (await until(h.responses))[0]["text"]
    assert "`s6.xlarg.2` is not a flavor the production site server" in text
    assert "`s6.xlarge.2`" in text.split("Closest valid flavors:")[1]
    # c7.large.2 is sold in the production AZ only: fine there, refused for the DR site
    await h.command(f"resize {DB} dr=c7.large.2")
    texts = await until(lambda: len(h.responses()) == 2 and h.responses())
    assert "not a flavor the DR site server `ecs-erp-db-tgt`" in texts[1]["text"]
    await h.command(f"resize {DB} production=c7.large.2")
    await h.confirmation()
    assert h.sdrs_posts() == 0


async def test_confirmation_shows_current_and_new_flavors_and_warnings(h: Harness) -> None:
    await h.command(f"resize {DB} production=s6.xlarge.2")
    await h.confirmation()
    summary = json.dumps(confirmation_posts(h)[0]["blocks"])
    assert "production site, server `ecs-erp-db-src`" in summary
    assert "`s6.large.2` (2 vCPU, 4 GiB) \\u2192 `s6.xlarge.2` (4 vCPU, 8 GiB)" in summary
    assert "group `erp-protection`" in summary
    assert "DR-site flavor would be smaller" in summary  # DR stays s6.large.2
    await h.command(f"resize {sid('pi-deh')} s6.xlarge.2")
    await h.confirmation(1)
    summary = json.dumps(confirmation_posts(h)[1]["blocks"])
    # on a dedicated host: it stays there (the host read, with its name)
    assert f"stays on dedicated host `deh-erp-prod` (`{sid('deh-prod')}`)" in summary
    assert "could not be read" not in summary


async def test_server_started_after_request_blocks_confirm_until_stopped(h: Harness) -> None:
    await h.command(f"resize {DB} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    h.world.set_power(sid("pi-erp-db-tgt"), "ACTIVE")
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    text = (await until(lambda: h.ephemerals(ALICE)))[0]
    assert "Not sent: DR-site server `ecs-erp-db-tgt` is ACTIVE" in text
    await h.quiesce()
    assert h.sdrs_posts() == 0 and not h.updates(ts)
    op = h.deps.store.get_pending(op_id)
    assert op is not None and op.state is OpState.PENDING  # still open
    assert "confirm-refused" in audit_actions(h)
    h.world.set_power(sid("pi-erp-db-tgt"), "SHUTOFF")
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    replies = await until(lambda: h.thread_replies(ts))
    assert "Submitted to SDRS, job" in replies[0]
    assert h.sdrs_posts() == 1


async def test_flavor_changed_since_request_closes_the_confirmation(h: Harness) -> None:
    await h.command(f"resize {DB} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    h.world.servers[sid("pi-erp-db-src")].flavor = "s6.2xlarge.2"  # resized by someone else
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    updates = await until(lambda: h.updates(ts))
    assert "production site changed since this was requested" in updates[0]
    assert "Nothing was sent to SDRS" in updates[0]
    await h.quiesce()
    assert h.sdrs_posts() == 0
    op = h.deps.store.get_pending(op_id)
    assert op is not None and op.state is OpState.STALE
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    assert "out of date" in (await until(lambda: h.ephemerals(ALICE)))[0]
    assert h.sdrs_posts() == 0


async def test_rename_confirmation_names_the_group_and_refuses_the_same_name(h: Harness) -> None:
    await h.command(f"drill rename {sid('drill-billing')} 账单演练-2")
    await h.confirmation()
    summary = json.dumps(confirmation_posts(h)[0]["blocks"], ensure_ascii=False)
    assert "protection group `billing-after-failover`" in summary
    assert "`账单容灾演练` → `账单演练-2`" in summary
    await h.command(f"drill rename {sid('drill-billing')} 账单容灾演练", user=BOB)
    text = (await until(h.responses))[0]["text"]
    assert "already named `账单容灾演练`" in text
    await h.quiesce()
    assert len(confirmation_posts(h)) == 1 and h.sdrs_puts() == 0


async def test_prepaid_server_is_refused_before_confirmation_by_name(h: Harness) -> None:
    """SDRS.1376 (yearly/monthly server) is known from ECS metadata.charging_mode: refused
    privately, naming the server, nothing posted, nothing sent to SDRS."""
    await h.command(f"resize {sid('pi-prepaid')} production=s6.xlarge.2")
    text = (await until(h.responses))[0]["text"]
    assert "`ecs-erp-prepaid-src` is billed yearly/monthly" in text
    assert "SDRS.1376" in text and "ECS console" in text
    await h.quiesce()
    assert not confirmation_posts(h) and h.sdrs_posts() == 0


async def test_resize_that_changes_nothing_is_refused_before_confirmation(h: Harness) -> None:
    """SDRS.1341 (nothing changes on any site) is refused before a confirmation is posted."""
    await h.command(f"resize {DB} s6.large.2")
    text = (await until(h.responses))[0]["text"]
    assert "`erp-db`" in text and "SDRS.1341" in text and "`s6.large.2`" in text
    await h.quiesce()
    assert not confirmation_posts(h) and h.sdrs_posts() == 0
