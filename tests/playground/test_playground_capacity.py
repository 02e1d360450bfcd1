"""The playground's capacity cases, read as the bot reads them (its clients against each
account's emulator): in both accounts ``c7.xlarge.2`` is sold out in the DR zone, so a resize of
erp-db's DR site to it is refused before Confirm; the dr-ap project is near its ECS cores quota
(s6.xlarge.2 on both of erp-db's sites fits, s6.2xlarge.2 does not), prod-cn has room."""

from __future__ import annotations

from pydantic import SecretStr

from bot.core.intents import ResizeIntent
from bot.core.preflight import Refusal, ResizeState, check_resize
from bot.huaweicloud.reads import read_instance_state
from bot.huaweicloud.wiring import build_clients
from bot.playground.run import DR_PREFIX, AccountSetup, _accounts
from bot.sandbox.seed import sid
from bot.sandbox.server import Emulator, EmulatorThread
from tests.conftest import sandbox_settings


async def read(account: AccountSetup, key: str) -> ResizeState:
    with EmulatorThread(Emulator(account.world, account.project_id)) as running:
        settings = sandbox_settings(
            running.url,
            huaweicloud_sdk_ak=account.ak,
            huaweicloud_sdk_sk=SecretStr(account.sk),
            huaweicloud_sdk_project_id=account.project_id,
        )
        clients = build_clients(settings)
        try:
            return await read_instance_state(
                clients.sdrs, clients.ecs, sid(key), ["production", "dr"]
            )
        finally:
            await clients.aclose()


async def test_the_playground_has_a_sold_out_flavor_and_a_project_near_its_core_quota() -> None:
    prod, dr = _accounts(1.0)
    for account, key in ((prod, "pi-erp-db"), (dr, DR_PREFIX + "pi-erp-db")):
        state = await read(account, key)
        intent = ResizeIntent(instance_id=sid(key), dr_flavor="c7.xlarge.2")
        assert check_resize(intent, state).refusal is Refusal.FLAVOR_NOT_IN_ZONE, account.name
        room = check_resize(ResizeIntent(instance_id=sid(key), flavor="s6.2xlarge.2"), state)
        expected = Refusal.QUOTA if account is dr else None  # only dr-ap is near its quota
        assert room.refusal is expected, account.name
        fits = check_resize(ResizeIntent(instance_id=sid(key), flavor="s6.xlarge.2"), state)
        assert fits.allowed, account.name
