"""``sdrs-bot`` command line.

* ``sdrs-bot demo``: the bot's core job end to end on this machine, with no cloud account: it
  starts the SDRS/ECS emulator (a seeded world), then through the real client reads an instance
  and its servers, submits a resize, follows the job to its end, shows a refused resize, and
  renames a drill. (The Slack side joins it as the Slack issues land.)
* ``sdrs-bot sandbox``: runs the emulator alone on a fixed port, for manual tests.
* ``sdrs-bot audit export``: the audit trail (``DATABASE_URL``) as JSON lines.
* ``sdrs-bot check``: is the configuration ready (Slack token and scopes, transport, SDRS, ECS,
  database)? One line per check; exit status 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import SecretStr

from bot.config import Settings
from bot.ecs import EcsClient
from bot.errors import ApiError, BotError
from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world, sid
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sdrs.client import SdrsClient
from bot.sdrs.models import ResizeParams


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def sandbox_settings(url: str) -> Settings:
    return Settings(
        _env_file=None,
        huaweicloud_sdk_ak=SANDBOX_AK,
        huaweicloud_sdk_sk=SecretStr(SANDBOX_SK),
        huaweicloud_sdk_project_id=SANDBOX_PROJECT_ID,
        sdrs_endpoint=url,
        ecs_endpoint=url,
    )


async def _describe_instance(sdrs: SdrsClient, ecs: EcsClient, instance_id: str) -> None:
    inst = await sdrs.get_protected_instance(instance_id)
    group = await sdrs.get_protection_group(inst.server_group_id or "")
    out(f"  protected instance {inst.name} ({inst.id}): {inst.status}")
    out(f"  protection group {group.name}: {group.status}")
    for site, server_id in (("production", inst.production_server()), ("DR", inst.dr_server())):
        server = await ecs.get_server(server_id or "")
        out(
            f"  {site:>10} site: {server.name} {server.status} {server.flavor.id} "
            f"({server.flavor.vcpus} vCPU, {server.flavor.ram // 1024} GiB)"
        )


async def run_demo(url: str, poll_seconds: float = 0.5) -> int:
    settings = sandbox_settings(url)
    sdrs = SdrsClient.from_settings(settings)
    ecs = EcsClient.from_settings(settings)
    try:
        erp_db = sid("pi-erp-db")
        out("1. Current state")
        await _describe_instance(sdrs, ecs, erp_db)

        out("\n2. Resize both sites of erp-db to s6.xlarge.2")
        job_id = await sdrs.resize_protected_instance(erp_db, ResizeParams(flavorRef="s6.xlarge.2"))
        out(f"  submitted, job {job_id}")
        started = time.monotonic()
        last = None
        while True:
            job = await sdrs.get_job(job_id)
            if job.status != last:
                out(f"  job {job.status} after {time.monotonic() - started:.1f}s")
                last = job.status
            if job.status.terminal:
                break
            await asyncio.sleep(poll_seconds)
        await _describe_instance(sdrs, ecs, erp_db)

        out("\n3. Resize erp-app, whose production server is running")
        try:
            await sdrs.resize_protected_instance(
                sid("pi-erp-app"), ResizeParams(production_flavorRef="s6.xlarge.2")
            )
            out("  unexpectedly accepted")
            return 1
        except ApiError as exc:
            out(f"  refused: {exc.code}: {exc.message}")

        out("\n4. Rename a drill")
        drill_id = sid("drill-web")
        before = await sdrs.get_drill(drill_id)
        after = await sdrs.rename_drill(drill_id, "web季度演练-2026.q2")
        out(f"  {before.name} -> {after.name}")
        return 0 if job.status == "SUCCESS" else 1
    finally:
        await sdrs.aclose()
        await ecs.aclose()


def cmd_demo(args: argparse.Namespace) -> int:
    world = seeded_world(job_init_seconds=0.5, job_seconds=args.job_seconds)
    with EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID)) as emulator:
        out(f"SDRS/ECS emulator on {emulator.url} (project {SANDBOX_PROJECT_ID})\n")
        return asyncio.run(run_demo(emulator.url))


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
    from bot.app import serve
    from bot.config import load_settings
    from bot.logs import configure_logging

    settings = load_settings()
    configure_logging(settings)
    asyncio.run(serve(settings))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check the configuration: one line per check, exit 1 if any failed."""
    from bot.check import run_checks, settings_problems
    from bot.config import load_settings
    from bot.errors import ConfigError

    try:
        results = asyncio.run(run_checks(load_settings()))
    except ConfigError as exc:
        results = settings_problems(exc)
    for result in results:
        out(result.line())
    failed = sum(1 for r in results if not r.ok)
    out(f"{len(results) - failed} ok, {failed} failed")
    return 1 if failed else 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    """The audit trail as JSON lines (one event per line, oldest first)."""
    from bot.config import load_settings
    from bot.store import Store

    since = _utc(args.since) if args.since else None
    store = Store.from_url(load_settings().database_url)
    target = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
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
    parser = argparse.ArgumentParser(prog="sdrs-bot", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the flow end to end against the local emulator")
    demo.add_argument("--job-seconds", type=float, default=3.0, help="emulated job duration")
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


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BotError as exc:
        sys.stderr.write(f"sdrs-bot: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
