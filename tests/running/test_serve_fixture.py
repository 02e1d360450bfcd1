"""The ``serve`` fixture itself: a port it chose for the child and another process bound before
the child could (parallel workers, another run on the machine) starts the child again on other
ports instead of failing the test; a port the test chose is never changed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from tests.support.local_env import serve_env
from tests.support.serve import ServeFactory
from tests.support.slack_helpers import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.process


def _env(tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread) -> dict[str, str]:
    return serve_env(
        slack_api_url=slack.api_url,
        sdrs_url=emulator.url,
        database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
    )


def test_a_chosen_port_taken_meanwhile_is_chosen_again(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, serve: ServeFactory
) -> None:
    bot = serve(_env(tmp_path, slack, emulator), start=False)
    taken = bot.http_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        bot.start().wait_ready()
        assert bot.lost_ports == 1
        assert bot.http_port != taken
        assert f"port {taken} is in use" in bot.log_text()


def test_a_port_the_test_chose_is_not_changed(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, serve: ServeFactory
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        env = _env(tmp_path, slack, emulator) | {"HTTP_PORT": str(taken)}
        bot = serve(env)
        with pytest.raises(AssertionError, match=f"port {taken} is in use"):
            bot.wait_ready(within=30)
        assert bot.lost_ports == 0
