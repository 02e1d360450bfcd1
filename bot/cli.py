"""``sdrs-bot`` command line.

* ``sdrs-bot demo``: the playground - the real bot (``serve``, HTTP mode, SQLite), the SDRS/ECS
  emulator and a local Slack whose web page behaves like a channel; no Slack or cloud account.
  ``--scripted`` drives the main flows through it, prints them and exits (CI's smoke test).
* ``sdrs-bot sandbox``: runs the emulator alone on a fixed port, for manual tests.
* ``sdrs-bot audit export``: the audit trail (``DATABASE_URL``) as JSON lines.
* ``sdrs-bot check``: is the configuration ready (Slack token and scopes, transport, SDRS, ECS,
  database)? One line per check; exit status 1 if any failed.

Each subcommand imports what it runs inside its own function: ``--version`` and ``--help`` then
start in about 1 s instead of 2-3 s (Bolt, aiohttp, SQLAlchemy and Alembic are not loaded). Nothing
imports this module, so these are no way around an import cycle; ``lint-imports`` checks that.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata

from bot.core.errors import BotError, ConfigError
from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, seeded_world
from bot.sandbox.server import Emulator, EmulatorThread


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def cmd_demo(args: argparse.Namespace) -> int:
    """The playground: the real bot with local stand-ins for Slack and the cloud."""
    from bot.playground.run import Running, run_playground
    from bot.playground.script import Script

    logging.getLogger().setLevel(logging.WARNING)
    failed: list[BaseException] = []
    stop = asyncio.Event()

    async def ready(running: Running) -> None:
        if not args.scripted:
            out(f"sdrs-bot playground: open {running.url}")
            out("  (the real bot, a local Slack stand-in and an emulated cloud; Ctrl-C stops it)")
            return
        try:
            await Script(running).run()
        except (AssertionError, BotError) as exc:
            out(f"\nFAILED: {exc}")
            failed.append(exc)
        stop.set()

    asyncio.run(
        run_playground(
            host=args.host,
            port=args.port,
            job_seconds=args.job_seconds,
            two_person=args.two_person,
            stop=stop,
            on_ready=ready,
        )
    )
    return 1 if failed else 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    world = seeded_world(job_seconds=args.job_seconds)
    service = Emulator(world, SANDBOX_PROJECT_ID)
    if args.latency > 0:
        service.faults.add(Fault("latency", seconds=args.latency, times=None))
    emulator = EmulatorThread(service, args.host, args.port)
    emulator.start()
    out(f"SDRS/ECS emulator on {emulator.url}")
    out(f"  project id {SANDBOX_PROJECT_ID}, AK {SANDBOX_AK} (SK in bot/sandbox/seed.py)")
    out("  Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.config.diagnostics import read_settings
    from bot.logs import configure_logging
    from bot.serve import serve

    settings, problems = read_settings()
    if problems:
        raise ConfigError(problems)
    configure_logging(settings)
    asyncio.run(serve(settings))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """A worker process (serve starts them with WORKER_PROCESSES; one can also run alone). It
    takes the settings exactly as ``serve`` does: every problem at once, before the database
    or any connection is opened."""
    from bot.config.diagnostics import read_settings
    from bot.logs import configure_logging
    from bot.worker import run_worker

    settings, problems = read_settings()
    if problems:
        raise ConfigError(problems)
    configure_logging(settings)
    asyncio.run(run_worker(settings))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check the configuration: one line per check, exit 1 if any failed."""
    from bot.check import run_checks
    from bot.config.diagnostics import read_settings

    settings, problems = read_settings()
    results = asyncio.run(run_checks(settings, problems))
    for result in results:
        out(result.line())
    failed = sum(1 for r in results if not r.ok)
    out(f"{len(results) - failed} ok, {failed} failed")
    return 1 if failed else 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    """The audit trail as JSON lines (one event per line, oldest first)."""
    from bot.config.settings import load_settings
    from bot.store import Store

    since = _utc(args.since) if args.since else None
    store = Store.from_url(load_settings().database_url)
    target = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    count = 0
    try:
        for event in store.audit_events(since=since, channel=args.channel):
            target.write(json.dumps(event.record(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    finally:
        if target is not sys.stdout:
            target.close()
        store.close()
    sys.stderr.write(f"{count} audit events exported\n")
    return 0


def _utc(value: str) -> datetime:
    """An ISO date or date-time; without a zone it is UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BotError(f"--since {value!r} is not an ISO date such as 2026-11-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdrs-bot", description=__doc__.split("\n\n")[0].replace("``", "")
    )
    parser.add_argument("--version", action="version", version=f"sdrs-bot {version()}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected failure"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="the playground: the real bot, a local Slack (a web page) and an emulated cloud",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address of the page")
    demo.add_argument("--port", type=int, default=8700, help="port of the page (0: any)")
    demo.add_argument("--job-seconds", type=float, default=8.0, help="emulated job duration")
    demo.add_argument(
        "--two-person", action="store_true", help="an approver (bob, carol) must confirm"
    )
    demo.add_argument(
        "--scripted",
        action="store_true",
        help="drive the main flows through the page's Slack side, print them, exit",
    )
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser(
        "serve", help="run the bot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP mode"
    )
    serve.set_defaults(func=cmd_serve)
    sandbox = sub.add_parser("sandbox", help="run the SDRS/ECS emulator alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8780)
    sandbox.add_argument("--job-seconds", type=float, default=20.0)
    sandbox.add_argument(
        "--latency", type=float, default=0.0, help="answer every API call this many seconds late"
    )
    sandbox.set_defaults(func=cmd_sandbox)
    worker = sub.add_parser(
        "worker", help="a worker process: acked commands and clicks, tracking, reports"
    )
    worker.set_defaults(func=cmd_worker)
    check = sub.add_parser("check", help="check the configuration: Slack, SDRS, ECS, database")
    check.set_defaults(func=cmd_check)
    audit = sub.add_parser("audit", help="the audit trail (DATABASE_URL)")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    export = audit_sub.add_parser("export", help="write the audit trail as JSON lines")
    export.add_argument("--since", help="only events at or after this ISO date/time (UTC)")
    export.add_argument("--channel", help="only events of this Slack channel id")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    export.set_defaults(func=cmd_audit_export)
    return parser


def version() -> str:
    """This install's version (the package metadata of ``sdrs-bot``)."""
    try:
        return metadata.version("sdrs-bot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _port_in_use(exc: OSError, args: argparse.Namespace) -> str | None:
    if exc.errno != errno.EADDRINUSE:
        return None
    found = re.search(r"\(['\"]?[^,]*?['\"]?, (\d+)\)", str(exc))
    port = found.group(1) if found else str(getattr(args, "port", "") or "")
    if not port:
        return "an address is already in use: another process is listening on it"
    hint = "try --port 0 or another port" if hasattr(args, "port") else "free it or set another"
    return f"port {port} is in use; {hint}"


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure is one line on standard error (no traceback unless ``--debug``)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        if isinstance(exc, BotError):
            message, code = str(exc), 2
        elif isinstance(exc, OSError) and (busy := _port_in_use(exc, args)):
            message, code = busy, 1
        else:
            message = f"{type(exc).__name__}: {exc} (run with --debug for the traceback)"
            code = 1
        sys.stderr.write(f"sdrs-bot: {message}\n")
        return code


if __name__ == "__main__":
    raise SystemExit(main())
