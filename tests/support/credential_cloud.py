"""A controllable clock, and the SDRS emulator plus the IAM / STS / metadata emulator sharing it
and the temporary keys IAM issues (both real local servers on port 0)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.huaweicloud.aiohttp_transport import AiohttpSender
from bot.huaweicloud.credentials import CredentialProvider
from bot.huaweicloud.http import CloudHttp
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.signing import ProviderAuth
from bot.sandbox.gateway import TemporaryKeys
from bot.sandbox.seed import (
    SANDBOX_AK,
    SANDBOX_PROJECT_ID,
    SANDBOX_SK,
    SANDBOX_TOKEN,
    seeded_world,
)
from bot.sandbox.server import Emulator, EmulatorThread
from tests.support.iam import IamEmulator, IamState, IamThread

START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
REGION = "cn-north-4"
# STS: the IAM (new) OIDC provider of the CCE cluster and the trust agency that trusts it
PROVIDER_URN = "iam::0a1b2c3d4e5f60718293a4b5c6d7e8f9:identity-provider:cce-workload"
AGENCY_URN = "iam::0a1b2c3d4e5f60718293a4b5c6d7e8f9:agency:sdrs-bot"


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)

    def set(self, seconds_after_start: float) -> None:
        self.at = START + timedelta(seconds=seconds_after_start)


@dataclass
class Cloud:
    clock: FakeClock
    sdrs: Emulator
    sdrs_url: str
    iam: IamEmulator
    iam_url: str
    temporary: TemporaryKeys

    def client(self, provider: CredentialProvider) -> SdrsClient:
        """An SDRS client signing every attempt with a snapshot of ``provider``."""
        auth = ProviderAuth(provider, SANDBOX_PROJECT_ID, now=self.clock)
        http = CloudHttp(self.sdrs_url, auth, max_attempts=1, max_connections=100)
        return SdrsClient(http, SANDBOX_PROJECT_ID)

    def sdrs_calls(self) -> int:
        return sum(1 for r in self.sdrs.requests if r.path.startswith("/v1/"))


@contextmanager
def cloud(lifetime: timedelta | None = None) -> Iterator[Cloud]:
    clock = FakeClock()
    world = seeded_world(now=clock, job_init_seconds=0.05, job_seconds=0.3)
    temporary = TemporaryKeys(clock)
    state = IamState(
        permanent={SANDBOX_AK: SANDBOX_SK},
        tokens={SANDBOX_TOKEN},
        projects={REGION: [SANDBOX_PROJECT_ID], "cn-south-1": ["p-south-a", "p-south-b"]},
        agencies={("acct-b", "sdrs-operator")},
        id_tokens={"idp-ci": {"id-token-1"}},
        oidc_providers={PROVIDER_URN: {"sa-token-1": None}},
        trust_agencies={AGENCY_URN: {PROVIDER_URN}},
    )
    iam = IamEmulator(temporary, state, lifetime=lifetime)
    with (
        EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID, temporary=temporary)) as sdrs,
        IamThread(iam) as iam_thread,
    ):
        yield Cloud(clock, sdrs.emulator, sdrs.url, iam, iam_thread.url, temporary)


def sender() -> AiohttpSender:
    return AiohttpSender(max_connections=8)
