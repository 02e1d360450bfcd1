"""Temporary keys are refreshed ahead of expiry, once for many callers, never handed out
expired; a failing source keeps the old keys until they expire, then fails clearly. Against the
real SDRS and IAM/metadata emulators with one controllable clock (no sleeping)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.config.credentials import EcsMetadata
from bot.core.errors import CredentialsUnavailable
from bot.huaweicloud.credential_sources import build_provider
from bot.huaweicloud.credentials import (
    CredentialProvider,
    SigningKeys,
    refresh_margin,
    retry_delay,
)
from bot.huaweicloud.http import CloudHttp
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.signing import ProviderAuth
from bot.sandbox.faults import Fault
from bot.sandbox.seed import SANDBOX_PROJECT_ID
from tests.credential_cloud import REGION, START, Cloud, cloud


def metadata_provider(c: Cloud) -> CredentialProvider:
    return build_provider(EcsMetadata(endpoint=c.iam_url), region=REGION, now=c.clock)


@pytest.mark.parametrize(
    ("lifetime_s", "margin_s"),
    [(900, 180), (3600, 600), (6 * 3600, 600), (60, 12), (0, 0), (-5, 0)],
)
def test_refresh_margin_is_a_fifth_of_the_lifetime_at_most_ten_minutes(
    lifetime_s: int, margin_s: int
) -> None:
    assert refresh_margin(START, START + timedelta(seconds=lifetime_s)) == timedelta(
        seconds=margin_s
    )


@pytest.mark.parametrize(
    ("failures", "seconds"), [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (60, 30)]
)
def test_retry_delay_doubles_up_to_thirty_seconds(failures: int, seconds: int) -> None:
    assert retry_delay(failures) == timedelta(seconds=seconds)


async def test_cold_start_with_many_callers_fetches_once() -> None:
    with cloud(lifetime=timedelta(seconds=900)) as c:
        provider = metadata_provider(c)
        snapshots = await asyncio.gather(*(provider.keys() for _ in range(100)))
        assert c.iam.counts["securitykey"] == 1
        assert len({id(s) for s in snapshots}) == 1
        await provider.aclose()


async def test_concurrent_requests_across_expiries_never_fail_and_refresh_as_the_margin_says() -> (
    None
):
    # lifetime 60 s -> margin 12 s; waves of 40 concurrent requests every 8 s for 192 s
    # (more than three lifetimes). Keys are due at 48 s after each fetch, so the fetches are
    # at 0, 48, 96, 144 and 192 s: five, whatever the number of callers.
    with cloud(lifetime=timedelta(seconds=60)) as c:
        provider = metadata_provider(c)
        client = c.client(provider)
        used: set[str] = set()
        for wave in range(25):
            c.clock.set(8 * wave)
            results = await asyncio.gather(
                *(client.list_protected_instances(limit=1) for _ in range(40)),
                return_exceptions=True,
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            assert failures == [], f"wave at {8 * wave}s: {failures[:3]}"
            await provider.refreshed()  # settle before the clock moves on
            keys = await provider.keys()
            assert isinstance(keys, SigningKeys)
            used.add(keys.ak)
        assert c.iam.counts["securitykey"] == 5
        assert len(used) == 5
        assert provider.status().refreshes == 5
        await client.aclose()
        await provider.aclose()


async def test_expired_keys_are_never_used_callers_wait_for_the_one_refresh() -> None:
    # each step jumps past the whole lifetime: every wave finds expired keys, 200 callers wait
    # for one refresh and none of them signs with the expired keys
    with cloud(lifetime=timedelta(seconds=30)) as c:
        provider = metadata_provider(c)
        client = c.client(provider)
        for wave in range(3):
            c.clock.set(100 * wave)
            results = await asyncio.gather(
                *(client.list_protected_instances(limit=1) for _ in range(200)),
                return_exceptions=True,
            )
            assert [r for r in results if isinstance(r, BaseException)] == []
        assert c.iam.counts["securitykey"] == 3
        await client.aclose()
        await provider.aclose()


async def test_metadata_down_keeps_old_keys_until_expiry_then_fails_clearly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with cloud(lifetime=timedelta(seconds=100)) as c:  # margin 20 s: due at 80 s
        provider = metadata_provider(c)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        first = await provider.keys()
        assert isinstance(first, SigningKeys)

        c.iam.down.add("metadata")
        c.clock.set(85)
        await client.list_protected_instances(limit=1)  # old keys, refresh starts and fails
        await provider.refreshed()
        status = provider.status()
        assert status.ok and status.consecutive_failures == 1
        assert status.last_error is not None and "503" in status.last_error
        assert status.expires_at == first.expires_at
        assert status.as_dict() == {
            "ok": True,
            "source": "ecs-metadata",
            "description": "ecs-metadata",
            "expires_at": "2026-11-25T10:01:40+00:00",
            "last_error": "ServerError: HTTP.503 (HTTP 503): service unavailable",
            "consecutive_failures": 1,
            "refreshes": 1,
        }
        asked = len(c.iam.requests)
        await client.list_protected_instances(limit=1)  # within the back-off: no new attempt
        assert len(c.iam.requests) == asked

        c.clock.set(101)  # expired, source still down
        sent = c.sdrs_calls()
        with pytest.raises(CredentialsUnavailable) as caught:
            await client.list_protected_instances(limit=1)
        assert c.sdrs_calls() == sent  # nothing was sent with keys the gateway would refuse
        assert caught.value.source == "ecs-metadata"
        assert "503" in str(caught.value) and "expired" in str(caught.value)
        assert caught.value.url.endswith("/protected-instances?limit=1")
        status = provider.status()
        assert not status.ok and status.consecutive_failures == 2

        c.iam.down.clear()
        c.clock.set(101 + 30)  # after the back-off
        await client.list_protected_instances(limit=1)
        status = provider.status()
        assert status.ok and status.consecutive_failures == 0 and status.last_error is None
        assert c.iam.counts["securitykey"] == 2
        secret = first.sk.get_secret_value()
        assert first.security_token is not None
        for text in (caplog.text, repr(status), str(caught.value), repr(first), repr(provider)):
            assert secret not in text
            assert first.security_token.get_secret_value() not in text
        await client.aclose()
        await provider.aclose()


async def test_a_request_signs_with_one_snapshot_ak_and_token_together() -> None:
    with cloud(lifetime=timedelta(seconds=100)) as c:
        provider = metadata_provider(c)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        c.clock.set(85)
        await asyncio.gather(*(client.list_protected_instances(limit=1) for _ in range(20)))
        await provider.refreshed()
        await client.list_protected_instances(limit=1)
        issued = {k.ak: k.security_token for k in c.temporary.issued()}
        seen = set()
        for r in c.sdrs.requests:
            ak = r.headers["authorization"].split("Access=")[1].split(",")[0]
            assert r.headers["x-security-token"] == issued[ak]
            assert "x-security-token" in r.signed_headers()
            assert r.headers["x-project-id"] == SANDBOX_PROJECT_ID
            seen.add(ak)
        assert len(seen) == 2
        await client.aclose()
        await provider.aclose()


async def test_a_retry_signs_with_a_fresh_snapshot_when_the_keys_expired_meanwhile() -> None:
    """Each attempt awaits its own snapshot: a GET retried after a 503 whose back-off outlived
    the keys is signed with the new keys, not the expired ones."""
    with cloud(lifetime=timedelta(seconds=100)) as c:
        provider = metadata_provider(c)
        auth = ProviderAuth(provider, SANDBOX_PROJECT_ID, now=c.clock)

        async def slow_backoff(seconds: float) -> None:
            c.clock.advance(120)  # the retry comes after the first keys expired

        http = CloudHttp(c.sdrs_url, auth, max_attempts=2, sleep=slow_backoff)
        client = SdrsClient(http, SANDBOX_PROJECT_ID)
        c.sdrs.faults.add(Fault(kind="status", status=503, path_contains="protected-instances"))
        await client.list_protected_instances(limit=1)
        first, second = (r.headers["authorization"] for r in list(c.sdrs.requests)[-2:])
        assert first.split(",")[0] != second.split(",")[0]  # another AK
        assert c.iam.counts["securitykey"] == 2
        await client.aclose()
        await provider.aclose()


async def test_keys_already_expired_by_our_clock_are_a_recorded_failure() -> None:
    with cloud(lifetime=timedelta(seconds=100)) as c:
        c.clock.set(0)
        # the metadata service's clock is 200 s behind ours
        c.temporary.now = lambda: c.clock() - timedelta(seconds=200)
        provider = metadata_provider(c)
        with pytest.raises(CredentialsUnavailable, match="clock skew") as caught:
            await provider.keys()
        assert "expired at 2026-11-25T09:58:20+00:00" in str(caught.value)
        assert provider.status().consecutive_failures == 1
        await provider.aclose()
