"""History lines show SDRS's error code of a refused or failed operation, and
history, jobs, status and the reports seen outside a thread link to the operation's thread
(``chat.getPermalink`` of the Slack stand-in, as Slack documents it). A link that cannot be had
leaves the line without it; the command never fails for it."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import JobPlan, World
from handlers.links import PERMALINKS, Permalinks
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.local_env import free_port
from tests.support.slack_harness import ALICE, CHANNEL, Harness, running
from tests.support.slack_helpers import BOT_TOKEN, until

ONCALL = "C0ONCALL01"
LINK = re.compile(r"<(https://[^|>]+)\|thread>")


def link_to(ts: str, channel: str = CHANNEL) -> str:
    return f"<https://sandbox.slack.com/archives/{channel}/p{ts.replace('.', '')}|thread>"


async def refused_and_failed(h: Harness) -> tuple[str, str, str]:
    """A resize SDRS refuses (SDRS.1368: an unknown dedicated host) and one whose job fails
    (SDRS.1399); (refused ts, failed ts, failed job id). The bot may not read DeH here, so the
    unknown host reaches SDRS."""
    h.emulator.emulator.denials.deny(["deh:dedicatedHosts:get"])
    deh = f"production=s6.xlarge.2 production-host={sid('deh-missing')}"
    await h.command(f"resize {sid('pi-deh')} {deh}")
    op1, ts1 = await h.confirmation()
    await h.click(CONFIRM_ACTION, op1, ALICE, ts1)
    await until(lambda: any("SDRS.1368" in r for r in h.thread_replies(ts1)))
    h.world.plan_next_job(JobPlan(fail=("SDRS.1399", "ECS resize of the DR server failed")))
    await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
    op2, ts2 = await h.confirmation(1)
    await h.click(CONFIRM_ACTION, op2, ALICE, ts2)
    job_id = (await until(lambda: h.thread_replies(ts2)))[0].split("`")[1]
    await until(lambda: any("FAIL" in r for r in h.thread_replies(ts2)), within=15)
    return ts1, ts2, job_id


async def test_history_jobs_and_status_show_codes_and_link_to_threads(h: Harness) -> None:
    refused_ts, failed_ts, job_id = await refused_and_failed(h)
    await h.command("history")
    lines = (await until(h.responses))[0]["text"].split("\n")[1:]
    assert "*FAIL* `SDRS.1399`" in lines[0] and lines[0].endswith(link_to(failed_ts))
    assert "*submit-failed* `SDRS.1368`" in lines[1] and lines[1].endswith(link_to(refused_ts))
    asked = h.state.calls_to("chat.getPermalink")
    assert {c.args["message_ts"] for c in asked} == {refused_ts, failed_ts}
    assert all(c.args["channel"] == CHANNEL for c in asked)

    await h.command("jobs")
    jobs = (await until(lambda: h.responses()[1:]))[0]["text"]
    assert f"job `{job_id}`" in jobs and link_to(failed_ts) in jobs
    await h.command(f"status {job_id}")
    status = (await until(lambda: h.responses()[2:]))[0]["text"]
    assert status.endswith(link_to(failed_ts))
    # a message's link does not change: asked for once
    assert len(h.state.calls_to("chat.getPermalink")) == len(asked)


async def test_without_links_from_slack_the_lines_come_without_them(h: Harness) -> None:
    refused_ts, failed_ts, _ = await refused_and_failed(h)
    await until(lambda: h.state.calls_to("chat.getPermalink"))  # the broadcast FAIL report's
    PERMALINKS.clear()
    h.state.faults["chat.getPermalink"] = (1.0, "server_error")  # Slack fails every look-up
    asked = len(h.state.calls_to("chat.getPermalink"))
    await h.command("history")
    lines = (await until(h.responses))[0]["text"].split("\n")[1:]
    assert lines[0].endswith("*FAIL* `SDRS.1399`" + f" · job `{lines[0].split('`')[-2]}`")
    assert lines[1].endswith("*submit-failed* `SDRS.1368`")  # shown, without a link
    # after the first failure the other line's link is not asked for
    assert len(h.state.calls_to("chat.getPermalink")) == asked + 1
    del h.state.faults["chat.getPermalink"]
    await h.command("history")
    lines = (await until(lambda: h.responses()[1:]))[0]["text"].split("\n")[1:]
    assert lines[0].endswith(link_to(failed_ts))  # the failure was not remembered
    assert lines[1].endswith(link_to(refused_ts))


async def test_reports_seen_outside_the_thread_link_to_it(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, notify_routes=f"failed={ONCALL}") as h:
        _, failed_ts, _ = await refused_and_failed(h)

        def oncall() -> list[str]:
            return [
                str(c.args["text"])
                for c in h.state.calls_to("chat.postMessage")
                if c.args.get("channel") == ONCALL
            ]

        announced = await until(lambda: len(oncall()) >= 2 and oncall())
        assert all(LINK.search(line) for line in announced)
        assert announced[-1].endswith(link_to(failed_ts))
        final = next(r for r in h.thread_replies(failed_ts) if "FAIL" in r)
        assert final.split("\n")[0].endswith(link_to(failed_ts))  # broadcast to the channel
        submitted = h.thread_replies(failed_ts)[0]  # in the thread only: no link to itself
        assert "Submitted to SDRS" in submitted and "|thread>" not in submitted


async def test_the_stand_in_answers_get_permalink_as_slack_documents(
    h: Harness, slack: SlackApiThread
) -> None:
    await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    reply = (await until(lambda: h.state.thread(CHANNEL, ts)))[0]["ts"]
    auth = {"Authorization": f"Bearer {BOT_TOKEN}"}
    url = f"{slack.api_url}chat.getPermalink"
    async with aiohttp.ClientSession(headers=auth) as session:
        async with session.get(url, params={"channel": CHANNEL, "message_ts": ts}) as got:
            answer = await got.json()
        assert answer == {
            "ok": True,
            "channel": CHANNEL,
            "permalink": link_to(ts)[1 : -len("|thread>")],
        }
        form = {"channel": CHANNEL, "message_ts": reply}
        async with session.post(url, data=form) as got:
            in_thread = (await got.json())["permalink"]
        assert in_thread.endswith(f"p{reply.replace('.', '')}?thread_ts={ts}&cid={CHANNEL}")
        for args, error in (
            ({"channel": CHANNEL, "message_ts": "1.000001"}, "message_not_found"),
            ({"message_ts": ts}, "channel_not_found"),
        ):
            async with session.post(url, data=args) as got:
                assert await got.json() == {"ok": False, "error": error}


@pytest.mark.slow
async def test_a_slack_that_cannot_be_reached_gives_no_link() -> None:
    """A connection refused (nothing listens on the port) is a line without a link."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/")
    links = Permalinks(within=5.0)
    assert await links.many(client, CHANNEL, ["1.000001", "1.000002"]) == {}
    assert await links.get(client, CHANNEL, "1.000001") is None
