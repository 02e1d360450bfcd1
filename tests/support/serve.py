"""``sdrs-bot serve`` as a child process, the one way tests start it: the ``serve`` fixture
starts it (logging to a file), waits until it is ready by polling what it serves, stops it with
SIGTERM (then SIGKILL if it does not end) and, at the end of the test, fails the test if any
configured secret is in its log."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from tests.support.local_env import ROOT, free_port
from tests.support.secret_logs import CONFIGURED_SECRETS

T = TypeVar("T")

SERVE = (sys.executable, "-m", "bot.cli", "serve")


def wait_for(condition: Callable[[], T], within: float, what: str, log: Path | None = None) -> T:
    """Poll ``condition`` until it is truthy (its value is returned) or ``within`` seconds pass
    (an AssertionError naming ``what``, with the tail of ``log`` if given)."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise AssertionError(f"timed out after {within:g} s waiting for {what}\n{tail}")
        time.sleep(0.05)


def readyz(port: int) -> int:
    """The status of ``/readyz`` on the health port; 0 while nothing answers."""
    try:
        with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return int(answer.status)
    except HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def children(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return found.stdout.split()


class ServeProcess:
    """One ``sdrs-bot serve`` (or ``argv``) child: start it again after a kill with ``start``.
    The health port (and, in HTTP mode, the Slack port) are fixed here when the environment
    leaves them to chance, so readiness can be polled."""

    def __init__(self, env: dict[str, str], log: Path, argv: Sequence[str], cwd: Path) -> None:
        self.env = dict(env)
        self.http = "SLACK_APP_TOKEN" not in self.env
        # the ports chosen here (not by the test): free when chosen, but another process may
        # bind one before the child does (parallel workers, other runs on the machine)
        self.chosen = [name for name in self._ports() if self.env.get(name, "0") == "0"]
        self._choose_ports()
        self.lost_ports = 0  # starts given up because a chosen port was taken meanwhile
        self.was_ready = False
        self.log = log
        self.argv = list(argv)
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def _ports(self) -> list[str]:
        return ["HEALTH_PORT", "HTTP_PORT"] if self.http else ["HEALTH_PORT"]

    def _choose_ports(self) -> None:
        for name in self.chosen:
            self.env[name] = str(free_port())

    def _lost_a_chosen_port(self) -> bool:
        """The child stopped at start because a port chosen here was bound by another process
        in between (it says "port N is in use"): not the bot's fault, so start it again on
        other ports - only before it was first ready, while no test holds its ports."""
        if self.was_ready or self.lost_ports >= 3 or not self.chosen:
            return False
        taken = {self.env[name] for name in self.chosen}
        text = self.log_text()
        return any(f"port {port} is in use" in text for port in taken)

    def _serving_http(self) -> bool:
        """The child itself listens on the Slack port: it said so (another process's socket on
        that port would take connections too), and connections are taken."""
        said = f":{self.http_port} (/slack/events)" in self.log_text()
        return said and listening(self.http_port)

    @property
    def health_port(self) -> int:
        return int(self.env["HEALTH_PORT"])

    @property
    def http_port(self) -> int:
        return int(self.env["HTTP_PORT"])

    @property
    def url(self) -> str:
        """Where Slack sends events (HTTP mode)."""
        return f"http://127.0.0.1:{self.http_port}/slack/events"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def start(self) -> ServeProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready(self) -> bool:
        """/readyz answers 200 and, in HTTP mode, the child serves the Slack port."""
        if not self.running():
            if self._lost_a_chosen_port():
                self.lost_ports += 1
                self._choose_ports()
                self.start()
                return False
            raise AssertionError(f"serve exited ({self.returncode}):\n{self.log_text()[-3000:]}")
        ready = readyz(self.health_port) == 200 and (not self.http or self._serving_http())
        self.was_ready = self.was_ready or ready
        return ready

    def wait_ready(self, within: float = 60.0) -> ServeProcess:
        wait_for(self.ready, within, "serve to be ready", self.log)
        return self

    def readyz(self) -> int:
        return readyz(self.health_port)

    def children(self) -> list[str]:
        return children(self.pid)

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def send_signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None, "not started"
        self.proc.send_signal(sig)

    def wait(self, within: float) -> int:
        assert self.proc is not None, "not started"
        return self.proc.wait(within)

    def kill(self, *, with_children: bool = False) -> None:
        """SIGKILL, as a crash: no graceful stop (its worker processes too, if asked)."""
        assert self.proc is not None, "not started"
        kids = self.children() if with_children else []
        self.proc.send_signal(signal.SIGKILL)
        for child in kids:
            subprocess.run(["kill", "-KILL", child], check=False)
        self.proc.wait(10)
        self.kills += 1

    def stop(self, within: float = 30.0) -> int | None:
        """SIGTERM, as a deployment does; SIGKILL if it has not ended ``within`` seconds.
        Returns its exit code (None if it never started)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(within)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


class ServeFactory:
    """The ``serve`` fixture: ``serve(env)`` starts one child (``start=False`` to only build
    it); ``name`` names its log file in the test's tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[ServeProcess] = []

    def __call__(
        self,
        env: dict[str, str],
        *,
        name: str = "serve",
        argv: Sequence[str] = SERVE,
        cwd: Path = ROOT,
        start: bool = True,
    ) -> ServeProcess:
        child = ServeProcess(env, self.tmp_path / f"{name}.log", argv, cwd)
        self.started.append(child)
        return child.start() if start else child

    def close(self) -> list[str]:
        """Stop what still runs; the configured secrets found in any log, by log file."""
        for child in self.started:
            child.stop()
        return [
            f"{child.log.name}: {secret}"
            for child in self.started
            for secret in CONFIGURED_SECRETS
            if secret in child.log_text()
        ]


@pytest.fixture(name="serve")
def _serve(tmp_path: Path) -> Iterator[ServeFactory]:
    factory = ServeFactory(tmp_path)
    yield factory
    leaked = factory.close()
    if leaked:
        pytest.fail(f"configured secrets in a serve log: {leaked}", pytrace=False)
