"""A store and its readiness endpoint in a process of their own, for
tests/store/test_store_outage.py: the file permissions a test changes must bind this process, which
they do not for root (the capability to override them is dropped from the process when it runs as
root, by re-executing without it). Prints ``port N``; then, per line on stdin, ``write`` answers
``ok`` or ``unavailable <message>`` (or ``error <type> <message>``); ``fill`` fills the file system
holding the database (a file beside it, written until it is full: ``full <why>``) and ``free``
deletes that file again (``freed``)."""

from __future__ import annotations

import asyncio
import ctypes
import os
import sys
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.core.states import OpKind
from bot.health import build_health_app
from bot.metrics import Metrics
from bot.store import Store, is_unavailable

_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE = 24, 1


def _drop_root_file_override() -> None:
    if os.geteuid() != 0 or os.environ.get("SDRS_TEST_CAPS_DROPPED"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        sys.stdout.write(f"cannot drop CAP_DAC_OVERRIDE (errno {ctypes.get_errno()})\n")
        sys.exit(3)
    os.environ["SDRS_TEST_CAPS_DROPPED"] = "1"
    os.execv(sys.executable, [sys.executable, *sys.argv])


async def _main(url: str) -> None:
    store = Store.from_url(url)
    runner = web.AppRunner(build_health_app(store, Metrics(), scheduler_running=lambda: True))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sys.stdout.write(f"port {port}\n")
    sys.stdout.flush()
    n = 0
    filler = os.path.join(os.path.dirname(url.removeprefix("sqlite:///")), "filler")
    while line := await asyncio.to_thread(sys.stdin.readline):
        if line.strip() == "fill":  # the disk holding the database: full
            sys.stdout.write(f"{_fill(filler)}\n")
            sys.stdout.flush()
            continue
        if line.strip() == "free":
            os.remove(filler)
            sys.stdout.write("freed\n")
            sys.stdout.flush()
            continue
        if line.strip() != "write":
            continue
        n += 1
        now = datetime.now(UTC)
        try:
            await asyncio.to_thread(
                store.create_pending,
                kind=OpKind.RESIZE,
                intent_json="{}",
                requester="U_T",
                channel="C_T",
                now=now,
                expires_at=now + timedelta(minutes=5),
                request_key=f"write-{n}",
            )
            answer = "ok"
        except Exception as exc:  # noqa: BLE001 - reported to the test
            kind = "unavailable" if is_unavailable(exc) else f"error {type(exc).__name__}"
            answer = f"{kind} {exc}"
        sys.stdout.write(answer.replace("\n", " ") + "\n")
        sys.stdout.flush()
    await runner.cleanup()
    store.close()


def _fill(path: str) -> str:
    """Write to ``path`` until the file system says it is full."""
    block = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as exc:
            return f"full {exc.strerror}"


if __name__ == "__main__":
    _drop_root_file_override()
    asyncio.run(_main(sys.argv[1]))
