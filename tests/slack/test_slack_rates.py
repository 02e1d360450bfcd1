"""Slack's rate tiers and the 3-second ack: the resize form's flavor type-ahead (more flavors
than a select holds), user-group membership kept a minute and never waited for on the way to
an options answer, through the real app, the Slack stand-in and the emulator."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from handlers import modals
from handlers.lookup import GROUP_CACHE_SECONDS, group_members
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, BOB, CHANNEL, Harness, running
from tests.support.slack_helpers import (
    dispatch,
    suggestion_body,
    until,
    view_action_body,
    view_submission_body,
    view_with_state,
)

HPC = sid("pi-hpc")  # its servers may be resized to 162 flavors
GROUP = "S0RESIZE01"
APPROVERS = "S0APPROV01"
# a bound far above an answer that waits for nothing, far below one that waits out a 429
NO_HANG = 20.0


async def open_resize_form(h: Harness, instance: str, user: str = ALICE) -> dict[str, Any]:
    await h.command("resize", user=user)
    opened = await until(lambda: h.state.calls_to("views.open"))
    view_id = next(
        v
        for v in h.state.views
        if h.state.views[v]["callback_id"] == opened[0].args["view"]["callback_id"]
    )
    view = h.state.views[view_id]
    await dispatch(
        h.app,
        view_action_body(
            user,
            view,
            action_id=modals.PICK_INSTANCE,
            block_id="instance",
            value=instance,
            text="hpc-render (protected)",
        ),
    )
    await until(lambda: h.state.calls_to("views.update"))
    return h.state.views[view_id]


async def flavor_options(
    h: Harness, view: dict[str, Any], typed: str, site: str = "production", user: str = ALICE
) -> list[dict[str, Any]]:
    response = await asyncio.wait_for(
        dispatch(
            h.app,
            suggestion_body(
                user,
                view,
                action_id=modals.FLAVOR_ACTION,
                block_id=f"{site}_flavor",
                value=typed,
            ),
        ),
        NO_HANG,
    )
    assert response.status == 200
    options: list[dict[str, Any]] = json.loads(response.body)["options"]
    return options


async def test_more_flavors_than_a_select_holds_are_typed_ahead_and_one_past_the_100th_is_asked_for(
    h: Harness,
) -> None:
    view = await open_resize_form(h, HPC)
    allowed = h.world.resize_flavors(sid("pi-hpc-src"))
    assert len(allowed) > modals.MAX_OPTIONS
    field = next(b for b in view["blocks"] if b.get("block_id") == "production_flavor")
    assert field["element"]["type"] == "external_select"
    assert field["element"]["min_query_length"] == 0 and "options" not in field["element"]
    assert f"({len(allowed)} allowed)" in field["element"]["placeholder"]["text"]
    reads = len(h.emulator.emulator.requests)

    everything = await flavor_options(h, view, "")
    assert len(everything) == modals.MAX_OPTIONS  # Slack's most; typing narrows it
    assert [o["value"] for o in everything] == [f["id"] for f in allowed[: modals.MAX_OPTIONS]]
    for o in everything:
        assert len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150
    last = allowed[-1]["id"]  # well past the 100th
    assert last not in [o["value"] for o in everything]
    found = await flavor_options(h, view, "M7.48XLARGE")
    assert {o["value"] for o in found} == {"m7.48xlarge.8", "m7.48xlarge.16"} and last in {
        o["value"] for o in found
    }
    by_size = await flavor_options(h, view, "192 vcpu 3072")
    assert [o["value"] for o in by_size] == ["m7.48xlarge.16"]
    assert await flavor_options(h, view, "c6.large.2") == []  # its current flavor: not offered
    assert len(h.emulator.emulator.requests) == reads  # served from the form's read, no cloud

    values = {
        "instance": {
            modals.PICK_INSTANCE: {"type": "external_select", "selected_option": {"value": HPC}}
        },
        modals.SITES_BLOCK: {
            modals.SITES_ACTION: {
                "type": "checkboxes",
                "selected_options": [{"value": "production"}],
            }
        },
        "production_flavor": {
            modals.FLAVOR_ACTION: {"type": "external_select", "selected_option": found[-1]}
        },
    }
    response = await dispatch(h.app, view_submission_body(ALICE, view_with_state(view, values)))
    assert response.body == ""
    op_id, ts = await h.confirmation()
    summary = json.dumps(h.state.calls_to("chat.postMessage")[0].args["blocks"])
    assert "m7.48xlarge.16" in summary
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    await until(lambda: h.thread_replies(ts))
    assert h.sdrs_posts() == 1


@pytest.mark.slow
async def test_the_type_ahead_reads_the_cloud_when_another_replica_built_the_form(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """The form was built by one replica; Slack asks another (or this one after its cache)
    for the options: it reads what ECS allows for that server, within the ack's time; a
    forged instance gets nothing."""
    async with running(tmp_path, slack, emulator, world) as first:
        view = await open_resize_form(first, HPC)
    async with running(tmp_path, slack, emulator, world) as second:
        options = await flavor_options(second, view, "hc2.48xlarge", site="dr")
        assert [o["value"] for o in options] == ["hc2.48xlarge.4", "hc2.48xlarge.8"]
        forged = {**view, "private_metadata": json.dumps({"channel": CHANNEL, "instance": ".."})}
        assert await flavor_options(second, forged, "") == []
        # ECS slower than the ack allows (the production site is not read yet): no options, at
        # once, rather than an answer Slack no longer waits for
        emulator.emulator.faults.add(Fault("latency", method="GET", seconds=5.0, times=None))
        try:
            assert await flavor_options(second, view, "m7") == []
        finally:
            emulator.emulator.faults.clear()
        assert len(await flavor_options(second, view, "m7")) == 26


async def test_a_removed_group_member_keeps_access_at_most_a_minute(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """usergroups.users.list (Tier 2) is read once for the form and its type-ahead; a person
    removed from the group is refused once the answer is a minute old."""
    slack.state.usergroups[GROUP] = [ALICE]
    async with running(
        tmp_path, slack, emulator, world, policy_resize_usergroups=frozenset({GROUP})
    ) as h:
        view = await open_resize_form(h, HPC)
        assert len(h.state.calls_to("usergroups.users.list")) == 1
        assert len(await flavor_options(h, view, "m7")) == 26
        slack.state.usergroups[GROUP] = []  # removed
        assert len(await flavor_options(h, view, "m7")) == 26  # the answer of the last minute
        assert len(h.state.calls_to("usergroups.users.list")) == 1
        group_members(h.app.client).now = lambda: time.monotonic() + GROUP_CACHE_SECONDS
        assert await flavor_options(h, view, "m7") == []
        assert len(h.state.calls_to("usergroups.users.list")) == 2


async def test_options_are_answered_at_once_while_usergroups_is_rate_limited(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """The group's answer is older than a minute and Slack answers 429 Retry-After 30: the
    options answer does not wait it out (fail closed: no options), nor ask again before the 30
    seconds; once Slack answers, the options are back."""
    slack.state.usergroups[GROUP] = [ALICE]
    async with running(
        tmp_path, slack, emulator, world, policy_resize_usergroups=frozenset({GROUP})
    ) as h:
        view = await open_resize_form(h, HPC)
        cache = group_members(h.app.client)
        cache.now = lambda: time.monotonic() + GROUP_CACHE_SECONDS
        slack.state.rate_limited_until["usergroups.users.list"] = time.monotonic() + 30
        for query in ("m7", "hc2"):
            assert await flavor_options(h, view, query) == []
        instances = await asyncio.wait_for(
            dispatch(
                h.app,
                suggestion_body(
                    ALICE,
                    view,
                    action_id=modals.PICK_INSTANCE,
                    block_id="instance",
                    value="hpc",
                ),
            ),
            NO_HANG,
        )
        assert json.loads(instances.body)["options"] == []
        assert slack.state.ratelimited["usergroups.users.list"] == 1  # not retried, not re-asked
        slack.state.rate_limited_until.clear()
        cache.now = lambda: time.monotonic() + GROUP_CACHE_SECONDS + 31
        assert len(await flavor_options(h, view, "m7")) == 26


async def test_a_confirm_reads_the_approver_group_again_when_its_answer_is_a_minute_old(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    slack.state.usergroups[APPROVERS] = [BOB]
    async with running(
        tmp_path,
        slack,
        emulator,
        world,
        approval_mode="two-person",
        approver_usergroups=frozenset({APPROVERS}),
    ) as h:
        await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
        first, first_ts = await h.confirmation()
        await h.command(f"resize {sid('pi-web-2')} s6.large.2")
        second, second_ts = await h.confirmation(1)
        await h.click(CONFIRM_ACTION, first, BOB, first_ts)
        await until(lambda: h.thread_replies(first_ts))
        reads = len(h.state.calls_to("usergroups.users.list"))
        slack.state.usergroups[APPROVERS] = []  # Bob leaves the approvers
        group_members(h.app.client).now = lambda: time.monotonic() + GROUP_CACHE_SECONDS
        await h.click(CONFIRM_ACTION, second, BOB, second_ts)
        assert "Only an approver" in (await until(lambda: h.ephemerals(BOB)))[0]
        assert len(h.state.calls_to("usergroups.users.list")) == reads + 1
        await h.quiesce()
        assert h.sdrs_posts() == 1
