"""SIGKILL during each step of a stop-resize-start: the real ``sdrs-bot serve`` is
killed while the step's changing call is out - the emulator has carried it out and holds its
answer back (its ``late`` fault), so the bot's database says only that it was about to send
it - and started again on the same database. Each call reaches ECS/SDRS exactly once (the
restarted bot decides from what the cloud shows, never by sending again), the servers it
stopped run again, and the thread tells each step once and truthfully."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
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
from tests.slack_helpers import BOT_TOKEN, SIGNING_SECRET, action_body, command_body, signed_headers
from tests.support.local_env import ROOT, free_port, serve_env

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
        headers={"content-type": "application/x-www-form-urlencoded", **signed_headers(body)},
    )
    with urlopen(request, timeout=10) as response:
        assert response.status == 200


def _until(condition: object, within: float, what: str) -> object:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = condition() if callable(condition) else condition
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("kill_at", ["stop", "resize", "start"])
def test_sigkill_at_each_step_sends_each_call_once_and_tells_the_truth(
    tmp_path: Path, stands: tuple[EmulatorThread, SlackApiThread], kill_at: str
) -> None:
    emulator, slack = stands
    world = emulator.emulator.world
    port = free_port()
    db = f"sqlite:///{tmp_path / 'runbook.sqlite3'}"
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=db,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        http_port=str(port),
        outbox_pace_seconds="0",
        outbox_tick_seconds="0.1",
        tracker_tick_seconds="0.2",
        job_poll_first_seconds="0.2",
        job_poll_max_seconds="0.5",
        lease_seconds="2",
        execution_lease_seconds="3",
        recovery_tick_seconds="0.5",
    )
    log = (tmp_path / "serve.log").open("ab")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    url = f"http://127.0.0.1:{port}/slack/events"
    path = "/resize" if kill_at == "resize" else "/cloudservers/action"
    late = Fault("late", method="POST", path_contains=path, seconds=4, times=1)
    if kill_at != "start":
        emulator.emulator.faults.add(late)
    proc = start()
    try:
        body = command_body(
            f"resize {APP} s6.xlarge.2 power=stop-start",
            user=USER,
            channel=CHANNEL,
            trigger="rb-1",
            response_url=f"{slack.url}/response/rb-1",
        )
        _until(lambda: _try(url, body), 30, "the bot to answer")
        posted = _until(
            lambda: [
                (ts, m)
                for (ch, ts), m in slack.state.message_items()
                if ch == CHANNEL and m.get("blocks")
            ],
            30,
            "the confirmation",
        )
        ts, message = posted[0]  # type: ignore[index]
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
            _until(
                lambda: any(_kind(r) == "resize" for r in list(emulator.emulator.requests)),
                60,
                "the resize call",
            )
            emulator.emulator.faults.add(late)
        _until(
            lambda: any(_kind(r) == kill_at for r in list(emulator.emulator.requests)),
            60,
            f"the {kill_at} call",
        )
        time.sleep(0.3)  # carried out; its answer is held back 4 s
        assert _sending(db), "the kill must fall while the call's answer is awaited"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = start()
        store = Store.from_url(db)
        try:

            def ended() -> bool:
                told = any(
                    "Stop-resize-start done" in m["text"] or "Stop-resize-start ended" in m["text"]
                    for m in slack.state.thread(CHANNEL, ts)
                )
                return told and not any(store.pending_work().values())

            _until(ended, 120, "the runbook's end")
        finally:
            store.close()
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
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


def _try(url: str, body: str) -> bool:
    try:
        _post(url, body)
    except OSError:
        return False
    return True
