"""Endpoints per region, as the official SDK's region tables give them.

Written from ``huaweicloudsdksdrs`` (``SdrsRegion``), ``huaweicloudsdkecs`` (``EcsRegion``),
``huaweicloudsdkdeh`` (``DeHRegion``), ``huaweicloudsdkiam`` (``IamRegion``, v3) and
``huaweicloudsdksts`` (``StsRegion``) 3.1.219; ``tests/cloud/test_regions.py`` reads every region of
those tables from the installed packages and holds this table to them. The SDKs are test-only:
the bot never imports them.

Most entries are ``https://{service}.{region}.myhuaweicloud.com``; the exceptions are written
out in ``_ELSEWHERE``. A region outside a table behaves as in the SDK: IAM falls back to the
global endpoint (``IamHelper.DEFAULT_ENDPOINT``), STS to cn-north-4's
(``StsHelper``); SDRS, ECS and DeH have no endpoint (the SDK raises ``KeyError``): the caller
refuses to start and says which setting to give.
"""

from __future__ import annotations

SERVICES = ("sdrs", "ecs", "deh", "iam", "sts")

IAM_GLOBAL_ENDPOINT = "https://iam.myhuaweicloud.com"
STS_DEFAULT_ENDPOINT = "https://sts.cn-north-4.myhuaweicloud.com"

_STANDARD: dict[str, frozenset[str]] = {
    "sdrs": frozenset(
        "af-south-1 ap-southeast-3 cn-east-2 cn-east-3 cn-north-4 cn-south-1".split()
    ),
    "ecs": frozenset(
        "ae-ad-1 af-north-1 af-south-1 ap-southeast-1 ap-southeast-2 ap-southeast-3 "
        "ap-southeast-4 ap-southeast-5 cn-east-2 cn-east-3 cn-east-4 cn-east-5 cn-north-1 "
        "cn-north-11 cn-north-12 cn-north-2 cn-north-4 cn-north-9 cn-south-1 cn-south-2 "
        "cn-south-4 cn-southwest-2 cn-southwest-3 eu-west-0 eu-west-101 la-north-2 la-south-2 "
        "me-east-1 my-kualalumpur-1 na-mexico-1 ru-moscow-1 sa-brazil-1 tr-west-1".split()
    ),
    "deh": frozenset(
        "ap-southeast-1 ap-southeast-2 ap-southeast-3 cn-east-2 cn-east-3 cn-north-1 "
        "cn-north-2 cn-north-4 cn-south-1 cn-southwest-2 my-kualalumpur-1 sa-brazil-1".split()
    ),
    "iam": frozenset(
        "ae-ad-1 af-south-1 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 "
        "cn-east-2 cn-east-3 cn-east-4 cn-east-5 cn-north-1 cn-north-12 cn-north-2 cn-north-4 "
        "cn-north-9 cn-south-1 cn-south-2 cn-southwest-2 eu-west-0 la-north-2 la-south-2 "
        "me-east-1 my-kualalumpur-1 na-mexico-1 ru-moscow-1 sa-brazil-1 tr-west-1".split()
    ),
    "sts": frozenset(
        "af-south-1 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 cn-east-3 "
        "cn-north-4 cn-south-1 cn-southwest-2 la-south-2 sa-brazil-1 tr-west-1".split()
    ),
}

# Where the SDK's table differs from https://{service}.{region}.myhuaweicloud.com.
_ELSEWHERE: dict[str, dict[str, str]] = {
    "sdrs": {"ap-southeast-2": "https://sdrs.ap-southeast-3.myhuaweicloud.com"},
    "iam": {"eu-west-101": "https://iam.eu-west-101.myhuaweicloud.eu"},
}

_FALLBACK = {"iam": IAM_GLOBAL_ENDPOINT, "sts": STS_DEFAULT_ENDPOINT}


def table(service: str) -> dict[str, str]:
    """Region id -> endpoint, every region of the SDK's table for ``service``."""
    found = {r: f"https://{service}.{r}.myhuaweicloud.com" for r in _STANDARD[service]}
    found.update(_ELSEWHERE.get(service, {}))
    return found


def endpoint_for(service: str, region: str) -> str | None:
    """The SDK's endpoint for ``service`` in ``region``; outside its table, IAM's global and
    STS's default endpoint, and ``None`` for SDRS, ECS and DeH (no endpoint known)."""
    return table(service).get(region) or _FALLBACK.get(service)


def no_endpoint(service: str, region: str, setting: str) -> str:
    """The start-up problem for a region outside ``service``'s table, saying what to set."""
    known = ", ".join(sorted(table(service)))
    return (
        f"region {region} has no {service.upper()} endpoint in the official SDK's region table "
        f"(it lists {known}): set {setting} to the endpoint, e.g. "
        f"https://{service}.{region}.myhuaweicloud.com"
    )
