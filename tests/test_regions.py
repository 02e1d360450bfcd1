"""Our endpoint table (bot/core/regions.py) against the official SDK's region tables.

The SDK packages are test-only dependencies: the bot ships its own table, and these tests read
every region of each SDK table from the installed packages and hold ours to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.internal import IamHelper, StsHelper
from huaweicloudsdkdeh.v1.region.deh_region import DeHRegion
from huaweicloudsdkecs.v2.region.ecs_region import EcsRegion
from huaweicloudsdkiam.v3.region.iam_region import IamRegion
from huaweicloudsdksdrs.v1.region.sdrs_region import SdrsRegion
from huaweicloudsdksts.v1.region.sts_region import StsRegion

from bot.check import endpoint_source
from bot.config.accounts import load_accounts
from bot.config.diagnostics import problems
from bot.config.settings import Settings
from bot.core.errors import ConfigError
from bot.core.regions import SERVICES, endpoint_for, table
from bot.huaweicloud.credential_sources import iam_endpoint_for, sts_endpoint_for

SDK_TABLES = {
    "sdrs": SdrsRegion,
    "ecs": EcsRegion,
    "deh": DeHRegion,
    "iam": IamRegion,
    "sts": StsRegion,
}
OUTSIDE_EVERY_TABLE = "xx-nowhere-9"


def _sdk_table(service: str) -> dict[str, str]:
    found = {}
    for region_id, region in SDK_TABLES[service].static_fields.items():
        assert len(region.endpoints) == 1, (service, region_id, region.endpoints)
        found[region_id] = region.endpoints[0]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_region_of_the_sdk_table_gives_the_sdks_endpoint(service: str) -> None:
    sdk = _sdk_table(service)
    assert sdk, f"the SDK's {service} table is empty: is the package the one expected?"
    assert table(service) == sdk
    for region_id, url in sdk.items():
        assert endpoint_for(service, region_id) == url
        assert SDK_TABLES[service].value_of(region_id).endpoints == [url]


def test_the_sdks_own_exceptions_are_kept() -> None:
    # the SDK's table is not https://{service}.{region}.myhuaweicloud.com everywhere
    assert endpoint_for("sdrs", "ap-southeast-2") == "https://sdrs.ap-southeast-3.myhuaweicloud.com"
    assert endpoint_for("iam", "eu-west-101") == "https://iam.eu-west-101.myhuaweicloud.eu"


@pytest.mark.parametrize("service", ["sdrs", "ecs", "deh"])
def test_outside_its_table_a_service_has_no_endpoint_as_in_the_sdk(service: str) -> None:
    with pytest.raises(KeyError):
        SDK_TABLES[service].value_of(OUTSIDE_EVERY_TABLE)
    assert endpoint_for(service, OUTSIDE_EVERY_TABLE) is None


def test_outside_their_tables_iam_and_sts_fall_back_as_the_sdk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", raising=False)
    monkeypatch.delenv("HUAWEICLOUD_SDK_STS_ENDPOINT", raising=False)
    assert IamHelper.get_iam_endpoint(OUTSIDE_EVERY_TABLE) == "https://iam.myhuaweicloud.com"
    assert iam_endpoint_for(OUTSIDE_EVERY_TABLE, {}) == IamHelper.get_iam_endpoint(
        OUTSIDE_EVERY_TABLE
    )
    assert sts_endpoint_for(OUTSIDE_EVERY_TABLE, {}) == StsHelper.get_sts_endpoint(
        OUTSIDE_EVERY_TABLE
    )
    # inside the table the credential code agrees with the SDK's own IAM/STS helpers
    for region_id in _sdk_table("iam"):
        if region_id != "eu-west-101":  # IamRegion has it (.eu); the core's helper table not
            assert iam_endpoint_for(region_id, {}) == IamHelper.get_iam_endpoint(region_id)
    for region_id in _sdk_table("sts"):
        assert sts_endpoint_for(region_id, {}) == StsHelper.get_sts_endpoint(region_id)


def test_the_settings_take_the_table_and_an_explicit_endpoint_wins() -> None:
    settings = Settings(_env_file=None, huaweicloud_sdk_region="ap-southeast-2")
    assert settings.sdrs_base_url == "https://sdrs.ap-southeast-3.myhuaweicloud.com"
    assert settings.ecs_base_url == "https://ecs.ap-southeast-2.myhuaweicloud.com"
    given = settings.model_copy(update={"sdrs_endpoint": "https://sdrs.example.internal"})
    assert given.sdrs_base_url == "https://sdrs.example.internal"


def test_a_region_without_an_sdrs_endpoint_is_refused_at_start_saying_what_to_set() -> None:
    settings = Settings(
        _env_file=None,
        huaweicloud_sdk_region="ap-southeast-1",
        slack_bot_token="xoxb-1",
        slack_signing_secret="s",
        huaweicloud_sdk_ak="AK",
        huaweicloud_sdk_sk="SK",
        huaweicloud_sdk_project_id="0123456789abcdef0123456789abcdef",
        open_access=True,
    )
    found = problems(settings)
    assert len(found) == 1
    assert (
        "region ap-southeast-1 has no SDRS endpoint in the official SDK's region table"
        in (found[0])
    )
    assert "set SDRS_ENDPOINT" in found[0]
    with pytest.raises(ConfigError):
        _ = settings.sdrs_base_url
    explicit = settings.model_copy(update={"sdrs_endpoint": "https://sdrs.example.internal"})
    assert problems(explicit) == []


ACCOUNTS = """
[accounts.dr-ap]
region = "ap-southeast-1"
project_id = "0123456789abcdef0123456789abcdef"
{extra}
[[bindings]]
channels = ["*"]
accounts = ["dr-ap"]
"""


def test_an_account_without_an_sdrs_endpoint_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNTS.format(extra=""), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_accounts(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:3: accounts.dr-ap.region: region ap-southeast-1 has no SDRS")
    assert "set sdrs_endpoint" in problem
    path.write_text(
        ACCOUNTS.format(extra='sdrs_endpoint = "https://sdrs.example.internal"'), encoding="utf-8"
    )
    account = load_accounts(path).accounts["dr-ap"]
    assert account.base_url("sdrs") == "https://sdrs.example.internal"
    assert account.base_url("ecs") == "https://ecs.ap-southeast-1.myhuaweicloud.com"


def test_check_says_where_each_endpoint_comes_from(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, huaweicloud_sdk_region="ap-southeast-2")
    assert endpoint_source(settings, "default", "sdrs") == (
        "from the official SDK's SDRS region table for ap-southeast-2"
    )
    given = settings.model_copy(update={"ecs_endpoint": "https://ecs.example.internal"})
    assert endpoint_source(given, "default", "ecs") == "set by ECS_ENDPOINT"
    path = tmp_path / "accounts.toml"
    path.write_text(
        ACCOUNTS.format(extra='sdrs_endpoint = "https://sdrs.example.internal"'), encoding="utf-8"
    )
    from_file = settings.model_copy(update={"accounts_file": path})
    assert endpoint_source(from_file, "dr-ap", "sdrs") == "set by sdrs_endpoint in ACCOUNTS_FILE"
    assert endpoint_source(from_file, "dr-ap", "ecs") == (
        "from the official SDK's ECS region table for ap-southeast-1"
    )
