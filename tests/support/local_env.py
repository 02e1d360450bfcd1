"""The environment for running ``sdrs-bot serve`` against the local stand-ins (tests, bench)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.sandbox.runner import free_port
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK

__all__ = ["ROOT", "free_port", "serve_env"]

ROOT = Path(__file__).resolve().parent.parent.parent  # the source tree


def serve_env(
    *,
    slack_api_url: str,
    sdrs_url: str,
    database_url: str,
    bot_token: str,
    signing_secret: str,
    **settings: str,
) -> dict[str, str]:
    """This process's environment without any real credentials, pointed at the stand-ins;
    ``settings`` are further Settings fields by name (``http_port="3001"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_", "SLACK_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": bot_token,
            "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": slack_api_url,
            "HUAWEICLOUD_SDK_AK": SANDBOX_AK,
            "HUAWEICLOUD_SDK_SK": SANDBOX_SK,
            "HUAWEICLOUD_SDK_PROJECT_ID": SANDBOX_PROJECT_ID,
            "SDRS_ENDPOINT": sdrs_url,
            "ECS_ENDPOINT": sdrs_url,
            "DEH_ENDPOINT": sdrs_url,
            "DATABASE_URL": database_url,
            "HTTP_HOST": "127.0.0.1",
            "HEALTH_HOST": "127.0.0.1",
            "HEALTH_PORT": "0",  # any free port; a test that scrapes sets one
            "PYTHONPATH": str(ROOT),
            "OPEN_ACCESS": "true",  # the stand-ins: no request policy on purpose
        }
    )
    env.update({name.upper(): value for name, value in settings.items()})
    return env
