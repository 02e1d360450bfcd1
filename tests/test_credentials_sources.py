"""Each credential source against the emulated IAM / metadata service and the SDRS gateway:
the requests the SDK makes (paths, headers, bodies), the keys they give, and the gateway's
refusals of temporary keys sent wrongly."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config.credentials import (
    AssumeAgency,
    EcsMetadata,
    EnvironmentKeys,
    IamToken,
    Oidc,
    Profile,
    StaticKeys,
)
from bot.core.errors import AuthError, ConfigError, CredentialsUnavailable
from bot.huaweicloud.credential_sources import build_provider, discover_project_id
from bot.huaweicloud.credentials import AuthToken, SigningKeys
from bot.huaweicloud.http import CloudHttp
from bot.huaweicloud.iam import CredentialSourceError
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.signing import AkSkAuth
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, SANDBOX_TOKEN
from tests.credential_cloud import REGION, cloud, sender


async def test_static_keys_with_a_security_token_are_accepted_by_the_gateway() -> None:
    with cloud() as c:
        temp = c.temporary.issue(timedelta(minutes=15), "handed in")
        spec = StaticKeys(
            ak=temp.ak, sk=SecretStr(temp.sk), security_token=SecretStr(temp.security_token)
        )
        provider = build_provider(spec, region=REGION)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        sent = c.sdrs.requests[-1]
        assert sent.headers["x-security-token"] == temp.security_token
        assert "x-security-token" in sent.signed_headers()
        assert provider.status().ok and provider.status().source == "static"
        await client.aclose()
        await provider.aclose()


async def test_token_source_sends_x_auth_token() -> None:
    with cloud() as c:
        provider = build_provider(IamToken(token=SecretStr(SANDBOX_TOKEN)), region=REGION)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        assert c.sdrs.requests[-1].headers["x-auth-token"] == SANDBOX_TOKEN
        await client.aclose()
        await provider.aclose()


@pytest.mark.parametrize(
    ("token", "sign_token", "age_s", "message"),
    [
        (None, True, 0, "x-security-token not found"),
        ("st-someone-elses", True, 0, "decrypt security token fail"),
        ("right", True, 901, "security token expires, expires_at: 2026-11-25T10:15:00.000000Z"),
        ("right", False, 0, "verify aksk signature fail"),
    ],
)
async def test_gateway_refuses_temporary_keys_sent_wrongly(
    token: str | None, sign_token: bool, age_s: int, message: str
) -> None:
    with cloud() as c:
        temp = c.temporary.issue(timedelta(minutes=15), "test")
        c.clock.advance(age_s)
        value = temp.security_token if token == "right" else token
        auth = AkSkAuth(
            temp.ak,
            SecretStr(temp.sk),
            SANDBOX_PROJECT_ID,
            now=c.clock,
            security_token=SecretStr(value) if value and sign_token else None,
        )
        http = CloudHttp(c.sdrs_url, auth, max_attempts=1)
        if value and not sign_token:  # sent, but not among the signed headers
            original = auth.sign_headers

            def sign_then_add(*args: object, **kwargs: object) -> None:
                original(*args, **kwargs)  # type: ignore[arg-type]
                args[3]["X-Security-Token"] = value  # type: ignore[index]

            auth.sign_headers = sign_then_add  # type: ignore[method-assign]
        client = SdrsClient(http, SANDBOX_PROJECT_ID)
        with pytest.raises(AuthError) as caught:
            await client.list_protected_instances(limit=1)
        assert caught.value.status == 401 and caught.value.code == "APIGW.0301"
        assert caught.value.message == f"Incorrect IAM authentication information: {message}"
        await client.aclose()


async def test_ecs_metadata_uses_a_session_token_and_renews_it_when_refused() -> None:
    with cloud(lifetime=timedelta(seconds=100)) as c:
        provider = build_provider(EcsMetadata(endpoint=c.iam_url), region=REGION, now=c.clock)
        first = await provider.keys()
        c.iam.forget_metadata_sessions()  # the session token expired meanwhile
        c.clock.set(101)
        second = await provider.keys()
        assert isinstance(first, SigningKeys) and isinstance(second, SigningKeys)
        assert first.ak != second.ak
        assert first.expires_at is not None
        assert first.expires_at.isoformat() == "2026-11-25T10:01:40+00:00"
        calls = [(m, p, h.get("x-metadata-token-ttl-seconds")) for m, p, h, _ in c.iam.requests]
        assert calls == [
            ("PUT", "/meta-data/latest/api/token", "21600"),
            ("GET", "/openstack/latest/securitykey", None),
            ("GET", "/openstack/latest/securitykey", None),  # 401: session token unknown
            ("PUT", "/meta-data/latest/api/token", "21600"),
            ("GET", "/openstack/latest/securitykey", None),
        ]
        tokens = [h.get("x-metadata-token") for m, _, h, _ in c.iam.requests if m == "GET"]
        assert tokens[0] == tokens[1] != tokens[2]
        await provider.aclose()


async def test_ecs_without_an_agency_is_a_clear_failure() -> None:
    with cloud() as c:
        c.iam.state.ecs_agency = None
        provider = build_provider(EcsMetadata(endpoint=c.iam_url), region=REGION, now=c.clock)
        with pytest.raises(CredentialsUnavailable) as caught:
            await provider.keys()
        assert "Please configure Cloud Service Agency first" in caught.value.reason
        assert c.iam.counts["securitykey"] == 0
        await provider.aclose()


async def test_oidc_exchanges_the_id_token_read_from_its_file_at_each_refresh(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "id-token"
    token_file.write_text("id-token-1\n")
    with cloud(lifetime=timedelta(seconds=100)) as c:
        spec = Oidc(idp_id="idp-ci", id_token_file=token_file)
        provider = build_provider(spec, region=REGION, iam_endpoint=c.iam_url, now=c.clock)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)  # the gateway accepts the keys

        exchange, temporary = c.iam.requests
        assert exchange[:2] == ("POST", "/v3.0/OS-AUTH/id-token/tokens")
        assert exchange[2]["x-idp-id"] == "idp-ci"
        assert json.loads(exchange[3]) == {"auth": {"id_token": {"id": "id-token-1"}}}
        assert "authorization" not in exchange[2]  # the SDK does not sign it
        assert temporary[:2] == ("POST", "/v3.0/OS-CREDENTIAL/securitytokens")
        body = json.loads(temporary[3])
        assert body["auth"]["identity"]["methods"] == ["token"]
        assert body["auth"]["identity"]["token"]["duration_seconds"] == 21600
        assert body["auth"]["identity"]["token"]["id"].startswith("MII")

        c.iam.state.id_tokens["idp-ci"] = {"id-token-2"}  # the file is rotated
        token_file.write_text("id-token-2")
        c.clock.set(90)
        await provider.keys()
        await provider.refreshed()
        assert provider.status().last_error is None
        assert c.iam.counts["id-token"] == 2
        await client.aclose()
        await provider.aclose()


async def test_oidc_with_a_refused_id_token_records_the_reason(tmp_path: Path) -> None:
    token_file = tmp_path / "id-token"
    token_file.write_text("forged")
    with cloud() as c:
        spec = Oidc(idp_id="idp-ci", id_token_file=token_file)
        provider = build_provider(spec, region=REGION, iam_endpoint=c.iam_url, now=c.clock)
        with pytest.raises(CredentialsUnavailable, match="The id_token is invalid"):
            await provider.keys()
        status = provider.status()
        assert not status.ok and status.consecutive_failures == 1
        assert status.source == "oidc"
        token_file.unlink()
        c.clock.advance(5)
        with pytest.raises(CredentialsUnavailable, match="cannot be read"):
            await provider.keys()
        await provider.aclose()


async def test_assume_agency_with_metadata_keys_chain(tmp_path: Path) -> None:
    with cloud(lifetime=timedelta(seconds=100)) as c:
        spec = AssumeAgency(
            base=EcsMetadata(endpoint=c.iam_url),
            domain_name="acct-b",
            agency_name="sdrs-operator",
            duration_seconds=900,
        )
        provider = build_provider(spec, region=REGION, iam_endpoint=c.iam_url, now=c.clock)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)

        issued = {k.ak: k for k in c.temporary.issued()}
        base_key = next(k for k in issued.values() if k.issued_for.startswith("metadata"))
        agency_key = next(k for k in issued.values() if k.issued_for.startswith("agency"))
        assert agency_key.issued_for == "agency sdrs-operator@acct-b"
        method, path, headers, body = c.iam.requests[-1]
        assert (method, path) == ("POST", "/v3.0/OS-CREDENTIAL/securitytokens")
        assert json.loads(body) == {
            "auth": {
                "identity": {
                    "methods": ["assume_role"],
                    "assume_role": {
                        "agency_name": "sdrs-operator",
                        "duration_seconds": 900,
                        "domain_name": "acct-b",
                    },
                }
            }
        }
        # asked with the base (metadata) keys, security token signed
        assert f"Access={base_key.ak}," in headers["authorization"]
        assert headers["x-security-token"] == base_key.security_token
        assert "x-security-token" in headers["authorization"].split("SignedHeaders=")[1]
        sdrs_auth = c.sdrs.requests[-1].headers["authorization"]
        assert f"Access={agency_key.ak}," in sdrs_auth  # SDRS saw the agency's keys

        # both expire: the agency refresh renews the base keys first
        c.clock.set(150)
        await client.list_protected_instances(limit=1)
        assert c.iam.counts["securitykey"] == 2 and c.iam.counts["assume_role"] == 2
        status = provider.status()
        assert status.source == "assume-agency"
        assert status.description == "assume-agency sdrs-operator@acct-b via ecs-metadata"
        await client.aclose()
        await provider.aclose()


async def test_assume_an_agency_that_does_not_exist() -> None:
    with cloud() as c:
        spec = AssumeAgency(
            base=StaticKeys(ak=SANDBOX_AK, sk=SecretStr(SANDBOX_SK)),
            domain_id="no-such-domain",
            agency_name="sdrs-operator",
        )
        provider = build_provider(spec, region=REGION, iam_endpoint=c.iam_url, now=c.clock)
        with pytest.raises(CredentialsUnavailable, match="IAM.0004") as caught:
            await provider.keys()
        assert caught.value.source.startswith("assume-agency sdrs-operator@no-such-domain")
        assert json.loads(c.iam.requests[-1][3])["auth"]["identity"]["assume_role"] == {
            "agency_name": "sdrs-operator",
            "duration_seconds": 3600,
            "domain_id": "no-such-domain",
        }
        await provider.aclose()


async def test_assume_agency_refused_with_a_wrong_base_secret() -> None:
    with cloud() as c:
        spec = AssumeAgency(
            base=StaticKeys(ak=SANDBOX_AK, sk=SecretStr("wrong-secret")),
            domain_name="acct-b",
            agency_name="sdrs-operator",
        )
        provider = build_provider(spec, region=REGION, iam_endpoint=c.iam_url, now=c.clock)
        with pytest.raises(CredentialsUnavailable, match="verify aksk signature fail"):
            await provider.keys()
        assert c.iam.counts["assume_role"] == 0
        await provider.aclose()


async def test_environment_source_reads_the_sdk_variables(tmp_path: Path) -> None:
    with cloud() as c:
        temp = c.temporary.issue(timedelta(minutes=15), "env")
        env = {
            "HUAWEICLOUD_SDK_AK": temp.ak,
            "HUAWEICLOUD_SDK_SK": temp.sk,
            "HUAWEICLOUD_SDK_SECURITY_TOKEN": temp.security_token,
            "HUAWEICLOUD_SDK_PROJECT_ID": SANDBOX_PROJECT_ID,
        }
        provider = build_provider(EnvironmentKeys(), region=REGION, env=env)
        assert provider.project_id == SANDBOX_PROJECT_ID
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        await client.aclose()
        await provider.aclose()

        token_file = tmp_path / "tok"
        token_file.write_text("id-token-1")
        oidc_env = {
            **env,  # the SDK prefers idp id + id token file over AK/SK
            "HUAWEICLOUD_SDK_IDP_ID": "idp-ci",
            "HUAWEICLOUD_SDK_ID_TOKEN_FILE": str(token_file),
            "HUAWEICLOUD_SDK_IAM_ENDPOINT": c.iam_url,
        }
        provider = build_provider(EnvironmentKeys(), region=REGION, env=oidc_env, now=c.clock)
        keys = await provider.keys()
        assert isinstance(keys, SigningKeys) and keys.ak != temp.ak
        assert c.iam.counts["id-token"] == 1
        await provider.aclose()

        token_env = {"HUAWEICLOUD_SDK_AUTH_TOKEN": SANDBOX_TOKEN}
        provider = build_provider(EnvironmentKeys(), region=REGION, env=token_env)
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        assert c.sdrs.requests[-1].headers["x-auth-token"] == SANDBOX_TOKEN
        await client.aclose()
        await provider.aclose()

        with pytest.raises(ConfigError, match="HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"):
            build_provider(EnvironmentKeys(), region=REGION, env={"HUAWEICLOUD_SDK_AK": "x"})


async def test_profile_source_signs_with_the_profile_keys(tmp_path: Path) -> None:
    with cloud() as c:
        temp = c.temporary.issue(timedelta(minutes=15), "profile")
        path = tmp_path / "credentials"
        path.write_text(
            f"[basic]\nak = {temp.ak}\nsk = {temp.sk}\nsecurity_token = {temp.security_token}\n"
            f"project_id = {SANDBOX_PROJECT_ID}\n"
        )
        env = {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)}
        provider = build_provider(Profile(), region=REGION, env=env)
        assert provider.project_id == SANDBOX_PROJECT_ID
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        assert provider.status().description == f"profile [basic] of {path}"
        await client.aclose()
        await provider.aclose()


async def test_discover_project_id_by_region() -> None:
    with cloud() as c:
        provider = build_provider(
            StaticKeys(ak=SANDBOX_AK, sk=SecretStr(SANDBOX_SK)), region=REGION
        )
        http = sender()
        found = await discover_project_id(
            provider, region=REGION, iam_endpoint=c.iam_url, sender=http, now=c.clock
        )
        assert found == SANDBOX_PROJECT_ID
        method, path, headers, _ = c.iam.requests[-1]
        assert (method, path) == ("GET", "/v3/projects?name=cn-north-4")
        assert "x-project-id" not in headers  # not known yet, as in the SDK
        with pytest.raises(CredentialSourceError, match="several projects named 'cn-south-1'"):
            await discover_project_id(
                provider, region="cn-south-1", iam_endpoint=c.iam_url, sender=http, now=c.clock
            )
        with pytest.raises(CredentialSourceError, match="no project named 'eu-west-0'"):
            await discover_project_id(
                provider, region="eu-west-0", iam_endpoint=c.iam_url, sender=http, now=c.clock
            )
        await http.aclose()
        await provider.aclose()


async def test_discover_project_id_with_a_token() -> None:
    with cloud() as c:
        provider = build_provider(IamToken(token=SecretStr(SANDBOX_TOKEN)), region=REGION)
        assert isinstance(await provider.keys(), AuthToken)
        found = await discover_project_id(provider, region=REGION, iam_endpoint=c.iam_url)
        assert found == SANDBOX_PROJECT_ID
        await provider.aclose()


async def test_permanent_keys_through_a_provider_sign_as_before() -> None:
    """What main's wiring becomes with a static provider: the same request, no token header."""
    with cloud() as c:
        provider = build_provider(
            StaticKeys(ak=SANDBOX_AK, sk=SecretStr(SANDBOX_SK)), region=REGION
        )
        client = c.client(provider)
        await client.list_protected_instances(limit=1)
        sent = c.sdrs.requests[-1]
        assert "x-security-token" not in sent.headers
        assert sent.signed_headers() == [
            "content-type",
            "host",
            "user-agent",
            "x-project-id",
            "x-sdk-date",
        ]
        await client.aclose()
        await provider.aclose()
