"""The OIDC source's STS route (``via = "sts"``: STS v5 ``AssumeAgencyWithOIDC``) against the
emulated STS and the SDRS gateway: the one unsigned call the SDK makes, keys the gateway
accepts with their security token, renewal across expiries with the id token file re-read,
the endpoint's precedence, and refusals that fail clearly with nothing sent to SDRS."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config.credentials import Oidc
from bot.core.errors import CloudError, CredentialsUnavailable
from bot.huaweicloud.credential_sources import build_provider
from bot.huaweicloud.credentials import SigningKeys
from tests.credential_cloud import AGENCY_URN, PROVIDER_URN, REGION, START, cloud

STS_PATH = "/v5/agencies/assume-with-oidc"


def _spec(token_file: Path, **extra: object) -> Oidc:
    fields: dict[str, object] = {
        "kind": "oidc",
        "via": "sts",
        "provider_urn": PROVIDER_URN,
        "agency_urn": AGENCY_URN,
        "id_token_file": token_file,
        **extra,
    }
    return Oidc.model_validate(fields)


def _signing_ak(authorization: str) -> str:
    return authorization.split("Access=")[1].split(",")[0]


async def test_sts_keys_sign_sdrs_calls_and_are_renewed_across_expiries(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-1\n")
    with cloud(lifetime=timedelta(seconds=100)) as c:
        spec = _spec(token_file, sts_endpoint=c.iam_url)
        provider = build_provider(spec, region=REGION, now=c.clock)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)  # the gateway accepts the keys

        (call,) = c.iam.requests
        method, path, headers, body = call
        assert (method, path) == ("POST", STS_PATH)
        assert json.loads(body) == {
            "provider_urn": PROVIDER_URN,
            "agency_urn": AGENCY_URN,
            "agency_session_name": "oidc-sts-session",
            "id_token": "sa-token-1",
            "duration_seconds": 3600,
        }
        assert headers["content-type"] == "application/json;charset=UTF-8"
        assert "authorization" not in headers and "x-security-token" not in headers  # unsigned
        sent = c.sdrs.requests[-1]
        (key,) = c.temporary.issued()
        assert sent.headers["x-security-token"] == key.security_token
        assert "x-security-token" in sent.signed_headers()
        assert _signing_ak(sent.headers["authorization"]) == key.ak

        # the projected token rotates; requests go on across three expiries, none fails
        c.iam.state.oidc_providers[PROVIDER_URN] = {"sa-token-2": None}
        token_file.write_text("sa-token-2")
        for second in range(10, 400, 10):
            c.clock.set(second)
            await asyncio.gather(*(client.list_protected_instances(limit=1) for _ in range(5)))
            await provider.refreshed()
        status = provider.status()
        assert status.ok and status.last_error is None and status.source == "oidc"
        assert status.description == f"oidc via sts, agency {AGENCY_URN}"
        assert c.iam.counts["assume-with-oidc"] == status.refreshes >= 4
        assert json.loads(c.iam.requests[-1][3])["id_token"] == "sa-token-2"
        aks = {
            _signing_ak(r.headers["authorization"])
            for r in c.sdrs.requests
            if r.path.startswith("/v1/")
        }
        assert len(aks) >= 4  # each renewed key signed in turn
        await client.aclose()
        await provider.aclose()


async def test_the_sts_endpoint_spec_then_environment_then_region(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-1")
    with cloud() as c:
        env = {"HUAWEICLOUD_SDK_STS_ENDPOINT": c.iam_url}
        provider = build_provider(_spec(token_file), region=REGION, env=env, now=c.clock)
        keys = await provider.keys()
        assert isinstance(keys, SigningKeys) and keys.security_token is not None
        assert keys.expires_at == START + timedelta(seconds=3600)  # what was asked for
        await provider.aclose()

        # the spec's sts_endpoint wins over the variable (which points nowhere here)
        nowhere = {"HUAWEICLOUD_SDK_STS_ENDPOINT": "http://127.0.0.1:9"}
        spec = _spec(
            token_file,
            sts_endpoint=c.iam_url,
            duration_seconds=900,
            agency_session_name="sdrs-bot-prod",
        )
        provider = build_provider(spec, region=REGION, env=nowhere, now=c.clock)
        await provider.keys()
        body = json.loads(c.iam.requests[-1][3])
        assert (body["duration_seconds"], body["agency_session_name"]) == (900, "sdrs-bot-prod")
        assert c.iam.counts["assume-with-oidc"] == 2
        await provider.aclose()


@pytest.mark.parametrize(
    ("token", "state", "reason"),
    [
        ("forged", {}, "STS5.0401"),
        ("sa-old", {"expired": True}, "id_token has expired"),
        ("sa-token-1", {"untrusted": True}, "does not trust"),
    ],
)
async def test_a_refused_id_token_is_a_clear_failure_and_nothing_is_sent(
    tmp_path: Path, token: str, state: dict[str, bool], reason: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(token)
    with cloud() as c:
        if state.get("expired"):
            c.iam.state.oidc_providers[PROVIDER_URN]["sa-old"] = START - timedelta(seconds=1)
        if state.get("untrusted"):
            c.iam.state.trust_agencies[AGENCY_URN] = set()
        provider = build_provider(
            _spec(token_file, sts_endpoint=c.iam_url), region=REGION, now=c.clock
        )
        client = c.client(provider)
        with pytest.raises(CredentialsUnavailable) as caught:
            await client.list_protected_instances(limit=1)
        assert reason in str(caught.value) and "oidc via sts" in str(caught.value)
        assert isinstance(caught.value, CloudError)
        assert c.sdrs_calls() == 0  # nothing reached SDRS
        status = provider.status()
        assert not status.ok and status.consecutive_failures == 1
        assert status.last_error is not None and "AuthError" in status.last_error
        assert token not in (status.last_error + str(caught.value))  # the id token is secret
        await client.aclose()
        await provider.aclose()


async def test_sts_down_keeps_the_keys_until_they_expire_then_fails_clearly(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-1")
    with cloud(lifetime=timedelta(seconds=100)) as c:
        provider = build_provider(
            _spec(token_file, sts_endpoint=c.iam_url), region=REGION, now=c.clock
        )
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        c.iam.down = {"sts"}
        c.clock.set(90)  # due: the refresh fails, the current keys are still used
        await client.list_protected_instances(limit=1)
        await provider.refreshed()
        assert provider.status().ok and provider.status().consecutive_failures == 1
        c.clock.set(101)
        sent = c.sdrs_calls()
        with pytest.raises(CredentialsUnavailable, match="service unavailable"):
            await client.list_protected_instances(limit=1)
        assert c.sdrs_calls() == sent and not provider.status().ok
        c.iam.down = set()
        c.clock.set(140)
        await client.list_protected_instances(limit=1)  # the source answers again: back
        assert provider.status().ok
        await client.aclose()
        await provider.aclose()
