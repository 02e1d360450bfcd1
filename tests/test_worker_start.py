"""Worker processes that cannot start, and what they import: `sdrs-bot serve` with
WORKER_PROCESSES=1 as a real process tree, over HTTP.

- A worker that dies at import (its installation broken under a running serve): said once in
  the log with its error, /readyz 503 while no worker runs, and the serving process answers the
  acked commands itself; no traceback per restart; back to the worker once it can run again.
- A stray ``secrets.py`` in serve's working directory does not shadow the standard library in
  the worker: workers start isolated from the working directory."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from tests.slack_harness import ALICE, CHANNEL
from tests.slack_helpers import BOT_TOKEN, SIGNING_SECRET, command_body, signed_headers
from tests.support.local_env import ROOT, free_port, serve_env

pytestmark = pytest.mark.process

RESIZE = f"resize {sid('pi-erp-db')} s6.xlarge.2"


def wait_for(condition: Callable[[], Any], log: Path, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while not (value := condition()):
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return value


def ready(port: int) -> int:
    try:
        with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return int(answer.status)
    except HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def command(port: int, slack: SlackApiThread, trigger: str) -> int:
    body = command_body(
        RESIZE,
        user=ALICE,
        channel=CHANNEL,
        trigger=trigger,
        response_url=f"{slack.url}/response/{trigger}",
    )
    request = Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded", **signed_headers(body)},
    )
    with urlopen(request, timeout=5) as answer:
        return int(answer.status)


def confirmations(slack: SlackApiThread) -> int:
    return len([c for c in slack.state.calls_to("chat.postMessage") if c.args.get("blocks")])


def children(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return found.stdout.split()


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, log.read_text()


def test_a_worker_that_dies_at_import_is_said_once_and_serve_answers_itself(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread
) -> None:
    install = tmp_path / "install"  # the bot as installed, broken under the running serve
    for package in ("bot", "handlers"):
        shutil.copytree(
            ROOT / package, install / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    health, http = free_port(), free_port()
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        http_port=str(http),
        health_port=str(health),
        worker_processes="1",
        inbox_tick_seconds="0.05",
        shutdown_seconds="5",
        pythonpath=str(install),
    )
    main = "import sys; sys.path.insert(0, sys.argv[1]); from bot.cli import main; main(['serve'])"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", main, str(install)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: ready(health) == 200, log_path)  # its worker runs
        module = install / "bot" / "cli.py"
        good = module.read_text()
        module.write_text(good + 'raise ImportError("a broken installation")\n')
        (worker,) = children(proc.pid)
        subprocess.run(["kill", "-KILL", worker], check=True)
        # it cannot start again: this process does the work, and says it is not ready
        assert command(http, slack, "d-1") == 200
        wait_for(lambda: confirmations(slack) == 1, log_path)
        assert ready(health) == 503
        seen: set[str] = {worker}
        wait_for(lambda: len(seen.update(children(proc.pid)) or seen) >= 4, log_path, 90)
        text = log_path.read_text()
        assert text.count("could not start") == 1, text
        assert "ImportError: a broken installation" in text
        assert text.count("Traceback") == 1, text  # once, not one per failed start
        assert ready(health) == 503
        # repaired: a worker runs again, and the work is its again
        module.write_text(good)
        wait_for(lambda: ready(health) == 200, log_path, 90)  # at its next try (pauses grow)
        assert "runs again" in log_path.read_text()
        assert command(http, slack, "d-2") == 200
        wait_for(lambda: confirmations(slack) == 2, log_path)
    finally:
        stop(proc, log_path)


def test_workers_do_not_import_from_the_working_directory(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread
) -> None:
    here = tmp_path / "serving"  # where serve runs, with a stray module in it
    here.mkdir()
    marker = tmp_path / "shadowed"
    (here / "secrets.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise ImportError('a stray secrets.py')\n"
    )
    health, http = free_port(), free_port()
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 's.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        http_port=str(http),
        health_port=str(health),
        worker_processes="1",
        inbox_tick_seconds="0.05",
        shutdown_seconds="5",
    )
    env.pop("PYTHONPATH")  # as installed: the console script, nothing else on the path
    script = Path(sys.executable).parent / "sdrs-bot"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(script), "serve"], env=env, cwd=here, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: ready(health) == 200, log_path)  # its worker runs
        assert command(http, slack, "s-1") == 200
        wait_for(lambda: confirmations(slack) == 1, log_path)
        assert not marker.exists(), log_path.read_text()
        assert "could not start" not in log_path.read_text()
    finally:
        stop(proc, log_path)
