"""What the settings say at start-up, apart from the settings themselves: every problem that
stops ``serve`` (and that ``check`` lists), which request policy is in force, and the one line
``serve`` logs when it starts. Pure: the accounts come from :meth:`Settings.accounts` (parsed
once), and whether the database URL can be used (PostgreSQL's driver installed) from
:func:`~bot.config.settings.database_url_problem`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError

from bot.config.accounts import two_person_problems
from bot.config.settings import Settings, database_url_problem, describe_error
from bot.core.bindings import ANY_CHANNEL, Binding
from bot.core.policy import unrestricted

# Fields the model-level checks (_credentials_pair) look at: when one of those checks fails,
# they fall back to their defaults so that the other problems can still be found.
_CROSS_FIELD = (
    "huaweicloud_sdk_ak",
    "huaweicloud_sdk_sk",
    "approval_mode",
    "job_poll_first_seconds",
    "job_poll_max_seconds",
)


def read_settings(*, for_serving: bool = True, **overrides: Any) -> tuple[Settings, list[str]]:
    """The settings and every problem with them, all at once (what ``serve`` refuses to start
    with and ``check`` reports). A value that does not parse is listed and replaced by its
    default, so the rest can still be judged (and ``check`` can go on testing each part)."""
    found: list[str] = []
    fallback: dict[str, Any] = {}
    for _ in range(3):  # field errors, then the cross-field checks they hid, then done
        try:
            settings = Settings(**{**overrides, **fallback})
            break
        except ValidationError as exc:
            for error in exc.errors():
                found.append(describe_error(dict(error)))
                names = [str(error["loc"][0])] if error.get("loc") else list(_CROSS_FIELD)
                for name in names:
                    if name in Settings.model_fields:
                        fallback[name] = Settings.model_fields[name].default
    else:  # pragma: no cover - every field has a default, so the third try parses
        settings = Settings.model_construct()
    return settings, found + problems(settings, for_serving=for_serving)


def problems(settings: Settings, *, for_serving: bool = True) -> list[str]:
    """What these (parsed) settings lack to run: a bot token and the cloud credentials; for
    serving, also a transport (an app token for Socket Mode or a signing secret for HTTP)."""
    found = []
    database = database_url_problem(settings.database_url)
    if database is not None:
        found.append(database)
    if settings.slack_bot_token is None:
        found.append("SLACK_BOT_TOKEN is required (the xoxb- token of the app)")
    if for_serving and settings.slack_app_token is None and settings.slack_signing_secret is None:
        found.append(
            "set SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
        )
    accounts = settings.accounts()
    found.extend(accounts.problems)
    if accounts.config is not None:
        found.extend(two_person_problems(accounts.config.bindings_with(settings.policy())))
    if settings.accounts_file is None and not settings.has_cloud_credentials:
        found.append(
            "set HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN) and "
            "HUAWEICLOUD_SDK_PROJECT_ID, or ACCOUNTS_FILE"
        )
    if for_serving:
        found.extend(open_policy_problems(settings))
    return found


_MAY = {"resize": "resize production servers", "rename_drill": "rename DR drills"}


def no_policy(kinds: tuple[str, ...], *, scope: str = "") -> str:
    """The one refusal for a change kind nobody restricted (the environment's POLICY_* or a
    binding in ACCOUNTS_FILE, every spelling of "empty"), with how to write it right."""
    return (
        f"no request policy for {' and '.join(kinds)}: anyone in "
        f"{scope or 'any channel the bot is in'} could {' and '.join(_MAY[k] for k in kinds)}. "
        "Restrict who may ask (POLICY_RESIZE_USERS / _USERGROUPS / _CHANNELS and "
        "POLICY_RENAME_*, or in an ACCOUNTS_FILE binding resize = { users = [...] } and "
        "rename_drill = { ... } with users, usergroups or channels), or set OPEN_ACCESS=true to "
        "allow everyone in the bot's channels on purpose"
    )


def open_policy_problems(settings: Settings) -> list[str]:
    """Fail closed: every change kind, in the environment's one policy or in each binding of
    ACCOUNTS_FILE (its unset parts taken from the environment), must name who may ask (users,
    user groups or channels) - an empty list, an empty table or no table at all names nobody
    and would let everyone in - unless OPEN_ACCESS=true says so on purpose."""
    if settings.open_access:
        return []
    accounts = settings.accounts()
    if accounts.file is None:
        kinds = unrestricted(settings.policy())
        return [no_policy(kinds)] if kinds else []
    if accounts.config is None:
        return []  # the file's own problems are reported (and refused) already
    found = []
    for n, binding in enumerate(accounts.config.bindings_with(settings.policy()).items):
        kinds = unrestricted(binding.policy)
        if kinds:
            found.append(accounts.binding_problem(n, no_policy(kinds, scope=_channels(binding))))
    return found


def _channels(binding: Binding) -> str:
    named = sorted(c for c in binding.channels if c != ANY_CHANNEL)
    parts = [f"channel {', '.join(named)}"] if named else []
    if ANY_CHANNEL in binding.channels:
        parts.append('every channel not named in a binding ("*")')
    return " and ".join(parts)


def access_mode(settings: Settings) -> Literal["bindings", "allow-lists", "open", "none"]:
    """Which request policy is in force: an accounts file's bindings, the environment's
    allow-lists, open to everyone on purpose (OPEN_ACCESS), or none - some change kind that
    anyone could ask for, not chosen on purpose (serve refuses)."""
    if open_policy_problems(settings):
        return "none"
    if settings.accounts_file is not None:
        return "bindings"
    if settings.has_request_policy:
        return "allow-lists"
    return "open"


def startup_summary(settings: Settings) -> str:
    """The one line ``serve`` logs when it starts: where it acts and how (no secrets)."""
    policy = settings.policy()
    limits = []
    for kind, rule in sorted(policy.requests.items()):
        parts = [
            f"{len(ids)} {what}"
            for what, ids in (
                ("users", rule.users),
                ("groups", rule.usergroups),
                ("channels", rule.channels),
            )
            if ids
        ]
        limits.append(f"{kind}: {', '.join(parts) if parts else 'anyone'}")
    approval: str = settings.approval_mode
    if approval == "two-person":
        approval += f" ({len(settings.approvers)} approvers, "
        approval += f"{len(settings.approver_usergroups)} approver groups)"
    where = (
        "socket mode"
        if settings.slack_app_token is not None
        else f"http mode on {settings.http_host}:{settings.http_port}"
    )
    accounts = settings.accounts()
    if accounts.file is not None and accounts.config is not None:
        names = ", ".join(f"{n} ({a.region})" for n, a in accounts.config.accounts.items())
        cloud = f"accounts {names} bound to channels by {accounts.file}"
    elif accounts.file is not None:
        cloud = f"accounts from {accounts.file} (unreadable)"
    else:
        cloud = (
            f"account {settings.account_name}: region {settings.huaweicloud_sdk_region}, "
            f"project {settings.huaweicloud_sdk_project_id or '(none)'}"
        )
    return (
        f"sdrs-bot starting: {cloud}, {where}, access {access_mode(settings)}, "
        f"approval {approval}, policy {'; '.join(limits)}, "
        f"health on {settings.health_host}:{settings.health_port}"
    )
