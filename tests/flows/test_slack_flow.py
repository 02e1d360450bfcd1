"""Scenario tests: signed Slack payloads through the real app, a local Slack Web API server that
records what the bot sent, and the SDRS emulator behind the real client."""

from __future__ import annotations

import asyncio
import errno
import gc
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote

import httpx
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.core.facts import RenameFacts
from bot.core.intents import ResizeIntent
from bot.operations.execute import recover_interrupted
from bot.operations.expire import expire_sweep
from bot.sandbox.faults import Fault
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from bot.store import OpState
from handlers.app import (
    build_app,
    build_web_app,
    socket_mode_handler,
    transport,
)
from handlers.client import slack_client
from handlers.messages.confirmation import CANCEL_ACTION, CONFIRM_ACTION
from tests.conftest import sandbox_settings
from tests.support.local_env import free_port
from tests.support.slack_harness import ALICE, BOB, CAROL, CHANNEL, Harness, running
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    action_body,
    slack_signed_headers,
    slash_command_body,
    until,
)

RESIZE = f"resize {sid('pi-erp-db')} s6.xlarge.2"


async def test_help_and_parse_errors_are_ephemeral_in_the_ack(h: Harness) -> None:
    response = await h.command("help resize")
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert "Resize a protected instance" in json.dumps(body["blocks"])
    response = await h.command(f"resize {sid('pi-erp-db')} large")
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert "is not a flavor name" in body["text"]
    # usage placeholders escaped, so Slack shows them as typed instead of parsing <...>
    assert "/sdrs resize &lt;protected-instance-id&gt; &lt;flavor&gt;" in json.dumps(body["blocks"])
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage")
    assert h.sdrs_posts() == 0


async def test_resize_happy_path(h: Harness) -> None:
    response = await h.command(RESIZE)
    assert response.status == 200 and response.body == ""
    op_id, ts = await h.confirmation()
    post = h.state.calls_to("chat.postMessage")[0].args
    assert post["channel"] == CHANNEL
    assert "s6.xlarge.2" in json.dumps(post["blocks"]) and op_id in json.dumps(post["blocks"])
    assert h.sdrs_posts() == 0  # nothing before the click
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    replies = await until(lambda: h.thread_replies(ts))
    assert "Submitted to SDRS, job" in replies[0]
    assert any("Confirmed by <@U0ALICE001>" in u for u in h.updates(ts))
    assert h.sdrs_posts() == 1
    job_id = replies[0].split("`")[1]
    assert job_id in h.world.jobs
    op = h.deps.store.get_pending(op_id)
    assert op is not None and op.state is OpState.CONFIRMED and op.decided_by == ALICE


async def test_rename_happy_path_shows_old_and_new_name(h: Harness) -> None:
    await h.command(f"drill rename {sid('drill-web')} “web季度演练-q2”")
    op_id, ts = await h.confirmation()
    summary = json.dumps(h.state.calls_to("chat.postMessage")[0].args["blocks"], ensure_ascii=False)
    assert "web_drill-2026.q1" in summary and "web季度演练-q2" in summary
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    replies = await until(lambda: h.thread_replies(ts))
    assert "Drill renamed to `web季度演练-q2`" in replies[0]
    assert h.world.drills[sid("drill-web")].name == "web季度演练-q2"


@pytest.mark.slow
async def test_ack_does_not_wait_for_sdrs(h: Harness) -> None:
    h.emulator.emulator.faults.add(Fault("latency", method="GET", seconds=4.0))
    response = await h.command(f"drill rename {sid('drill-web')} new-name")
    assert response.status == 200 and response.body == ""
    # acked while SDRS is still answering the preflight read: nothing posted yet
    assert not h.state.calls_to("chat.postMessage")
    await until(lambda: h.state.calls_to("chat.postMessage"), within=20)  # then it arrives


async def test_foreign_user_click_changes_nothing(h: Harness) -> None:
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, BOB, ts)
    texts = await until(lambda: h.ephemerals(BOB))
    assert "Only the person who asked" in texts[0]
    await h.quiesce()
    assert h.sdrs_posts() == 0 and not h.updates(ts)
    op = h.deps.store.get_pending(op_id)
    assert op is not None and op.state is OpState.PENDING


async def test_expired_confirmation_is_refused_and_marked(h: Harness) -> None:
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    h.clock.t += timedelta(seconds=h.deps.settings.confirmation_ttl_seconds + 1)
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    texts = await until(lambda: h.ephemerals(ALICE))
    assert "expired" in texts[0]
    assert any("Expired" in u for u in await until(lambda: h.updates(ts)))
    await h.quiesce()
    assert h.sdrs_posts() == 0


async def test_expiry_sweep_marks_unclicked_confirmations(h: Harness) -> None:
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    assert await expire_sweep(h.deps) == []
    h.clock.t += timedelta(hours=1)
    assert await expire_sweep(h.deps) == [op_id]
    assert any("Expired" in u for u in await until(lambda: h.updates(ts)))


async def test_cancel_then_confirm_does_nothing(h: Harness) -> None:
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    await h.click(CANCEL_ACTION, op_id, ALICE, ts)
    assert any("Cancelled by <@U0ALICE001>" in u for u in await until(lambda: h.updates(ts)))
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    texts = await until(lambda: h.ephemerals(ALICE))
    assert "already cancelled" in texts[0]
    await h.quiesce()
    assert h.sdrs_posts() == 0


async def test_double_and_concurrent_clicks_make_exactly_one_sdrs_call(h: Harness) -> None:
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    await asyncio.gather(*(h.click(CONFIRM_ACTION, op_id, ALICE, ts) for _ in range(6)))
    await until(lambda: h.thread_replies(ts))
    await until(lambda: len(h.ephemerals(ALICE)) == 5)
    await h.quiesce()
    assert h.sdrs_posts() == 1
    # one submission reported (the job's own final report may follow: the emulated job is short)
    assert len([r for r in h.thread_replies(ts) if "Submitted to SDRS" in r]) == 1
    assert all("already confirmed" in t for t in h.ephemerals(ALICE))


async def test_slack_retry_of_the_same_command_posts_one_confirmation(h: Harness) -> None:
    await h.command(RESIZE, trigger="same-trigger")
    await h.confirmation()
    await h.command(RESIZE, trigger="same-trigger", headers={"x-slack-retry-num": "1"})
    await h.quiesce()
    assert len([c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]) == 1


async def test_sdrs_errors_are_shown_readably_in_the_thread(h: Harness) -> None:
    # A dedicated host id the bot cannot check (IAM does not let it read DeH): SDRS refuses it
    # (SDRS.1368) after Confirm.
    h.emulator.emulator.denials.deny(["deh:dedicatedHosts:get"])
    await h.command(
        f"resize {sid('pi-deh')} production=s6.xlarge.2 production-host={sid('deh-missing')}"
    )
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    reply = (await until(lambda: h.thread_replies(ts)))[0]
    assert "*SDRS.1368*" in reply and "Traceback" not in reply


async def test_rename_of_unknown_drill_is_refused_before_confirmation(h: Harness) -> None:
    await h.command(f"drill rename {sid('drill-missing')} new-name")
    responses = await until(h.responses)
    assert "SDRS.1902" in responses[0]["text"]
    assert "`/sdrs drill rename` alone opens a form" in responses[0]["text"]
    assert responses[0]["response_type"] == "ephemeral"
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage")


async def test_not_in_channel_tells_the_user_how_to_fix_it(h: Harness) -> None:
    h.state.not_in_channels.add("C0PRIVATE1")
    await h.command(RESIZE, channel="C0PRIVATE1")
    responses = await until(h.responses)
    assert "/invite @sdrs-bot" in responses[0]["text"]


async def test_two_person_rule(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    slack.state.usergroups["S0LEADS001"] = [CAROL]
    async with running(
        tmp_path,
        slack,
        emulator,
        world,
        approval_mode="two-person",
        approvers=frozenset({BOB}),
        approver_usergroups=frozenset({"S0LEADS001"}),
    ) as h:
        await h.command(RESIZE)
        op_id, ts = await h.confirmation()
        posted = json.dumps(h.state.calls_to("chat.postMessage")[0].args["blocks"])
        assert f"<@{BOB}> or <!subteam^S0LEADS001> (not the requester)" in posted  # mentioned
        await h.click(CONFIRM_ACTION, op_id, ALICE, ts)  # the requester
        assert "Two-person rule" in (await until(lambda: h.ephemerals(ALICE)))[0]
        await h.click(CONFIRM_ACTION, op_id, "U0NOBODY01", ts)
        assert "Only an approver" in (await until(lambda: h.ephemerals("U0NOBODY01")))[0]
        await h.quiesce()
        assert h.sdrs_posts() == 0
        await h.click(CANCEL_ACTION, op_id, "U0NOBODY01", ts)
        assert (
            "or an approver can cancel it"
            in (await until(lambda: h.ephemerals("U0NOBODY01")[1:]))[0]
        )
        await h.click(CONFIRM_ACTION, op_id, CAROL, ts)  # approver through a group
        await until(lambda: h.thread_replies(ts))
        assert h.sdrs_posts() == 1
        assert any("Confirmed by <@U0CAROL001>" in u for u in h.updates(ts))


async def test_two_person_an_approver_who_asks_is_not_listed_as_one_who_may_confirm(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(
        tmp_path,
        slack,
        emulator,
        world,
        approval_mode="two-person",
        approvers=frozenset({BOB, CAROL}),
    ) as h:
        await h.command(RESIZE, user=BOB)
        await h.confirmation()
        posted = json.dumps(h.state.calls_to("chat.postMessage")[0].args["blocks"])
        assert f"confirmable by <@{CAROL}> (not the requester)" in posted
        assert f"<@{BOB}> or" not in posted and f"or <@{BOB}>" not in posted


async def test_request_policy_denial(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(
        tmp_path, slack, emulator, world, policy_resize_channels=frozenset({"C0OTHER001"})
    ) as h:
        await h.command(RESIZE)
        responses = await until(h.responses)
        assert "cannot be requested in this channel" in responses[0]["text"]
        await h.quiesce()
        assert not h.state.calls_to("chat.postMessage")


async def test_http_mode_rejects_bad_signature_and_stale_timestamp(h: Harness) -> None:
    server = TestServer(build_web_app(h.app, signing_secret=SIGNING_SECRET))
    await server.start_server()
    try:
        url = str(server.make_url("/slack/events"))
        body = (
            "command=%2Fsdrs&text=help&user_id=U0ALICE001&channel_id=C0DROPS001&team_id=T0TEAM0001"
        )
        ctype = {"content-type": "application/x-www-form-urlencoded"}
        async with httpx.AsyncClient() as http:
            good = await http.post(
                url, content=body, headers={**ctype, **slack_signed_headers(body)}
            )
            assert good.status_code == 200 and good.json()["response_type"] == "ephemeral"
            forged = slack_signed_headers(body)
            forged["x-slack-signature"] = "v0=" + "0" * 64
            assert (
                await http.post(url, content=body, headers={**ctype, **forged})
            ).status_code == 401
            stale = slack_signed_headers(body, timestamp=int(datetime.now(UTC).timestamp()) - 600)
            assert (
                await http.post(url, content=body, headers={**ctype, **stale})
            ).status_code == 401
            health = await http.get(str(server.make_url("/healthz")))
            assert health.json() == {"ok": True}
    finally:
        await server.close()


async def test_socket_mode_delivers_commands_and_clicks(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """Socket Mode end to end: apps.connections.open on the stand-in, a WebSocket, envelopes
    acked by the app, and the same flow as over HTTP."""
    async with running(
        tmp_path, slack, emulator, world, slack_app_token=SecretStr(slack.state.app_token)
    ) as h:
        assert transport(h.deps.settings) == "socket"
        handler = socket_mode_handler(h.app, h.deps.settings)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await until(lambda: slack.server.connections)
            command = dict(
                parse_qsl(
                    slash_command_body(
                        RESIZE,
                        user=ALICE,
                        channel=CHANNEL,
                        trigger="sock-1",
                        response_url=f"{slack.url}/response/sock-1",
                    )
                )
            )
            ack = await asyncio.to_thread(slack.deliver, "slash_commands", command)
            assert ack == {} or ack.get("text") is None  # empty ack: the confirmation follows
            op_id, ts = await h.confirmation()
            form = action_body(
                action_id=CONFIRM_ACTION,
                op_id=op_id,
                user=ALICE,
                channel=CHANNEL,
                message_ts=ts,
                response_url=f"{slack.url}/response/act",
            )
            click = json.loads(unquote(form.removeprefix("payload=")))
            await asyncio.to_thread(slack.deliver, "interactive", click)
            replies = await until(lambda: h.thread_replies(ts))
            assert "Submitted to SDRS, job" in replies[0]
            assert h.sdrs_posts() == 1
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]


def test_transport_choice_and_serve_problems() -> None:
    from bot.config.diagnostics import problems as serve_problems
    from bot.config.settings import load_settings

    bare = load_settings(_env_file=None)
    assert transport(bare) == "http"
    problems = serve_problems(bare)
    assert any("SLACK_BOT_TOKEN" in p for p in problems)
    assert any("SLACK_APP_TOKEN" in p and "SLACK_SIGNING_SECRET" in p for p in problems)
    assert any("HUAWEICLOUD_SDK_AK" in p for p in problems)


async def test_serve_runs_http_mode_until_cancelled(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread
) -> None:
    from bot.serve import GC_THRESHOLDS, STORE_THREADS, serve

    async def started() -> tuple[asyncio.Task[None], int]:
        """serve() on a free port; another one if something else took it before serve bound
        it (free_port cannot hold it: another test run on the machine took one once)."""
        for _ in range(5):
            port = free_port()
            settings = sandbox_settings(
                emulator.url,
                slack_bot_token=SecretStr(BOT_TOKEN),
                slack_signing_secret=SecretStr(SIGNING_SECRET),
                slack_api_url=slack.api_url,
                database_url=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
                http_host="127.0.0.1",
                http_port=port,
            )
            task = asyncio.create_task(serve(settings))
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                for _ in range(200):
                    if task.done():
                        break
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            return task, port
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.02)
            error = task.exception() if task.done() else None
            if not (isinstance(error, OSError) and error.errno == errno.EADDRINUSE):
                break
        return task, port

    before = gc.get_threshold()
    task, port = await started()
    assert gc.get_threshold() == GC_THRESHOLDS  # while serving (bot.serve)
    body = slash_command_body(
        RESIZE,
        user=ALICE,
        channel=CHANNEL,
        trigger="serve-1",
        response_url=f"{slack.url}/response/serve-1",
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            headers = {
                "content-type": "application/x-www-form-urlencoded",
                **slack_signed_headers(body),
            }
            response = await http.post("/slack/events", content=body, headers=headers)
            assert response.status_code == 200
        await until(
            lambda: [c for c in slack.state.calls_to("chat.postMessage") if c.args.get("blocks")]
        )
        store_threads = {t.name for t in threading.enumerate() if t.name.startswith("store_")}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (tmp_path / "serve.sqlite3").exists()
    assert gc.get_threshold() == before  # given back when serve returns
    # the store calls ran on the serving process's few threads (bot.serve.STORE_THREADS)
    assert 1 <= len(store_threads) <= STORE_THREADS


# ---- tracking: the job's end reported in the thread --------------------------------------------


async def _confirmed_resize(h: Harness, text: str = RESIZE) -> tuple[str, str]:
    await h.command(text)
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    return op_id, ts


async def test_success_is_reported_once_in_the_thread_with_the_new_flavors(h: Harness) -> None:
    _, ts = await _confirmed_resize(h)
    replies = await until(lambda: len(h.thread_replies(ts)) >= 2 and h.thread_replies(ts))
    assert "Submitted to SDRS, job" in replies[0]
    final = replies[1]
    assert "SUCCESS" in final and "<@U0ALICE001>" in final
    assert "SUCCESS: resize of `erp-db`" in final
    assert "production site `s6.large.2` → `s6.xlarge.2`" in final
    assert "DR site `s6.large.2` → `s6.xlarge.2`" in final
    assert ", resize, " in final and "resizeProtectedInstanceNew" not in final  # a person's word
    await until(lambda: any("SUCCESS" in u and "job `" in u for u in h.updates(ts)))
    await h.quiesce()
    assert len(h.thread_replies(ts)) == 2  # exactly one final report
    job_id = final.split("job `")[1].split("`")[0]
    tracked = h.deps.store.get_tracked(job_id)
    assert tracked is not None and tracked.state == "finished" and tracked.last_status == "SUCCESS"


async def test_failure_is_reported_with_reason_and_broadcast(h: Harness) -> None:
    from bot.sandbox.world import JobPlan

    h.world.plan_next_job(JobPlan(fail=("SDRS.1399", "ECS resize of the DR server failed")))
    _, ts = await _confirmed_resize(h)
    await until(lambda: len(h.thread_replies(ts)) >= 2)
    final = h.thread_replies(ts)[1]
    assert "FAIL" in final and "*SDRS.1399*" in final and "DR server failed" in final
    assert "sub-job" in final
    post = [c for c in h.state.calls_to("chat.postMessage") if c.args.get("text") == final][0]
    assert post.args.get("reply_broadcast") is True


async def test_stuck_job_gets_one_still_running_report(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    from bot.sandbox.world import JobPlan

    world.plan_next_job(JobPlan(hang=True))
    async with running(tmp_path, slack, emulator, world, job_timeout_seconds=0.5) as h:
        _, ts = await _confirmed_resize(h)
        await until(lambda: len(h.thread_replies(ts)) >= 1)
        h.clock.t += timedelta(seconds=1)  # the tracker's clock passes the timeout
        await until(lambda: len(h.thread_replies(ts)) >= 2)
        stuck = h.thread_replies(ts)[1]
        assert "is still RUNNING after" in stuck or "is still INIT after" in stuck
        assert "keep watching" in h.thread_replies(ts)[1]
        await h.quiesce()
        assert len(h.thread_replies(ts)) == 2


async def test_status_and_jobs_commands(h: Harness) -> None:
    from bot.sandbox.world import JobPlan

    h.world.plan_next_job(JobPlan(hang=True))
    _, ts = await _confirmed_resize(h)
    submitted = (await until(lambda: h.thread_replies(ts)))[0]
    job_id = submitted.split("`")[1]
    await until(lambda: (j := h.deps.store.get_tracked(job_id)) and j.last_status == "RUNNING")
    await h.command(f"status {job_id}")
    await h.command("jobs")
    await h.command("status 0123456789abcdef")
    texts = [r["text"] for r in await until(lambda: len(h.responses()) >= 3 and h.responses())]
    status = next(t for t in texts if f"job `{job_id}`" in t and "Jobs being" not in t)
    # the instance by name and the change itself (old -> new flavor per site)
    change = "`erp-db` (production site `s6.large.2` → `s6.xlarge.2`, DR site `s6.large.2` → "
    assert change in status and "*RUNNING (watching)*" in status
    assert f"asked by <@{ALICE}>" in status
    assert any(t.startswith("Jobs being tracked here:") and job_id in t for t in texts)
    assert any("I am not tracking a job `0123456789abcdef`" in t for t in texts)


async def test_interrupted_executions_are_reported_not_repeated(h: Harness) -> None:
    """A replica died after the confirmation but before recording the outcome: a resize is
    reported as 'outcome unknown' (never re-sent); a rename is simply sent again."""

    await h.command(RESIZE)
    resize_op, resize_ts = await h.confirmation()
    await h.command(f"drill rename {sid('drill-web')} after-restart")
    rename_op, rename_ts = await h.confirmation(1)
    for op_id in (resize_op, rename_op):  # confirmed by a replica that then died
        await until(lambda op_id=op_id: (op := h.deps.store.get_pending(op_id)) and op.message_ts)
        assert h.deps.store.decide(
            op_id, OpState.CONFIRMED, ALICE, h.clock(), owner="dead", exec_lease=5
        ).won
    assert await recover_interrupted(h.deps) == 0  # its lease still holds
    h.clock.t += timedelta(seconds=6)
    assert await recover_interrupted(h.deps) == 2
    assert (
        "cannot tell whether SDRS received it"
        in (await until(lambda: h.thread_replies(resize_ts)))[0]
    )
    assert "after-restart" in (await until(lambda: h.thread_replies(rename_ts)))[0]
    assert h.sdrs_posts() == 0 and h.world.drills[sid("drill-web")].name == "after-restart"
    assert await recover_interrupted(h.deps) == 0  # done once


async def test_click_adopts_the_message_ts_when_it_was_not_saved(h: Harness) -> None:
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    with h.deps.store.engine.begin() as conn:  # as if the process died before saving the ts
        from sqlalchemy import update

        from bot.store.schema import pending_operations

        conn.execute(update(pending_operations).values(message_ts=None))
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    assert "Submitted to SDRS" in (await until(lambda: h.thread_replies(ts)))[0]


@pytest.mark.slow
async def test_reports_arrive_once_through_slack_faults_within_the_pace(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    """While reports are being delivered, the Slack stand-in answers a share of posts with
    429 + Retry-After, with 503, or with a 503 after the post took effect. Every report still
    arrives exactly once, and no channel gets two messages closer together than the pace."""
    from tests.support.seed import add_bulk_instances

    pace = 0.2
    ids = add_bulk_instances(world, 12)
    async with running(tmp_path, slack, emulator, world) as h:
        h.sender.pace = pace
        confirmations = []
        for i, pi in enumerate(ids):  # confirmations are posted without faults
            channel = f"C0FAULT{i % 3:03d}"
            await h.command(f"resize {pi} s6.xlarge.2", channel=channel)
            op_id, ts = await h.confirmation(i)
            confirmations.append((channel, op_id, ts))
        posts_before = len(slack.state.posted_at)

        async def weather() -> None:  # the faults change while the reports go out
            for kind in ("lost", "ratelimited", "server_error") * 10:
                slack.state.faults["chat.postMessage"] = (0.3, kind)
                await asyncio.sleep(0.3)
            slack.state.faults.clear()

        # each kind at least once, whatever the timing of a busy machine; then at random
        slack.state.fail_next["chat.postMessage"] = ["ratelimited", "lost", "server_error"]
        faults = asyncio.create_task(weather())
        for channel, op_id, ts in confirmations:
            await h.click(CONFIRM_ACTION, op_id, ALICE, ts, channel=channel)

        def done() -> bool:
            return all(
                sum("SUCCESS:" in m["text"] for m in slack.state.thread(ch, ts)) == 1
                for ch, _, ts in confirmations
            )

        await until(done, within=60)
        await faults
        await h.quiesce()
        for ch, _, ts in confirmations:
            texts = [m["text"] for m in slack.state.thread(ch, ts)]
            assert len(texts) == len(set(texts)) == 2, texts  # submitted + final, once each
        reports = slack.state.posted_at[posts_before:]
        for channel in {ch for ch, _, _ in confirmations}:
            times = [t for c, t in reports if c == channel]
            gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
            assert len(times) == 8 and min(gaps) >= pace * 0.8, gaps
        assert h.sender.rate_limited > 0


async def test_interrupted_resize_that_reached_sdrs_is_followed_through_the_instance(
    h: Harness,
) -> None:
    """The replica died right after SDRS accepted the resize: the job id is lost, but the
    instance is resizing, so the bot follows the instance and reports its end once."""
    from bot.sandbox.world import JobPlan

    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    await until(lambda: (op := h.deps.store.get_pending(op_id)) and op.message_ts)
    assert h.deps.store.decide(
        op_id, OpState.CONFIRMED, ALICE, h.clock(), owner="dead", exec_lease=1
    ).won
    h.world.plan_next_job(JobPlan(seconds=1.5))
    h.world.resize(sid("pi-erp-db"), {"resize": {"flavorRef": "s6.xlarge.2"}})  # SDRS got it
    h.clock.t += timedelta(seconds=2)
    assert await recover_interrupted(h.deps) == 1
    replies = await until(lambda: len(h.thread_replies(ts)) >= 2 and h.thread_replies(ts))
    assert "SDRS did receive it" in replies[0]
    assert "SUCCESS:" in replies[1] and "job id unknown" in replies[1]
    assert "production site `s6.large.2` → `s6.xlarge.2`" in replies[1]
    await h.quiesce()
    assert len(h.thread_replies(ts)) == 2 and h.sdrs_posts() == 0  # the bot never re-sent it


async def test_a_confirmation_slack_posted_but_answered_503_is_found_and_works(
    h: Harness,
) -> None:
    """Slack posted the confirmation and then answered 503: the bot finds it in the channel
    (by its metadata) and records it - the buttons work, nobody is told it failed, and the
    audit trail has no cancellation."""
    h.state.fail_next["chat.postMessage"] = ["lost"]  # posted, but answered 503
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()  # recorded: the operation knows its message
    pending = h.deps.store.get_pending(op_id)
    assert pending is not None and pending.state is OpState.PENDING and pending.message_ts == ts
    assert h.state.calls_to("conversations.history")
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    assert "Submitted to SDRS" in (await until(lambda: h.thread_replies(ts)))[0]
    await h.quiesce()
    assert not h.responses() and not h.ephemerals(ALICE)
    assert h.sdrs_posts() == 1
    events = [e.action for e in h.deps.store.audit_events() if e.op_id == op_id]
    assert "cancelled" not in events and "withdrawn" not in events


async def test_a_confirmation_that_cannot_be_found_after_a_503_is_withdrawn_not_cancelled(
    h: Harness,
) -> None:
    """Slack posted it and answered 503, and the channel cannot be read to find it: the bot
    withdraws the operation (audited as withdrawn, by nobody - never "cancelled" by the
    requester), says so privately, and a click on the message gets the truth and removes
    its buttons. Nothing is sent to SDRS."""
    h.state.fail_next["chat.postMessage"] = ["lost"]
    h.state.fail_next["conversations.history"] = ["server_error"]
    await h.command(RESIZE)
    responses = await until(h.responses)
    assert "could not post the confirmation" in responses[0]["text"]
    assert "HTTP 503" in responses[0]["text"] and "Nothing was sent to SDRS" in responses[0]["text"]
    op_id, ts = await h.confirmation(recorded=False)  # it did arrive
    op = h.deps.store.get_pending(op_id)
    assert op is not None and op.state is OpState.WITHDRAWN and op.decided_by is None
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    told = (await until(lambda: h.ephemerals(ALICE)))[0]
    assert "Withdrawn by the bot" in told and "cancelled" not in told
    edits = await until(lambda: h.updates(ts))
    assert "Withdrawn by the bot" in edits[-1]
    await h.quiesce()
    assert h.sdrs_posts() == 0
    trail = [(e.action, e.actor) for e in h.deps.store.audit_events() if e.op_id == op_id]
    assert ("withdrawn", None) in trail
    assert not [a for a, _ in trail if a == "cancelled"], trail
    history = await h.command("history")
    assert history.status == 200
    shown = await until(lambda: [r["text"] for r in h.responses() if "withdrawn" in r["text"]])
    assert "cancelled by" not in shown[0]


async def test_a_rename_whose_drill_was_renamed_meanwhile_is_closed_not_sent(h: Harness) -> None:
    """Two renames of one drill asked for at once: the first confirmed renames it; the second
    would rename "from" a name the drill no longer has - closed as out of date at Confirm."""
    drill = sid("drill-web")
    await h.command(f"drill rename {drill} first-name")
    await h.command(f"drill rename {drill} second-name")
    confirmations = [await h.confirmation(0), await h.confirmation(1)]
    named = {}
    for op_id, ts in confirmations:  # handled concurrently: either may be posted first
        pending = h.deps.store.get_pending(op_id)
        assert pending is not None and isinstance(pending.facts, RenameFacts)
        named[pending.facts.new_name] = (op_id, ts)
    (first_op, first_ts), (second_op, second_ts) = named["first-name"], named["second-name"]
    await h.click(CONFIRM_ACTION, first_op, ALICE, first_ts)
    await until(lambda: h.thread_replies(first_ts))
    await h.click(CONFIRM_ACTION, second_op, ALICE, second_ts)
    updates = await until(lambda: [u for u in h.updates(second_ts) if "renamed to" in u])
    assert "`first-name`" in updates[0] and "Nothing was sent to SDRS" in updates[0]
    await h.quiesce()
    assert h.sdrs_puts() == 1 and h.world.drills[drill].name == "first-name"
    op = h.deps.store.get_pending(second_op)
    assert op is not None and op.state is OpState.STALE


@pytest.mark.parametrize(
    ("fault", "shown"),
    [
        (Fault("status", method="POST", status=400), "not done: APIGW.400"),
        (Fault("drop", method="POST"), "outcome unknown: check before asking again"),
    ],
)
async def test_the_confirmation_shows_how_it_ended_when_sdrs_refused_or_did_not_answer(
    h: Harness, fault: Fault, shown: str
) -> None:
    """Not "Confirmed" forever: the message names the requester and the confirmer and ends with
    the end state (refused with its code, or an unknown outcome)."""
    h.emulator.emulator.faults.add(fault)
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    last = await until(lambda: [u for u in h.updates(ts) if shown in u])
    assert f"Requested by <@{ALICE}>" in last[0] and f"Confirmed by <@{ALICE}>" in last[0]
    await h.quiesce()
    assert [u for u in h.updates(ts) if shown in u] == [h.updates(ts)[-1]]  # the last word


async def test_sdrs_unavailable_at_a_request_says_so_with_the_command_and_when_to_retry(
    h: Harness,
) -> None:
    """A 503 from the gateway while the preflight reads: not "SDRS refused", but that the
    cloud is unavailable, that nothing was changed or posted, which command, and when."""
    h.emulator.emulator.faults.add(Fault("status", status=503, times=None, path_any=("/v1/",)))
    await h.command(RESIZE)
    text = (await until(h.responses))[0]["text"]
    assert "Huawei Cloud is unavailable right now: it answered HTTP 503 `APIGW.503`" in text
    assert "Nothing was changed." in text and "SDRS refused" not in text
    again = f"Nothing was posted: run `/sdrs {RESIZE} account=default` again in a few minutes."
    assert again in text  # the account it acted on is named: the command runs the same again
    assert not [c for c in h.state.calls_to("chat.postMessage") if c.args.get("blocks")]


async def test_sdrs_rate_limiting_the_resize_says_when_to_ask_again(h: Harness) -> None:
    """A 429 with Retry-After on the resize itself: the thread says the cloud is unavailable,
    that nothing was changed (SDRS answered; it did not take it), the command to ask again and
    the wait the cloud asked for."""
    await h.command(RESIZE)
    op_id, ts = await h.confirmation()
    h.emulator.emulator.faults.add(
        Fault("status", method="POST", status=429, retry_after=7, path_contains="/resize")
    )
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    reply = (await until(lambda: h.thread_replies(ts)))[0]
    assert "Huawei Cloud is unavailable right now: it is limiting how often it is called " in (
        reply
    )
    assert "(HTTP 429 `APIGW.0308`" in reply and "Nothing was changed." in reply
    assert f"To try again in 7 s, ask again: `/sdrs {RESIZE} account=default`." in reply
    assert "SDRS refused" not in reply
    end = await until(lambda: [u for u in h.updates(ts) if "not done" in u])
    assert "not done: APIGW.0308 (Huawei Cloud unavailable; nothing was changed)" in end[-1]
    assert h.sdrs_posts() == 1


async def test_commands_take_names_and_flavors_in_any_case(h: Harness) -> None:
    """`resize erp-db S6.XLARGE.2`: the instance is found by its name, the flavor spelled as ECS
    lists it; the stored intent carries the id, and SDRS gets the canonical flavor."""
    await h.command("resize erp-db S6.XLARGE.2")
    op_id, ts = await h.confirmation()
    op = h.deps.store.get_pending(op_id)
    assert op is not None and isinstance(op.intent, ResizeIntent)
    assert op.intent.instance_id == sid("pi-erp-db") and op.intent.flavor == "s6.xlarge.2"
    await h.command("drill rename web_drill-2026.q1 web-renamed")
    rename_op, rename_ts = await h.confirmation(1)
    await h.click(CONFIRM_ACTION, rename_op, ALICE, rename_ts)
    await until(lambda: h.thread_replies(rename_ts))
    assert h.world.drills[sid("drill-web")].name == "web-renamed"


async def test_a_name_that_matches_no_one_lists_the_close_ones_with_ids(h: Harness) -> None:
    await h.command("resize erp s6.large.2")
    answer = (await until(h.responses))[0]["text"]
    assert "No protected instance is named `erp`" in answer
    assert f"`erp-db` (`{sid('pi-erp-db')}`)" in answer and "Nothing was posted" in answer
    await h.command("drill rename no-such-drill new-name")
    assert (
        "No drill is named `no-such-drill`" in (await until(lambda: h.responses()[1:]))[0]["text"]
    )
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage")


async def test_jobs_lists_the_ones_that_ended_recently(h: Harness) -> None:
    _, ts = await _confirmed_resize(h)
    job_id = (await until(lambda: h.thread_replies(ts)))[0].split("`")[1]
    await until(lambda: (j := h.deps.store.get_tracked(job_id)) and j.finished_at)
    await h.command("jobs")
    text = (await until(h.responses))[0]["text"]
    assert "Ended in the last day:" in text and f"job `{job_id}`: *SUCCESS*" in text
    assert (
        "Resize protected instance `erp-db` (production site `s6.large.2` → `s6.xlarge.2`" in text
    )
    assert "Jobs being tracked here" not in text


async def test_a_database_that_cannot_be_written_is_said_in_the_ack_and_then_recovers(
    h: Harness, tmp_path: Path
) -> None:
    """The database file goes away (a volume lost, a restore in progress): the command is
    answered at once - temporarily unable, nothing done - instead of acked and dropped; when
    the file is back, the next command works without a restart."""
    db = tmp_path / "bot.sqlite3"
    aside = tmp_path / "aside.sqlite3"
    db.rename(aside)
    try:
        response = await h.command(RESIZE)
        assert response.status == 200
        assert "temporarily unable" in response.body and "nothing was done" in response.body
    finally:
        aside.rename(db)
    await h.quiesce()
    assert not h.state.calls_to("chat.postMessage") and h.sdrs_posts() == 0
    await h.command(RESIZE)
    await h.confirmation()


async def test_building_the_app_logs_no_client_and_token_warning(
    h: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With SLACK_BOT_TOKEN set (as in every deployment) Bolt would warn "As you gave
    `client` as well, `token` will be unused." - our client holds that token, so it is not said."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    caplog.set_level(logging.DEBUG)
    build_app(h.deps, slack_client(h.deps.settings))
    assert "will be unused" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
