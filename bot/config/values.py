"""The cloud values an account is configured with - region, project id, endpoint - and their
one set of rules, for the environment's account (``HUAWEICLOUD_SDK_REGION``, ...) and each
account of ``ACCOUNTS_FILE`` alike."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_REGION_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
_PROJECT_RE = re.compile(r"[0-9a-f]{32}")


def region(v: str) -> str:
    if not _REGION_RE.fullmatch(v):
        raise ValueError("must look like cn-north-4 (lower-case letters, digits and '-')")
    return v


def project_id(v: str) -> str:
    if not _PROJECT_RE.fullmatch(v):
        raise ValueError("must be the 32-character lower-case hex project id from the console")
    return v


def endpoint(v: str) -> str:
    if not v.startswith(("http://", "https://")):
        raise ValueError("must start with https:// (or http:// for a local emulator)")
    return v.rstrip("/")


Region = Annotated[str, AfterValidator(region)]
ProjectId = Annotated[str, AfterValidator(project_id)]
Endpoint = Annotated[str, AfterValidator(endpoint)]
