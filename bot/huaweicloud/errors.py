"""Huawei Cloud error answers -> the :mod:`bot.core.errors` tree.

Shapes (huaweicloudsdkcore's ``DefaultExceptionHandler`` reads the same ones):
``{"error": {"code", "message"}}``, the same under another outer key (``badRequest``,
``itemNotFound``...), and the API gateway's ``{"error_code", "error_msg"}`` (``errorCode`` /
``errorMsg`` in some services). ``X-Request-Id`` is kept for Huawei support.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from bot.core.errors import (
    ApiError,
    AuthError,
    ClientError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(float((when - datetime.now(UTC)).total_seconds()), 0.0)


def _find_code_message(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    for code_key, msg_key in (("error_code", "error_msg"), ("errorCode", "errorMsg")):
        if code_key in obj and msg_key in obj:
            return str(obj[code_key]), str(obj[msg_key])
    if "code" in obj and "message" in obj:
        return str(obj["code"]), str(obj["message"])
    for value in obj.values():
        if isinstance(value, Mapping):
            found = _find_code_message(value)
            if found:
                return found
    return None


def parse_error_body(status: int, body: bytes) -> tuple[str, str]:
    """(code, message) from any documented error shape; falls back to the status and text."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        found = _find_code_message(data)
        if found:
            return found
    return f"HTTP.{status}", text.strip()[:500] or f"HTTP {status} with an empty body"


def error_for(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
    url: str,
    *,
    not_found_codes: frozenset[str] = frozenset(),
) -> ApiError:
    """The :class:`ApiError` subclass for an error answer (``headers`` case-insensitive);
    ``not_found_codes``: the service's codes for "does not exist" (SDRS answers 400 for some)."""
    code, message = parse_error_body(status, body)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": headers.get("X-Request-Id"),
        "method": method,
        "url": url,
        "retry_after": parse_retry_after(headers.get("Retry-After")),
    }
    cls: type[ApiError]
    if status == 429:
        cls = RateLimitedError
    elif status in (401, 403) or (status < 500 and code.startswith("APIGW.")):
        cls = AuthError
    elif status == 404 or code in not_found_codes:
        cls = NotFoundError
    elif status < 500:
        cls = ClientError
    else:
        cls = ServerError
    return cls(message, **kwargs)
