"""manifest.yml is a usable Slack app manifest and asks for exactly the scopes the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from handlers.scopes import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
# Web API method (as slack_sdk names it) -> the bot scope it needs (Slack's method docs).
SCOPE_OF = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "usergroups_users_list": {"usergroups:read"},
    "users_info": {"users:read"},  # the locale of a person (include_locale)
    # public and private channels the bot is in
    "conversations_replies": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "conversations_history": {"channels:history", "groups:history", "im:history", "mpim:history"},
    # modals: the interaction's trigger id is the permission (no scope)
    "views_open": set(),
    "views_update": set(),
    # links to the bot's own messages (Slack's method docs: no scope required)
    "chat_getPermalink": set(),
    # sdrs-bot check: auth.test needs no scope; apps.connections.open uses the app-level token
    # (connections:write, which is not a bot scope)
    "auth_test": set(),
    "apps_connections_open": set(),
}


def used_methods() -> set[str]:
    """Slack Web API calls in the sources (the listeners name their AsyncWebClient ``client``)."""
    pattern = re.compile(r"client\.([a-z]+_[A-Za-z_]+)\(")
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_manifest_shape() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/sdrs"
    assert command["description"] and command["usage_hint"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"]


def test_scopes_are_exactly_what_the_code_uses() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    methods = used_methods()
    unknown = methods - set(SCOPE_OF)
    assert not unknown, f"add the scope of {unknown} to SCOPE_OF and manifest.yml"
    needed = set().union(*(SCOPE_OF[m] for m in methods)) | {"commands"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed == set(BOT_SCOPES)
