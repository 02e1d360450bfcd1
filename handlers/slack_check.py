"""What ``sdrs-bot check`` asks Slack: the bot token (``auth.test``) and its scopes (the
``x-oauth-scopes`` header) against :data:`handlers.scopes.BOT_SCOPES`, and the transport (Socket
Mode: the app token opens a connection URL with ``apps.connections.open``; HTTP mode: a signing
secret is set)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config.settings import Settings
from bot.core.checks import Check
from handlers.scopes import BOT_SCOPES


async def slack_checks(settings: Settings) -> list[Check]:
    if settings.slack_bot_token is None:
        return [
            Check(
                "slack token",
                False,
                "SLACK_BOT_TOKEN is not set",
                "set it to the app's Bot User OAuth Token (xoxb-...)",
            )
        ]
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "error"))
        return [
            Check(
                "slack token",
                False,
                f"Slack refused the token: {error}",
                "copy the Bot User OAuth Token again (OAuth & Permissions)",
            )
        ]
    except Exception as exc:  # noqa: BLE001 - any network failure is a failed check
        return [
            Check(
                "slack token",
                False,
                f"Slack not reachable: {type(exc).__name__}",
                f"check the network path to {settings.slack_api_url}",
            )
        ]
    results = [Check("slack token", True, f"bot {answer.get('user')} in {answer.get('team')}")]
    granted = {
        s.strip() for s in str(answer.headers.get("x-oauth-scopes", "")).split(",") if s.strip()
    }
    missing = sorted(set(BOT_SCOPES) - granted)
    if missing:
        remedy = "add them (manifest.yml lists them) and reinstall the app"
        results.append(Check("slack scopes", False, f"missing {', '.join(missing)}", remedy))
    else:
        results.append(Check("slack scopes", True, ", ".join(BOT_SCOPES)))
    results.append(await _transport(settings))
    return results


async def _transport(settings: Settings) -> Check:
    if settings.slack_app_token is not None:
        app_token = settings.slack_app_token.get_secret_value()
        client = AsyncWebClient(base_url=settings.slack_api_url)
        try:
            await client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "error"))
            return Check(
                "socket mode",
                False,
                f"the app token was refused: {error}",
                "create an app-level token with connections:write (xapp-...)",
            )
        except Exception as exc:  # noqa: BLE001 - network failure
            return Check("socket mode", False, f"Slack not reachable: {type(exc).__name__}")
        return Check("socket mode", True, "the app token opens a connection")
    if settings.slack_signing_secret is not None:
        return Check("http mode", True, f"signing secret set; listening on :{settings.http_port}")
    remedy = "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
    return Check(
        "transport", False, "neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set", remedy
    )
