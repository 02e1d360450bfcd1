"""Source specs as the accounts file gives them (validated, secrets hidden) and the SDK's
credentials file (every problem named, no value echoed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config.credentials import (
    AssumeAgency,
    EcsMetadata,
    Oidc,
    Profile,
    StaticKeys,
    describe,
    parse_source,
)
from bot.core.errors import ConfigError
from bot.huaweicloud.credential_profile import read_profile


def test_a_nested_agency_source_parses_from_a_toml_like_table() -> None:
    spec = parse_source(
        {
            "kind": "assume-agency",
            "agency_name": "sdrs-operator",
            "domain_name": "acct-b",
            "duration_seconds": 1800,
            "base": {"kind": "ecs-metadata"},
        }
    )
    assert isinstance(spec, AssumeAgency)
    assert spec.base == EcsMetadata(endpoint="http://169.254.169.254")
    assert describe(spec) == "assume-agency sdrs-operator@acct-b via ecs-metadata"


STS: dict[str, object] = {
    "kind": "oidc",
    "via": "sts",
    "provider_urn": "iam::acct:identity-provider:cce",
    "agency_urn": "iam::acct:agency:bot",
    "id_token_file": "/var/run/secrets/tokens/oidc-token",
}


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"kind": "magic"}, "credentials: Input tag 'magic' found using 'kind' does not match"),
        ({"kind": "static", "ak": "AK"}, "credentials.static.sk: Field required"),
        ({"kind": "static", "ak": " AK", "sk": "s"}, "ak has leading or trailing spaces"),
        ({"kind": "static", "ak": "AK", "sk": ""}, "credentials.static.sk: Value error, sk must"),
        (
            {"kind": "assume-agency", "agency_name": "a", "base": {"kind": "environment"}},
            "give exactly one of domain_name and domain_id",
        ),
        (
            {
                "kind": "assume-agency",
                "agency_name": "a",
                "domain_id": "d",
                "duration_seconds": 60,
                "base": {"kind": "environment"},
            },
            "duration_seconds: Input should be greater than or equal to 900",
        ),
        ({"kind": "ecs-metadata", "endpoint": "169.254.169.254"}, "must be an http(s) URL"),
        ({"kind": "oidc", "idp_id": "x"}, "credentials.oidc.id_token_file: Field required"),
        ({"kind": "oidc", "id_token_file": "/t"}, "credentials.oidc: Value error, idp_id is requi"),
        ({**STS, "via": "ldap"}, "credentials.oidc.via: Input should be 'iam' or 'sts'"),
        (
            {"kind": "oidc", "idp_id": "x", "id_token_file": "/t", "agency_urn": "a"},
            'credentials.oidc: Value error, agency_urn: only with via = "sts"',
        ),
        (
            {"kind": "oidc", "via": "sts", "provider_urn": "p", "id_token_file": "/t"},
            'credentials.oidc: Value error, via = "sts" needs agency_urn',
        ),
        ({**STS, "idp_id": "x"}, 'idp_id is for via = "iam"; STS names the provider by provider'),
        ({**STS, "duration_seconds": 43201}, "duration_seconds: STS gives at most 43200"),
        ({**STS, "duration_seconds": 600}, "credentials.oidc.duration_seconds: Input should be g"),
        ({**STS, "sts_endpoint": "sts.example"}, "credentials.oidc.sts_endpoint: Value error, st"),
        ({**STS, "agency_urn": " a"}, "agency_urn has leading or trailing spaces"),
        ({**STS, "agency_session_name": ""}, "agency_session_name must not be empty"),
        ({"kind": "static", "ak": "A", "sk": "s", "region": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_sources_name_the_problem(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_source(table)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_an_oidc_source_at_sts_parses_with_the_sdk_defaults() -> None:
    spec = parse_source(STS)
    assert isinstance(spec, Oidc) and spec.via == "sts"
    assert (spec.duration_seconds, spec.session_name) == (3600, "oidc-sts-session")
    assert describe(spec) == "oidc via sts, agency iam::acct:agency:bot"
    iam = parse_source({"kind": "oidc", "idp_id": "idp", "id_token_file": "/t"})
    assert isinstance(iam, Oidc) and (iam.via, iam.duration_seconds) == ("iam", 21600)
    assert describe(iam) == "oidc idp idp"  # the IAM route as before


def test_secrets_stay_out_of_repr_and_errors() -> None:
    spec = StaticKeys(ak="AK", sk=SecretStr("sk-very-secret"), security_token=SecretStr("st-1"))
    assert "sk-very-secret" not in repr(spec) and "st-1" not in repr(spec)
    with pytest.raises(ConfigError) as caught:
        parse_source({"kind": "static", "ak": "AK", "sk": "sk-very-secret", "oops": 1})
    assert "sk-very-secret" not in str(caught.value)


def test_specs_are_frozen() -> None:
    spec = Oidc(idp_id="idp", id_token_file=Path("/tok"))
    with pytest.raises(ValueError, match="frozen"):
        spec.idp_id = "other"  # type: ignore[misc]


# ---- the SDK's credentials file ---------------------------------------------------------


def test_profile_file_from_the_environment_variable(tmp_path: Path) -> None:
    path = tmp_path / "creds.ini"
    path.write_text(
        "[basic]\nak = AK1\nsk = SK1\nsecurity_token = ST1\nproject_id = p1\n"
        "iam_endpoint = https://iam.example\n\n[other]\nak = AK2\nsk = SK2\n"
    )
    values = read_profile(None, "basic", {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)})
    assert values.ak == "AK1" and values.sk is not None and values.sk.get_secret_value() == "SK1"
    assert values.security_token is not None
    assert values.security_token.get_secret_value() == "ST1"
    assert (values.project_id, values.iam_endpoint) == ("p1", "https://iam.example")
    assert read_profile(path, "other", {}).ak == "AK2"


def test_profile_default_path_is_in_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".huaweicloud").mkdir()
    (tmp_path / ".huaweicloud" / "credentials").write_text("[basic]\nak = A\nsk = S\n")
    assert read_profile(None, Profile().name, {}).ak == "A"


def test_profile_with_oidc_fields(tmp_path: Path) -> None:
    path = tmp_path / "c"
    path.write_text("[basic]\nidp_id = idp\nid_token_file = /var/run/token\nak = A\nsk = S\n")
    values = read_profile(path, "basic", {})
    assert values.idp_id == "idp" and values.id_token_file == Path("/var/run/token")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "does not exist"),
        ("ak = A\nsk = SECRET-1\n", "line 1: a key before any [section]"),
        ("[basic]\nak = A\nak = B\nsk = SECRET-1\n", "line 3: key 'ak' repeated in [basic]"),
        ("[basic]\nak = A\n[basic]\nsk = SECRET-1\n", "line 3: section [basic] repeated"),
        ("[basic]\nak = A\nSECRET-1\n", "unparsable line(s) 3"),
        ("[global]\nak = A\nsk = SECRET-1\n", "has no [basic] section (sections: [global])"),
        ("[basic]\nak = A\n", "[basic]: ak and sk (or idp_id and id_token_file) are required"),
        ("[basic]\nidp_id = i\nsk = SECRET-1\n", "[basic]: idp_id and id_token_file go together"),
        ("[basic]\nak = A\nsk = SECRET-1\nsecret_key = x\n", "[basic]: unknown key 'secret_key'"),
    ],
)
def test_profile_problems_are_named_without_values(
    tmp_path: Path, text: str | None, problem: str
) -> None:
    path = tmp_path / "credentials"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_profile(path, "basic", {})
    message = str(caught.value)
    assert problem in message and str(path) in message
    assert "SECRET-1" not in message
