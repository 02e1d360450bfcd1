"""Reading Slack Web API failures safely."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code, also when the answer was not JSON (a 5xx page)."""
    data = exc.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"HTTP {exc.response.status_code}")
