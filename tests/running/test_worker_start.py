"""Worker processes that cannot start, and what they import: `sdrs-bot serve` with
WORKER_PROCESSES=1 as a real process tree, over HTTP.

- A worker that dies at import (its installation broken under a running serve): said once in
  the log with its error, /readyz 503 while no worker runs, and the serving process answers the
  acked commands itself; no traceback per restart; back to the worker once it can run again.
- A stray ``secrets.py`` in serve's working directory does not shadow the standard library in
  the worker: workers start isolated from the working directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from tests.support.local_env import ROOT, serve_env
from tests.support.serve import ServeFactory, wait_for
from tests.support.slack_harness import ALICE, CHANNEL
from tests.support.slack_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    slack_signed_headers,
    slash_command_body,
)

pytestmark = pytest.mark.process

RESIZE = f"resize {sid('pi-erp-db')} s6.xlarge.2"


def command(port: int, slack: SlackApiThread, trigger: str) -> int:
    body = slash_command_body(
        RESIZE,
        user=ALICE,
        channel=CHANNEL,
        trigger=trigger,
        response_url=f"{slack.url}/response/{trigger}",
    )
    request = Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded", **slack_signed_headers(body)},
    )
    with urlopen(request, timeout=5) as answer:
        return int(answer.status)


def confirmations(slack: SlackApiThread) -> int:
    return len([c for c in slack.state.calls_to("chat.postMessage") if c.args.get("blocks")])


def test_a_worker_that_dies_at_import_is_said_once_and_serve_answers_itself(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, serve: ServeFactory
) -> None:
    install = tmp_path / "install"  # the bot as installed, broken under the running serve
    for package in ("bot", "handlers"):
        shutil.copytree(
            ROOT / package, install / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        worker_processes="1",
        inbox_tick_seconds="0.05",
        shutdown_seconds="5",
        pythonpath=str(install),
    )
    main = "import sys; sys.path.insert(0, sys.argv[1]); from bot.cli import main; main(['serve'])"
    bot = serve(env, argv=[sys.executable, "-I", "-c", main, str(install)], cwd=tmp_path)
    bot.wait_ready()  # its worker runs
    log_path = bot.log
    http = bot.http_port
    module = install / "bot" / "cli.py"
    good = module.read_text()
    module.write_text(good + 'raise ImportError("a broken installation")\n')
    (worker,) = bot.children()
    subprocess.run(["kill", "-KILL", worker], check=True)
    # it cannot start again: this process does the work, and says it is not ready
    assert command(http, slack, "d-1") == 200
    wait_for(lambda: confirmations(slack) == 1, 30, "the confirmation", log_path)
    assert bot.readyz() == 503
    seen: set[str] = {worker}
    wait_for(lambda: len(seen.update(bot.children()) or seen) >= 4, 90, "3 tries", log_path)
    text = log_path.read_text()
    assert text.count("could not start") == 1, text
    assert "ImportError: a broken installation" in text
    assert text.count("Traceback") == 1, text  # once, not one per failed start
    assert bot.readyz() == 503
    # repaired: a worker runs again, and the work is its again
    module.write_text(good)
    wait_for(bot.ready, 90, "a worker again", log_path)  # at its next try (pauses grow)
    assert "runs again" in log_path.read_text()
    assert command(http, slack, "d-2") == 200
    wait_for(lambda: confirmations(slack) == 2, 30, "the second confirmation", log_path)
    assert bot.stop() == 0, bot.log_text()


def test_workers_do_not_import_from_the_working_directory(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, serve: ServeFactory
) -> None:
    here = tmp_path / "serving"  # where serve runs, with a stray module in it
    here.mkdir()
    marker = tmp_path / "shadowed"
    (here / "secrets.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise ImportError('a stray secrets.py')\n"
    )
    env = serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 's.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        worker_processes="1",
        inbox_tick_seconds="0.05",
        shutdown_seconds="5",
    )
    env.pop("PYTHONPATH")  # as installed: the console script, nothing else on the path
    script = Path(sys.executable).parent / "sdrs-bot"
    bot = serve(env, argv=[str(script), "serve"], cwd=here).wait_ready()  # its worker runs
    assert command(bot.http_port, slack, "s-1") == 200
    wait_for(lambda: confirmations(slack) == 1, 30, "the confirmation", bot.log)
    assert not marker.exists(), bot.log_text()
    assert "could not start" not in bot.log_text()
    assert bot.stop() == 0, bot.log_text()
