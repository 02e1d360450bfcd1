"""``sdrs-bot check``: is this configuration ready to run? One line per check, with a remedy.

Checks, in order: the settings parse and nothing ``serve`` needs is missing (the same list
``serve`` refuses to start with, :func:`bot.config.diagnostics.read_settings`); Slack's bot
token
(``auth.test``) and its scopes (the ``x-oauth-scopes`` header Slack returns) against
:data:`handlers.scopes.BOT_SCOPES`; the transport (Socket Mode: the app token opens a
connection URL with ``apps.connections.open``; HTTP mode: a signing secret is set); SDRS and ECS
reachable with the credentials accepted (a harmless read each); least privilege: per call the bot
makes, whether IAM allows it, what to add when it does not, and what cannot be tried harmlessly
(:mod:`bot.huaweicloud.access_check`, one ``iam`` line each); the database reachable and its schema
current. A settings problem stops nothing: every part that can be tested is. Secrets are
never printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import create_engine, make_url

from bot.config.diagnostics import access_mode
from bot.config.settings import Settings
from bot.core.checks import Check
from bot.core.errors import ApiError, CloudError, ConfigError
from bot.core.permissions import AccessResult, AccessState
from bot.huaweicloud.access_check import check_access
from bot.huaweicloud.credentials import CredentialProvider
from bot.huaweicloud.fleet import Account
from bot.huaweicloud.wiring import open_fleet
from bot.store.schema import head_revision, read_state
from handlers.slack_check import slack_checks


async def run_checks(settings: Settings, problems: list[str]) -> list[Check]:
    """``problems``: what :func:`bot.config.diagnostics.read_settings` found (the same list
    ``serve`` refuses to start with); every other part is tested all the same."""
    results = [
        Check("settings", False, problem, "fix it in the environment or .env")
        for problem in problems
    ] or [Check("settings", True, "every setting parsed, none missing")]
    results.append(_access(settings))
    results += await slack_checks(settings)
    results += await _clouds(settings)
    results.append(await asyncio.to_thread(_database, settings))
    return results


def _access(settings: Settings) -> Check:
    """Which request policy is in force (serve refuses to start with none)."""
    mode = access_mode(settings)
    if mode == "bindings":
        return Check("access", True, f"channel bindings in {settings.accounts_file}")
    if mode == "allow-lists":
        return Check("access", True, "allow-lists (POLICY_* settings) decide who may ask")
    if mode == "open":
        return Check("access", True, "OPEN to everyone in the bot's channels (OPEN_ACCESS=true)")
    return Check(
        "access",
        False,
        "no request policy: serve refuses to start",
        "restrict every kind of change (the settings lines say where), or "
        "OPEN_ACCESS=true on purpose",
    )


_PAGE = 1000  # the API's largest page: one read counts the project's protected instances


def _once(settings: Settings) -> Settings:
    """One attempt, a short wait: a check should answer quickly."""
    read = min(settings.http_read_timeout, 10.0)
    return settings.model_copy(update={"http_max_attempts": 1, "http_read_timeout": read})


async def _sdrs_read(account: Account) -> str:
    found = await account.sdrs.list_protected_instances(limit=_PAGE)
    count = f"{len(found)}+" if len(found) >= _PAGE else str(len(found))
    return f"{account.sdrs_url} answers ({count} protected instance(s))"


async def _ecs_read(account: Account) -> str:
    count = await account.ecs.count_servers()
    return f"{account.ecs_url} answers ({count} server(s) in the project)"


async def _clouds(settings: Settings) -> list[Check]:
    """SDRS, ECS and least privilege, for each account (ACCOUNTS_FILE) or the one account of
    the environment; lines are named per account where there are several."""
    if settings.accounts_file is None and not settings.has_cloud_credentials:
        remedy = (
            "set HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN) "
            "and HUAWEICLOUD_SDK_PROJECT_ID, or ACCOUNTS_FILE"
        )
        return [Check(name, False, "no cloud credentials", remedy) for name in ("sdrs", "ecs")]
    try:
        fleet, _ = await open_fleet(_once(settings))
    except ConfigError as exc:
        return [
            Check(
                "cloud",
                False,
                f"not tried: {exc.problems[0]}",
                "the settings lines say what to fix",
            )
        ]
    several = settings.accounts_file is not None
    results: list[Check] = []
    try:
        for account in fleet:
            suffix = f" {account.name}" if several else ""
            if account.credentials is not None:
                results.append(await _credentials(f"keys{suffix}", account.credentials))
            for service, read in (("sdrs", _sdrs_read), ("ecs", _ecs_read)):
                checked = await _cloud(f"{service}{suffix}", account, read, several=several)
                source = endpoint_source(settings, account.name, service)
                results.append(replace(checked, detail=f"{checked.detail}; endpoint {source}"))
            results += await _least_privilege(account, f"iam{suffix}")
    finally:
        await fleet.aclose()
    return results


def endpoint_source(settings: Settings, account: str, service: str) -> str:
    """Where ``service``'s endpoint of ``account`` comes from: the operator's setting, or the
    official SDK's region table (:mod:`bot.core.regions`)."""
    accounts = settings.accounts()
    spec = accounts.parsed().accounts[account]
    given = spec.given_endpoint(service)
    region, setting = spec.region, accounts.endpoint_setting(service)
    if accounts.file is not None:
        setting += " in ACCOUNTS_FILE"
    if given:
        return f"set by {setting}"
    return f"from the official SDK's {service.upper()} region table for {region}"


async def _credentials(name: str, provider: CredentialProvider) -> Check:
    """The account's credential source gives keys now (temporary ones: until when)."""
    try:
        await provider.keys()
    except CloudError as exc:
        remedy = "see the source's error; docs/credentials.md says what each source needs"
        return Check(name, False, f"no keys: {exc}", remedy)
    status = provider.status()
    until = f", valid until {status.expires_at:%Y-%m-%d %H:%M} UTC" if status.expires_at else ""
    return Check(name, True, f"{status.description}{until}")


async def _cloud(
    name: str, account: Account, read: Callable[[Account], Awaitable[str]], *, several: bool
) -> Check:
    try:
        return Check(name, True, await read(account))
    except ApiError as exc:
        where = (
            f"account {account.name}'s credentials in ACCOUNTS_FILE"
            if several
            else "HUAWEICLOUD_SDK_AK/SK (or the token)"
        )
        remedy = (
            f"check {where}, the project id and the region"
            if exc.status in (401, 403) or exc.code.startswith("APIGW")
            else "see the error code in the API reference"
        )
        return Check(name, False, f"{exc.code} (HTTP {exc.status}): {exc.message}", remedy)
    except CloudError as exc:
        return Check(name, False, f"not reachable: {exc}", "check the endpoint and the network")


async def _least_privilege(account: Account, name: str) -> list[Check]:
    """Least privilege for one account: one line per call the bot makes."""
    rows = await check_access(account.sdrs, account.ecs, account.deh)
    if not any(r.state in (AccessState.OK, AccessState.MISSING) for r in rows):
        # nothing could be told (credentials refused, endpoint down): one line, not eleven
        first = next(r for r in rows if r.state is AccessState.ERROR)
        return [Check(name, False, f"least privilege not tried: {first.detail}", first.remedy)]
    return [access_line(row, name) for row in rows]


def access_line(row: AccessResult, name: str = "iam") -> Check:
    """One ``check`` line for a least-privilege result."""
    ok = row.state in (AccessState.OK, AccessState.UNTESTED)
    return Check(name, ok, row.summary(), row.remedy, untested=row.state is AccessState.UNTESTED)


def _database(settings: Settings) -> Check:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # connecting would create the file: a check changes nothing
        return Check("database", True, f"SQLite file {url.database} will be created by serve")
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            state = read_state(conn)  # reads only
    except Exception as exc:  # noqa: BLE001 - any driver error is a failed check
        return Check(
            "database",
            False,
            f"not reachable: {type(exc).__name__}",
            "check DATABASE_URL and that the server is up",
        )
    finally:
        engine.dispose()
    head = head_revision()
    if state.too_new:
        return Check(
            "database",
            False,
            f"schema {state.describe()} is newer than this code (head {head})",
            "upgrade sdrs-bot",
        )
    if state.is_head:
        return Check("database", True, f"reachable, schema current (Alembic revision {head}, head)")
    if state.revision is None:
        return Check(
            "database", True, f"reachable, empty; serve creates the schema (revision {head})"
        )
    if state.legacy_version is not None:  # recorded before Alembic (schema_version)
        found = f"schema version {state.legacy_version}"
    else:
        found = f"schema revision {state.revision}"
    return Check(
        "database", True, f"reachable, {found}; serve migrates it to Alembic revision {head}"
    )
