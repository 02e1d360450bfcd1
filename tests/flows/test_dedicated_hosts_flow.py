"""Dedicated hosts end to end: the real app with the Slack stand-in and the emulator (which
serves the DeH API and refuses a resize to a host that cannot take it). A resized site on a
dedicated host keeps its host unless one is named, the body sent names it, the confirmation
says "stays on" / "moves to"; a host that cannot take the resize is refused before Confirm."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.sandbox.deh import DedicatedHost
from bot.sandbox.seed import sid
from bot.sandbox.world import Server
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, Harness
from tests.support.slack_helpers import until

DEH_SERVER = sid("pi-deh-src")


def confirmation_texts(h: Harness) -> list[str]:
    posts = [c.args for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]
    return [json.dumps(p["blocks"], ensure_ascii=False) for p in posts]


def resize_bodies(h: Harness) -> list[Any]:
    return [
        r.json()
        for r in h.emulator.emulator.requests
        if r.method == "POST" and r.path.endswith("/resize")
    ]


async def test_a_site_on_a_dedicated_host_stays_there_and_the_body_names_it(h: Harness) -> None:
    await h.command(f"resize {sid('pi-deh')} production=s6.xlarge.2")
    op_id, ts = await h.confirmation()
    [summary] = confirmation_texts(h)
    assert f"stays on dedicated host `deh-erp-prod` (`{sid('deh-prod')}`)" in summary
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    [body] = await until(lambda: resize_bodies(h))
    assert body == {
        "resize": {
            "production_flavorRef": "s6.xlarge.2",
            "production_dedicated_host_id": sid("deh-prod"),
        }
    }
    await until(lambda: h.world.servers[DEH_SERVER].flavor == "s6.xlarge.2", within=15)
    assert h.world.servers[DEH_SERVER].dedicated_host_id == sid("deh-prod")


@pytest.mark.parametrize("option", ["production_dedicated_host", "production-host"])
async def test_a_named_host_is_where_it_moves(h: Harness, option: str) -> None:
    await h.command(f"resize {sid('pi-deh')} production=s6.xlarge.2 {option}={sid('deh-prod-2')}")
    op_id, ts = await h.confirmation()
    [summary] = confirmation_texts(h)
    assert (
        f"moves to dedicated host `deh-erp-prod-2` (`{sid('deh-prod-2')}`) "
        f"(from `{sid('deh-prod')}`)"
    ) in summary
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    [body] = await until(lambda: resize_bodies(h))
    assert body["resize"]["production_dedicated_host_id"] == sid("deh-prod-2")
    moved = lambda: h.world.servers[DEH_SERVER].dedicated_host_id == sid("deh-prod-2")  # noqa: E731
    await until(moved, within=15)


@pytest.mark.parametrize(
    ("host", "flavor", "said"),
    [
        (
            "deh-missing",
            "s6.xlarge.2",
            [f"The production dedicated host `{sid('deh-missing')}` does not exist (SDRS.1368)"],
        ),
        (
            "deh-dr",
            "s6.xlarge.2",
            [
                f"The production dedicated host `deh-erp-dr` (`{sid('deh-dr')}`) is in",
                "the production server `ecs-erp-deh-src` is in",
                "(SDRS.1369)",
            ],
        ),
        (
            "deh-c7",
            "s6.xlarge.2",
            ["is of type `c7`, which does not take `s6.xlarge.2`"],
        ),
        (
            "deh-full",
            "s6.xlarge.2",
            [
                f"The production dedicated host `deh-nearly-full` (`{sid('deh-full')}`) has no "
                "room for the production server `ecs-erp-deh-src`: 2 vCPUs free, "
                "`s6.xlarge.2` needs 4",
                "production_dedicated_host=&lt;DeH id&gt;",
            ],
        ),
    ],
)
async def test_a_host_that_cannot_take_the_resize_is_refused_before_confirm(
    h: Harness, host: str, flavor: str, said: list[str]
) -> None:
    await h.command(
        f"resize {sid('pi-deh')} production={flavor} production_dedicated_host={sid(host)}"
    )
    text = (await until(h.responses))[0]["text"]
    for part in said:
        assert part in text, text
    await h.quiesce()
    assert not confirmation_texts(h) and h.sdrs_posts() == 0


async def test_a_host_filled_after_the_request_is_refused_at_confirm(h: Harness) -> None:
    move = f"production_dedicated_host={sid('deh-prod-2')}"
    await h.command(f"resize {sid('pi-deh')} production=s6.xlarge.2 {move}")
    op_id, ts = await h.confirmation()
    # two other servers take deh-prod-2's 16 vCPUs between the request and Confirm
    zone = h.world.servers[DEH_SERVER].az
    for name in ("filler-1", "filler-2"):
        filler = Server(sid(name), f"ecs-{name}", zone, "s6.2xlarge.2")
        filler.dedicated_host_id = sid("deh-prod-2")
        h.world.add_server(filler)
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    text = (await until(lambda: h.ephemerals(ALICE)))[0]
    assert "Not sent: The production dedicated host `deh-erp-prod-2`" in text
    assert "0 vCPUs free, `s6.xlarge.2` needs 4" in text
    await h.quiesce()
    assert h.sdrs_posts() == 0


def test_seeded_hosts_are_what_the_cases_above_rely_on() -> None:
    """deh-full has 2 vCPUs for s6.xlarge.2's 4; deh-c7 takes c7 flavors only."""
    full = DedicatedHost(sid("x"), "az", vcpus=2, memory=4096)
    assert full.takes(["s6.large.2", "c7.large.2"]) == ["s6.large.2"]


async def test_a_server_moved_to_another_host_since_the_request_closes_it(h: Harness) -> None:
    """The request filled in the current host; had the server moved since, Confirm would send
    it back there: the confirmation is closed as out of date instead, nothing sent."""
    await h.command(f"resize {sid('pi-deh')} production=s6.xlarge.2")
    op_id, ts = await h.confirmation()
    h.world.servers[DEH_SERVER].dedicated_host_id = sid("deh-prod-2")  # moved by someone else
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    updates = await until(lambda: h.updates(ts))
    assert "production site changed since this was requested" in updates[0]
    assert "dedicated host" in updates[0]
    await h.quiesce()
    assert h.sdrs_posts() == 0
