"""/readyz tells the truth about credentials: temporary keys are renewed ahead of expiry in the
background (a quiet bot stays ready, and readiness comes back by itself once the source is
back), and keys the gateway refuses (a handed-in security token that expired: 401
APIGW.0301) make it 503, as they make every call fail."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.core.errors import ApiError
from bot.health import build_health_app
from bot.huaweicloud.wiring import open_fleet
from bot.metrics import Metrics
from bot.runtime import open_runtime
from bot.sandbox.gateway import TemporaryKeys
from bot.sandbox.seed import SANDBOX_PROJECT_ID, seeded_world
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.store import Store
from tests.conftest import sandbox_settings
from tests.support.iam import IamEmulator, IamState, IamThread
from tests.support.slack_helpers import BOT_TOKEN

ROOT = Path(__file__).resolve().parents[2]

LIFETIME = timedelta(seconds=4)  # short: renewals and expiry are seen within a test


@pytest.fixture
def agency_cloud() -> Iterator[tuple[EmulatorThread, IamThread, IamEmulator]]:
    """The SDRS/ECS emulator accepting only temporary keys (no permanent key works), and the
    IAM + metadata emulator issuing 4-second keys; both on the real clock."""
    temporary = TemporaryKeys(lambda: datetime.now(UTC))
    world = seeded_world()
    world.credentials.clear()
    iam = IamEmulator(
        temporary, IamState(projects={"cn-north-4": [SANDBOX_PROJECT_ID]}), lifetime=LIFETIME
    )
    with (
        EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID, temporary=temporary)) as sdrs,
        IamThread(iam) as iam_thread,
    ):
        yield sdrs, iam_thread, iam


def accounts(tmp_path: Path, sdrs: EmulatorThread, credentials: str, extra: str = "") -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(
        f"""[accounts.prod-cn]
region = "cn-north-4"
sdrs_endpoint = "{sdrs.url}"
ecs_endpoint = "{sdrs.url}"
deh_endpoint = "{sdrs.url}"
credentials = {credentials}
{extra}

[[bindings]]
channels = ["*"]
accounts = ["prod-cn"]
""",
        encoding="utf-8",
    )
    return path


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 40.0) -> Any:
    """Await ``check()`` until it answers something true (a condition, not a fixed sleep)."""
    deadline = time.monotonic() + within
    while not (value := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return value


@pytest.mark.slow
async def test_a_quiet_bot_renews_its_keys_and_readiness_follows_the_source(
    tmp_path: Path,
    slack: SlackApiThread,
    agency_cloud: tuple[EmulatorThread, IamThread, IamEmulator],
) -> None:
    sdrs, iam_thread, iam = agency_cloud
    source = f'{{ kind = "ecs-metadata", endpoint = "{iam_thread.url}" }}'
    settings = sandbox_settings(
        sdrs.url,
        accounts_file=accounts(tmp_path, sdrs, source, f'iam_endpoint = "{iam_thread.url}"'),
        slack_bot_token=BOT_TOKEN,
        slack_api_url=slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    rt = await open_runtime(settings)  # what serve and each worker run on
    statuses = rt.deps.fleet.credential_statuses
    health = build_health_app(
        rt.deps.store, rt.deps.metrics, scheduler_running=lambda: True, credentials=statuses
    )
    try:
        async with TestClient(TestServer(health)) as client:

            async def ready(status: int) -> dict[str, Any] | None:
                answer = await client.get("/readyz")
                return await answer.json() if answer.status == status else None

            calls = len(sdrs.emulator.requests)
            fetched = sum(iam.counts.values())
            # quiet (no command, no SDRS or ECS call): renewed ahead of expiry, ready all along
            while statuses()[0][1].refreshes < 4:  # 4-second keys: past three expiries
                assert await ready(200), await (await client.get("/readyz")).json()
                await asyncio.sleep(0.1)
            assert len(sdrs.emulator.requests) == calls
            assert sum(iam.counts.values()) > fetched
            # the source goes away: the keys run out, and readiness says so
            iam.down = {"metadata"}
            body = await eventually(lambda: ready(503))
            assert body["credentials"] is False and "prod-cn" in body["credentials_error"]
            # it comes back: ready again by itself, still without any command
            iam.down = set()
            await eventually(lambda: ready(200))
            assert len(sdrs.emulator.requests) == calls
    finally:
        await rt.close()
    assert rt.renewal is not None and rt.renewal.done()  # stopped with the runtime


async def test_handed_in_keys_the_gateway_refuses_make_readiness_fail(
    tmp_path: Path, agency_cloud: tuple[EmulatorThread, IamThread, IamEmulator]
) -> None:
    """Static temporary keys (AK/SK and a security token, handed in): once the token has
    expired every call is answered 401 APIGW.0301 - /readyz 503 and credentials_ok 0."""
    sdrs, _, _ = agency_cloud
    temporary = sdrs.emulator.temporary
    assert temporary is not None
    key = temporary.issue(timedelta(seconds=1), "handed in")
    source = (
        f'{{ kind = "static", ak = "{key.ak}", sk = "{key.sk}", '
        f'security_token = "{key.security_token}" }}'
    )
    settings = sandbox_settings(
        sdrs.url,
        accounts_file=accounts(tmp_path, sdrs, source, f'project_id = "{SANDBOX_PROJECT_ID}"'),
        database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    fleet, _ = await open_fleet(settings)
    store = Store.from_url(settings.database_url)
    metrics = Metrics()
    metrics.watch_credentials(fleet.credential_statuses)
    health = build_health_app(
        store, metrics, scheduler_running=lambda: True, credentials=fleet.credential_statuses
    )
    (account,) = fleet
    try:
        async with TestClient(TestServer(health)) as client:
            assert await account.sdrs.list_protected_instances(limit=1)
            assert (await client.get("/readyz")).status == 200

            async def refused() -> bool:
                try:
                    await account.sdrs.list_protected_instances(limit=1)
                except ApiError as exc:
                    return exc.status == 401 and exc.code == "APIGW.0301"
                return False

            await eventually(refused, within=10)  # the token has expired at the gateway
            answer = await client.get("/readyz")
            body = await answer.json()
            assert answer.status == 503 and body["credentials"] is False, body
            assert "APIGW.0301" in body["credentials_error"]["prod-cn"]
            assert key.security_token not in str(body) and key.sk not in str(body)
            scrape = metrics.exposition().decode()
            assert 'sdrs_bot_credentials_ok{account="prod-cn",source="static"} 0.0' in scrape
    finally:
        await fleet.aclose()
        store.close()


async def test_the_environments_temporary_keys_refused_make_readiness_fail(
    tmp_path: Path, agency_cloud: tuple[EmulatorThread, IamThread, IamEmulator]
) -> None:
    """The same without an accounts file: HUAWEICLOUD_SDK_AK/SK with
    HUAWEICLOUD_SDK_SECURITY_TOKEN, the token expired at the gateway."""
    sdrs, _, _ = agency_cloud
    temporary = sdrs.emulator.temporary
    assert temporary is not None
    key = temporary.issue(timedelta(seconds=1), "handed in")
    settings = sandbox_settings(
        sdrs.url,
        huaweicloud_sdk_ak=key.ak,
        huaweicloud_sdk_sk=SecretStr(key.sk),
        huaweicloud_sdk_security_token=SecretStr(key.security_token),
    )
    fleet, _ = await open_fleet(settings)
    (account,) = fleet
    try:
        assert await account.sdrs.list_protected_instances(limit=1)
        assert [(name, status.ok) for name, status in fleet.credential_statuses()] == [
            ("default", True)
        ]

        async def refused() -> bool:
            try:
                await account.sdrs.list_protected_instances(limit=1)
            except ApiError as exc:
                return exc.status == 401
            return False

        await eventually(refused, within=10)
        ((name, status),) = fleet.credential_statuses()
        assert name == "default" and not status.ok
        assert status.last_error is not None and "APIGW.0301" in status.last_error
    finally:
        await fleet.aclose()


async def test_the_operations_doc_lists_exactly_what_readyz_checks(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = doc[doc.index("**Readiness.**") : doc.index("**A database that stops")]
    listed = re.findall(r"^- `(\w+)`", section, re.M)

    async def up() -> bool:
        return True

    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    health = build_health_app(
        store,
        Metrics(),
        scheduler_running=lambda: True,
        slack_connected=up,
        credentials=lambda: [],
    )  # every check there is: Socket Mode, accounts with credential sources
    try:
        async with TestClient(TestServer(health)) as client:
            answer = await (await client.get("/readyz")).json()
    finally:
        store.close()
    assert listed == [key for key in answer if key != "ok"]
