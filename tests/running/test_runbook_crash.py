"""SIGKILL during each step of a stop-resize-start: the real ``sdrs-bot serve`` is
killed while the step's changing call is out - the emulator has carried it out and holds its
answer back (its ``late`` fault), so the bot's database says only that it was about to send
it - and started again on the same database. Each call reaches ECS/SDRS exactly once (the
restarted bot decides from what the cloud shows, never by sending again), the servers it
stopped run again, and the thread tells each step once and truthfully."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_PROJECT_ID, seeded_world, sid
from bot.sandbox.server import CapturedRequest, Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread
from bot.store import Store
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.local_env import serve_env
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    action_body,
    slack_signed_headers,
    slash_command_body,
)

pytestmark = pytest.mark.process

APP = sid("pi-erp-app")  # production server ACTIVE, DR server SHUTOFF
PROD = sid("pi-erp-app-src")
CHANNEL, USER = "C0RUNBOOK1", "U0RUNBOOK1"


@pytest.fixture
def stands() -> Iterator[tuple[EmulatorThread, SlackApiThread]]:
    # jobs outlast a restart: the restarted bot finds each call's work still under way
    world = seeded_world(job_init_seconds=0.2, job_seconds=5.0)
    emulator = EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID))
    emulator.start()
    slack = SlackApiThread(SlackApiState(token=BOT_TOKEN))
    slack.start()
    yield emulator, slack
    slack.stop()
    emulator.stop()


def _kind(r: CapturedRequest) -> str | None:
    if r.method != "POST":
        return None
    if r.path.endswith("/cloudservers/action"):
        return "stop" if "os-stop" in (r.json() or {}) else "start"
    return "resize" if r.path.endswith("/resize") else None


def _post(url: str, body: str) -> None:
    request = Request(
        url,
        data=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded", **slack_signed_headers(body)},
    )
    with urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize("kill_at", ["stop", "resize", "start"])
def test_sigkill_at_each_step_sends_each_call_once_and_tells_the_truth(
    tmp_path: Path,
    stands: tuple[EmulatorThread, SlackApiThread],
    serve: ServeFactory,
    kill_at: str,
) -> None:
    emulator, slack = stands
    world = emulator.emulator.world
    db = f"sqlite:///{tmp_path / 'runbook.sqlite3'}"
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        outbox_pace_seconds="0",
        outbox_tick_seconds="0.1",
        tracker_tick_seconds="0.2",
        job_poll_first_seconds="0.2",
        job_poll_max_seconds="0.5",
        lease_seconds="2",
        execution_lease_seconds="3",
        recovery_tick_seconds="0.5",
    )
    path = "/resize" if kill_at == "resize" else "/cloudservers/action"
    late = Fault("late", method="POST", path_contains=path, seconds=4, times=1)
    if kill_at != "start":
        emulator.emulator.faults.add(late)
    bot = serve(env).wait_ready()
    url = bot.url
    try:
        body = slash_command_body(
            f"resize {APP} s6.xlarge.2 power=stop-start",
            user=USER,
            channel=CHANNEL,
            trigger="rb-1",
            response_url=f"{slack.url}/response/rb-1",
        )
        _post(url, body)
        posted = wait_for(
            lambda: [
                (ts, m)
                for (ch, ts), m in slack.state.message_items()
                if ch == CHANNEL and m.get("blocks")
            ],
            30,
            "the confirmation",
        )
        ts, message = posted[0]
        actions = next(b for b in message["blocks"] if b["type"] == "actions")
        click = action_body(
            action_id=CONFIRM_ACTION,
            op_id=actions["elements"][0]["value"],
            user=USER,
            channel=CHANNEL,
            message_ts=ts,
            response_url=f"{slack.url}/response/rb-a",
        )
        _post(url, click)
        if kill_at == "start":  # the stop shares its path: hold back the start's answer only
            wait_for(
                lambda: any(_kind(r) == "resize" for r in list(emulator.emulator.requests)),
                60,
                "the resize call",
            )
            emulator.emulator.faults.add(late)
        wait_for(
            lambda: any(_kind(r) == kill_at for r in list(emulator.emulator.requests)),
            60,
            f"the {kill_at} call",
        )
        # carried out; its answer is held back 4 s: the kill falls while it is awaited
        wait_for(lambda: _sending(db), 2, "the stored state to say the call is being sent")
        bot.kill()
        bot.start()
        store = Store.from_url(db)
        try:

            def ended() -> bool:
                told = any(
                    "Stop-resize-start done" in m["text"] or "Stop-resize-start ended" in m["text"]
                    for m in slack.state.thread(CHANNEL, ts)
                )
                return told and not any(store.pending_work().values())

            wait_for(ended, 120, "the runbook's end")
        finally:
            store.close()
    finally:
        bot.stop()
    sent = [(k, r.at) for r in list(emulator.emulator.requests) if (k := _kind(r))]
    assert [k for k, _ in sent] == ["stop", "resize", "start"], sent  # each once, in order
    (resize_job,) = world.jobs.values()
    assert resize_job.ended is not None and resize_job.status == "SUCCESS"
    assert sent[2][1] > resize_job.ended.timestamp()  # started again only after the resize
    assert world.servers[PROD].status == "ACTIVE" and world.servers[PROD].flavor == "s6.xlarge.2"
    texts = [m["text"] for m in slack.state.thread(CHANNEL, ts)]
    assert len(texts) == len(set(texts)), texts  # no step told twice
    assert any("The server it stopped runs again" in t for t in texts), texts


def _sending(db: str) -> bool:
    """The runbook's stored state says a call was about to be sent (answer not recorded)."""
    store = Store.from_url(db)
    try:
        rows = store.list_runbooks(CHANNEL)
    finally:
        store.close()
    return bool(rows) and json.loads(rows[0].state_json)["sending"] is True
