"""Our credential calls and the emulator against the official SDK (huaweicloudsdkcore): the
requests we send are the ones the SDK builds, and the SDK's own metadata client and credential
parser accept what the emulator answers (so a misreading cannot hide behind a fake that
shares it)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.internal import (
    IamHelper,
    MetadataAccessor,
    OidcStsAccessor,
    StsAccessor,
    StsHelper,
)
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import SdkException
from huaweicloudsdkcore.http.http_client import HttpClient
from huaweicloudsdkcore.http.http_config import HttpConfig
from pydantic import SecretStr

from bot.config.credentials import EcsMetadata, Oidc, StaticKeys
from bot.huaweicloud.credential_sources import (
    build_provider,
    discover_project_id,
    sts_endpoint_for,
)
from bot.huaweicloud.credentials import SigningKeys
from bot.huaweicloud.iam import parse_credential
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_SK
from tests.credential_cloud import AGENCY_URN, PROVIDER_URN, REGION, cloud, sender

CONFIG = HttpConfig.get_default_config()


def _sdk_body(body: str | bytes) -> object:
    return json.loads(body)


async def test_oidc_requests_are_the_ones_the_sdk_builds(tmp_path: Path) -> None:
    token_file = tmp_path / "id-token"
    token_file.write_text("id-token-1")
    with cloud() as c:
        spec = Oidc(idp_id="idp-ci", id_token_file=token_file)
        provider = build_provider(spec, region=REGION, iam_endpoint=c.iam_url, now=c.clock)
        await provider.keys()
        (_, path1, headers1, body1), (_, path2, headers2, body2) = c.iam.requests

        sdk1 = IamHelper.get_create_unscoped_token_by_id_token_request(
            CONFIG, c.iam_url, "idp-ci", "id-token-1"
        )
        assert (path1, json.loads(body1)) == (sdk1.resource_path, _sdk_body(sdk1.body))
        assert headers1["x-idp-id"] == sdk1.header_params["X-Idp-Id"]
        assert headers1["content-type"] == sdk1.header_params["Content-Type"]

        subject = json.loads(body2)["auth"]["identity"]["token"]["id"]
        sdk2 = IamHelper.get_create_temporary_access_key_by_token_request(
            CONFIG, c.iam_url, subject, 6 * 60 * 60
        )
        assert (path2, json.loads(body2)) == (sdk2.resource_path, _sdk_body(sdk2.body))
        assert headers2["content-type"] == sdk2.header_params["Content-Type"]
        await provider.aclose()


async def test_project_lookup_is_the_one_the_sdk_builds() -> None:
    with cloud() as c:
        provider = build_provider(
            StaticKeys(ak=SANDBOX_AK, sk=SecretStr(SANDBOX_SK)), region=REGION
        )
        http = sender()
        await discover_project_id(
            provider, region=REGION, iam_endpoint=c.iam_url, sender=http, now=c.clock
        )
        sdk = IamHelper.get_keystone_list_projects_request(CONFIG, c.iam_url, REGION)
        query = "&".join(f"{k}={v}" for k, v in sdk.query_params)
        assert c.iam.requests[-1][:2] == (sdk.method, f"{sdk.resource_path}?{query}")
        await http.aclose()
        await provider.aclose()


def test_the_sdk_metadata_client_gets_keys_from_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDK's own ``MetadataAccessor`` (pointed at the emulator) and ours read the same
    answer the same way."""
    with cloud(lifetime=timedelta(hours=1)) as c:
        monkeypatch.setattr(MetadataAccessor, "_METADATA_ENDPOINT", c.iam_url)
        credential = MetadataAccessor().get_credential()
        issued = {k.ak: k for k in c.temporary.issued()}
        key = issued[credential.access]
        assert (credential.secret, credential.security_token) == (key.sk, key.security_token)
        sdk_calls = [(m, p, sorted(h)) for m, p, h, _ in c.iam.requests]

    with cloud(lifetime=timedelta(hours=1)) as c:

        async def ours() -> SigningKeys:
            provider = build_provider(EcsMetadata(endpoint=c.iam_url), region=REGION, now=c.clock)
            keys = await provider.keys()
            await provider.aclose()
            assert isinstance(keys, SigningKeys)
            return keys

        keys = asyncio.run(ours())
        our_calls = [(m, p) for m, p, _, _ in c.iam.requests]
        assert our_calls == [(m, p) for m, p, _ in sdk_calls]
        assert keys.ak in {k.ak for k in c.temporary.issued()}
        # the headers the SDK sends are among ours (metadata token and its TTL)
        for (_, _, sdk_headers), (_, _, our_headers, _) in zip(
            sdk_calls, c.iam.requests, strict=True
        ):
            wanted = {h for h in sdk_headers if h.startswith("x-metadata")}
            assert wanted <= set(our_headers)


def test_the_sdk_parses_the_emulated_credential_like_we_do() -> None:
    with cloud() as c:
        key = c.temporary.issue(timedelta(minutes=15), "fidelity")
        body = json.dumps(
            {
                "credential": {
                    "access": key.ak,
                    "secret": key.sk,
                    "securitytoken": key.security_token,
                    "expires_at": "2026-11-25T10:15:00.000000Z",
                }
            }
        )
        sdk = StsAccessor._process_credential(body)
        ours = parse_credential(body.encode(), "test")
        assert (sdk.access, sdk.secret, sdk.security_token) == (
            ours.ak,
            ours.sk.get_secret_value(),
            ours.security_token.get_secret_value() if ours.security_token else None,
        )
        # the SDK reads expires_at as local time (time.mktime); compare in that frame
        assert ours.expires_at is not None
        local = time.mktime(ours.expires_at.replace(tzinfo=None).timetuple())
        assert sdk.expire_at == local


# ---- OIDC at STS (v5 AssumeAgencyWithOIDC) ----------------------------------------------


def _sdk_http_client() -> HttpClient:
    return HttpClient(CONFIG, None, DefaultExceptionHandler(), logging.getLogger("sdk"))


async def test_our_sts_request_is_the_one_the_sdk_builds(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-1\n")
    with cloud() as c:
        spec = Oidc(
            via="sts",
            provider_urn=PROVIDER_URN,
            agency_urn=AGENCY_URN,
            id_token_file=token_file,
            sts_endpoint=c.iam_url,
        )
        provider = build_provider(spec, region=REGION, now=c.clock)
        await provider.keys()
        ((method, path, headers, body),) = c.iam.requests
        # the payload OidcStsAccessor makes with its defaults (session name, 1 h)
        payload = {
            "provider_urn": PROVIDER_URN,
            "agency_urn": AGENCY_URN,
            "agency_session_name": "oidc-sts-session",
            "id_token": "sa-token-1",
            "duration_seconds": 3600,
        }
        sdk = IamHelper.get_assume_agency_with_oidc_request(CONFIG, c.iam_url, payload)
        assert (method, path) == (sdk.method, sdk.resource_path)
        assert sdk.query_params == [] and "?" not in path
        assert body == sdk.body.encode()  # byte for byte: same keys, same order, same spacing
        assert headers["content-type"] == sdk.header_params["Content-Type"]
        assert headers["host"] == sdk.host
        assert "authorization" not in headers  # neither signs it
        await provider.aclose()


def test_the_sdk_sts_client_gets_keys_from_the_emulator_and_reads_them_like_we_do(
    tmp_path: Path,
) -> None:
    """The SDK's own ``OidcStsAccessor`` against the emulator: it gets keys (so the emulated
    answer is what the SDK reads), and our parser reads that answer the same way."""
    with cloud(lifetime=timedelta(hours=1)) as c:
        accessor = OidcStsAccessor(
            PROVIDER_URN, AGENCY_URN, "sa-token-1", agency_session_name="oidc-sts-session"
        )
        http = _sdk_http_client()
        credential = accessor.get_credential(http_client=http, sts_endpoint=c.iam_url)
        (key,) = c.temporary.issued()
        assert (credential.access, credential.secret, credential.security_token) == (
            key.ak,
            key.sk,
            key.security_token,
        )
        # the same answer through our parser
        sdk_request = c.iam.requests[-1]
        assert sdk_request[:2] == ("POST", "/v5/agencies/assume-with-oidc")
        answer = json.dumps(
            {
                "credentials": {
                    "access_key_id": key.ak,
                    "secret_access_key": key.sk,
                    "security_token": key.security_token,
                    "expiration": "2026-11-25T11:00:00.000000Z",
                }
            }
        )
        ours = parse_credential(answer.encode(), "test")
        sdk = StsAccessor._process_credential(answer)
        assert (ours.ak, ours.sk.get_secret_value()) == (sdk.access, sdk.secret)
        assert ours.security_token is not None
        assert ours.security_token.get_secret_value() == sdk.security_token
        assert ours.expires_at is not None
        assert sdk.expire_at == time.mktime(ours.expires_at.replace(tzinfo=None).timetuple())

        # a refused id token: the SDK reads the emulator's error body (code and message)
        refused = OidcStsAccessor(PROVIDER_URN, AGENCY_URN, "forged", "oidc-sts-session")
        with pytest.raises(SdkException) as caught:
            refused.get_credential(http_client=http, sts_endpoint=c.iam_url)
        assert "STS5.0401" in str(caught.value) and "invalid id_token" in str(caught.value)
        http.close()


@pytest.mark.parametrize("region", ["cn-north-4", "ap-southeast-1", "tr-west-1", "eu-west-101"])
def test_the_sts_endpoint_is_the_one_the_sdk_picks(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_STS_ENDPOINT", raising=False)
    assert sts_endpoint_for(region, {}) == StsHelper.get_sts_endpoint(region)
    monkeypatch.setenv("HUAWEICLOUD_SDK_STS_ENDPOINT", "https://sts.example.internal")
    assert sts_endpoint_for(region) == StsHelper.get_sts_endpoint(region)
