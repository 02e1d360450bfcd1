"""The bot's settings: one ``Settings`` model, read once from the environment (and ``.env``).

Build it with :func:`load_settings`, which turns pydantic's validation errors into a single
:class:`~bot.core.errors.ConfigError` naming every problem (never a traceback), then pass it down.
Secrets are ``SecretStr``: their ``repr``/``str`` are masked, so logging a ``Settings`` is safe.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config.accounts import AccountsFile, binding_problem, load_accounts, two_person_problems
from bot.core.bindings import ANY_CHANNEL, Binding
from bot.core.errors import ConfigError
from bot.core.intents import ACCOUNT_NAME_RE, ACCOUNT_RULE
from bot.core.policy import AccessRule, Policy, slack_ids, unrestricted
from bot.core.regions import endpoint_for, no_endpoint
from bot.core.routing import parse_routes
from bot.core.windows import WindowSpec, parse_windows


def default_database_url(env: Mapping[str, str] = os.environ) -> str:
    """SQLite in the per-user data directory, never the working directory:
    ``$XDG_DATA_HOME/sdrs-bot/sdrs-bot.sqlite3`` (an absolute XDG_DATA_HOME), else
    ``~/.local/share/sdrs-bot/sdrs-bot.sqlite3``. The image sets ``DATABASE_URL`` to ``/data``."""
    xdg = env.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return f"sqlite:///{base / 'sdrs-bot' / 'sdrs-bot.sqlite3'}"


POSTGRESQL_EXTRA = "pip install 'sdrs-bot[postgresql]'"


def database_driver_problem(url: str) -> str | None:
    """What this installation lacks to open the database ``url`` names, or None. PostgreSQL's
    driver (psycopg) is the package's ``postgresql`` extra, not installed with it; SQLite (the
    default) needs nothing more. A URL naming another driver (``postgresql+asyncpg://``) is the
    operator's choice and left to SQLAlchemy. The URL itself (it may hold a password) is not
    repeated."""
    backend, _, driver = url.partition(":")[0].lower().partition("+")
    if backend != "postgresql" or driver not in ("", "psycopg"):
        return None
    try:
        importlib.import_module("psycopg")
    except ImportError as exc:
        return (
            f"DATABASE_URL names PostgreSQL, and its driver psycopg is not installed ({exc}): "
            f"install the postgresql extra: {POSTGRESQL_EXTRA}"
        )
    return None


# Comma-separated Slack ids in the environment: "U012AB3CD,U045EF6GH".
SlackIds = Annotated[frozenset[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(default=None, description="Bot token (xoxb-...)")
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Signing secret, for HTTP mode"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-...), for Socket Mode"
    )

    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL (tests, playground)"
    )
    http_host: str = Field(default="0.0.0.0", description="HTTP mode: address to listen on")
    http_port: int = Field(default=3000, ge=0, le=65535, description="HTTP mode: port")

    # Huawei Cloud (names as the official SDK's environment credentials use them)
    huaweicloud_sdk_ak: str | None = Field(default=None, description="Access key id (AK)")
    huaweicloud_sdk_sk: SecretStr | None = Field(default=None, description="Secret access key")
    huaweicloud_sdk_auth_token: SecretStr | None = Field(
        default=None, description="IAM token (X-Auth-Token), instead of AK/SK"
    )
    huaweicloud_sdk_security_token: SecretStr | None = Field(
        default=None, description="Security token of temporary AK/SK (sent as X-Security-Token)"
    )
    huaweicloud_sdk_project_id: str | None = Field(default=None, description="Project id")
    huaweicloud_sdk_region: str = Field(default="cn-north-4", description="Region, e.g. cn-north-4")
    sdrs_endpoint: str | None = Field(
        default=None,
        description="SDRS endpoint override (default: the SDK's region table, docs/endpoints.md)",
    )
    ecs_endpoint: str | None = Field(
        default=None,
        description="ECS endpoint override (default: the SDK's region table, docs/endpoints.md)",
    )

    accounts_file: Path | None = Field(
        default=None,
        description="TOML file naming several accounts and binding channels to them (docs/"
        "configuration.md); unset: the one account above",
    )
    account_name: str = Field(
        default="default", description="The name shown for the one account set above"
    )
    open_access: bool = Field(
        default=False,
        description="true: with no request policy, anyone in the bot's channels may request "
        "changes (serve refuses to start without a policy otherwise)",
    )

    # HTTP behaviour towards the cloud
    http_connect_timeout: float = Field(default=5.0, gt=0, description="Seconds")
    http_read_timeout: float = Field(default=30.0, gt=0, description="Seconds")
    http_max_attempts: int = Field(default=4, ge=1, le=10, description="Tries for safe requests")
    http_backoff_base: float = Field(default=0.5, ge=0, description="First retry delay, seconds")
    http_backoff_cap: float = Field(default=8.0, ge=0, description="Longest retry delay, seconds")

    # Store and scheduling
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty: SQLite in $XDG_DATA_HOME/sdrs-bot (else "
        "~/.local/share/sdrs-bot), created when needed; the image sets "
        "sqlite:////data/sdrs-bot.sqlite3. PostgreSQL (postgresql+psycopg://...) needs the "
        "postgresql extra: pip install 'sdrs-bot[postgresql]' (the image has it)",
    )
    job_poll_first_seconds: float = Field(
        default=5.0, gt=0, description="First check of a submitted job after this long"
    )
    job_poll_max_seconds: float = Field(
        default=60.0, gt=0, description="Job checks back off up to this interval"
    )
    job_timeout_seconds: float = Field(
        default=3600.0, gt=0, description="One 'still running' report after this long"
    )
    job_stop_when_stuck: bool = Field(
        default=False, description="Stop tracking a job after JOB_TIMEOUT_SECONDS (else go on)"
    )
    confirmation_ttl_seconds: float = Field(
        default=900.0, gt=0, description="A confirmation expires after this long"
    )
    tracker_tick_seconds: float = Field(default=1.0, gt=0, description="How often due jobs run")
    tracker_batch: int = Field(default=500, ge=1, description="Jobs claimed per tick")
    tracker_concurrency: int = Field(default=50, ge=1, description="SDRS job checks in flight")
    outbox_tick_seconds: float = Field(default=0.5, gt=0, description="How often the outbox runs")
    outbox_pace_seconds: float = Field(
        default=1.0, ge=0, description="At most one message per channel per this many seconds"
    )
    execution_lease_seconds: float = Field(
        default=0.0,
        ge=0,
        description="How long a confirmed operation may take before it counts as interrupted "
        "(0: derived from the HTTP timeouts and attempts)",
    )
    maintenance_windows: str = Field(
        default="",
        description="Named maintenance windows for `/sdrs resize ... window=NAME`: "
        "'name=DAYS HH:MM-HH:MM ZONE;...', e.g. 'nightly=Sun 02:00-04:00 Asia/Shanghai;"
        "weekday=Mon-Fri 01:00-03:00 UTC' (an account's `windows` in ACCOUNTS_FILE override "
        "these by name)",
    )
    estimated_resize_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="How long a resize is expected to take: a scheduled one starts only if "
        "this much of its window is left",
    )
    estimated_stop_start_seconds: float = Field(
        default=600.0,
        ge=0,
        description="Added to that estimate for a power=stop-start resize (stopping and "
        "starting its servers)",
    )
    one_off_window_seconds: float = Field(
        default=7200.0, gt=0, description="A `when=` time opens a window this long"
    )
    schedule_tick_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often scheduled operations whose window has begun are looked for",
    )
    recovery_tick_seconds: float = Field(
        default=30.0, gt=0, description="How often interrupted operations are looked for"
    )
    lease_seconds: float = Field(
        default=60.0, gt=0, description="A dead replica's jobs and messages move on after this"
    )
    replica_id: str = Field(
        default="", description="This process's name in leases (default host-pid)"
    )

    # Operating it
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="auto: JSON lines unless the output is a terminal"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe level logged"
    )
    health_host: str = Field(
        default="0.0.0.0", description="Address of /healthz, /readyz, /metrics"
    )
    health_port: int = Field(
        default=9464, ge=0, le=65535, description="Port of /healthz, /readyz, /metrics (both modes)"
    )
    worker_processes: int = Field(
        default=0,
        ge=0,
        le=16,
        description="0: the serving process does the work after each ack; N: serve starts N "
        "worker processes (lower CPU priority) fed by a durable inbox, so acks stay fast",
    )
    inbox_tick_seconds: float = Field(
        default=0.05, gt=0, description="How often a worker looks for acked commands and clicks"
    )
    inbox_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="An acked command or click whose process died is handled again after this",
    )
    shutdown_seconds: float = Field(
        default=20.0, gt=0, description="On SIGTERM: finish in-flight work within this long"
    )
    notify_routes: str = Field(
        default="",
        description="Announce lifecycle events to channels: 'kind,kind=C1,C2;...' with kinds "
        "requested, confirmed, cancelled, expired, submitted, finished, failed, stuck, all",
    )

    # Authorization policy (comma-separated Slack ids; empty users+groups: anyone)
    policy_resize_users: SlackIds = Field(default=frozenset(), description="User ids")
    policy_resize_usergroups: SlackIds = Field(default=frozenset(), description="Group ids")
    policy_resize_channels: SlackIds = Field(default=frozenset(), description="Channel ids")
    policy_rename_users: SlackIds = Field(default=frozenset(), description="User ids")
    policy_rename_usergroups: SlackIds = Field(default=frozenset(), description="Group ids")
    policy_rename_channels: SlackIds = Field(default=frozenset(), description="Channel ids")
    approval_mode: Literal["requester", "two-person"] = Field(
        default="requester", description="Who confirms: the requester, or a different approver"
    )
    approvers: SlackIds = Field(default=frozenset(), description="Approver user ids")
    approver_usergroups: SlackIds = Field(default=frozenset(), description="Approver groups")

    @field_validator(
        "policy_resize_users",
        "policy_resize_usergroups",
        "policy_resize_channels",
        "policy_rename_users",
        "policy_rename_usergroups",
        "policy_rename_channels",
        "approvers",
        "approver_usergroups",
        mode="before",
    )
    @classmethod
    def _slack_ids(cls, v: object, info: ValidationInfo) -> object:
        """Ids of the kind the setting names (users U/W..., user groups S..., channels C/G...);
        a mistake is described by position, never echoed (it may be a pasted token)."""
        if isinstance(v, str):
            v = [part.strip() for part in v.split(",") if part.strip()]
        if isinstance(v, list | set | frozenset | tuple):
            return slack_ids(v, str(info.field_name).rsplit("_", 1)[-1])
        return v

    @field_validator("notify_routes")
    @classmethod
    def _routes_form(cls, v: str) -> str:
        parse_routes(v)  # raises ValueError with what to write
        return v

    def routes(self) -> dict[str, frozenset[str]]:
        return parse_routes(self.notify_routes)

    @field_validator("maintenance_windows")
    @classmethod
    def _windows_form(cls, v: str) -> str:
        parse_windows(v)  # raises WindowError (a ValueError): which entry, what, how to write it
        return v

    def windows(self) -> dict[str, WindowSpec]:
        return parse_windows(self.maintenance_windows)

    @field_validator("database_url")
    @classmethod
    def _database_default(cls, v: str) -> str:
        if v:
            return v
        url = default_database_url()
        Path(url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return url

    @field_validator("account_name")
    @classmethod
    def _account_name_form(cls, v: str) -> str:
        if not ACCOUNT_NAME_RE.fullmatch(v):
            raise ValueError(f"must be {ACCOUNT_RULE}")
        return v

    @field_validator("accounts_file")
    @classmethod
    def _accounts_file_exists(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError("no such file (give the path of the accounts TOML file)")
        return v

    @field_validator("huaweicloud_sdk_project_id")
    @classmethod
    def _project_id_form(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) == 32 and all(c in "0123456789abcdef" for c in v)):
            raise ValueError("must be the 32-character lower-case hex project id from the console")
        return v

    @field_validator("sdrs_endpoint", "ecs_endpoint")
    @classmethod
    def _endpoint_form(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local emulator)")
        return v.rstrip("/") if v else v

    @field_validator("huaweicloud_sdk_region")
    @classmethod
    def _region_form(cls, v: str) -> str:
        if not v or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in v):
            raise ValueError("must look like cn-north-4 (lower-case letters, digits and '-')")
        return v

    @model_validator(mode="after")
    def _credentials_pair(self) -> Settings:
        if (self.huaweicloud_sdk_ak is None) != (self.huaweicloud_sdk_sk is None):
            raise ValueError("HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK must be set together")
        if self.approval_mode == "two-person" and not (self.approvers or self.approver_usergroups):
            raise ValueError("APPROVAL_MODE=two-person needs APPROVERS or APPROVER_USERGROUPS")
        if self.job_poll_first_seconds > self.job_poll_max_seconds:
            raise ValueError("JOB_POLL_FIRST_SECONDS must not exceed JOB_POLL_MAX_SECONDS")
        return self

    def policy(self) -> Policy:
        return Policy(
            requests={
                "resize": AccessRule(
                    self.policy_resize_users,
                    self.policy_resize_usergroups,
                    self.policy_resize_channels,
                ),
                "rename_drill": AccessRule(
                    self.policy_rename_users,
                    self.policy_rename_usergroups,
                    self.policy_rename_channels,
                ),
            },
            approval_mode=self.approval_mode,
            approvers=self.approvers,
            approver_groups=self.approver_usergroups,
        )

    @property
    def has_request_policy(self) -> bool:
        """Some allow-list restricts who may request changes (the environment's POLICY_*
        settings; an accounts file's bindings are checked by :func:`problems`)."""
        return any(
            getattr(self, name) for name in Settings.model_fields if name.startswith("policy_")
        )

    @property
    def has_cloud_credentials(self) -> bool:
        has_auth = bool(self.huaweicloud_sdk_ak or self.huaweicloud_sdk_auth_token)
        return has_auth and self.huaweicloud_sdk_project_id is not None

    @property
    def sdrs_base_url(self) -> str:
        return self.sdrs_endpoint or _table_endpoint("sdrs", self.huaweicloud_sdk_region)

    @property
    def ecs_base_url(self) -> str:
        return self.ecs_endpoint or _table_endpoint("ecs", self.huaweicloud_sdk_region)

    def endpoint_problems(self) -> list[str]:
        """The services whose endpoint is neither set nor in the SDK's table for the region."""
        given = {"sdrs": self.sdrs_endpoint, "ecs": self.ecs_endpoint}
        region = self.huaweicloud_sdk_region
        return [
            no_endpoint(s, region, f"{s.upper()}_ENDPOINT")
            for s, url in given.items()
            if url is None and endpoint_for(s, region) is None
        ]


def _table_endpoint(service: str, region: str) -> str:
    url = endpoint_for(service, region)
    if url is None:
        raise ConfigError([no_endpoint(service, region, f"{service.upper()}_ENDPOINT")])
    return url


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables (for a child process: ``sdrs-bot worker``)."""
    env: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, frozenset):
            value = ",".join(sorted(value))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[name.upper()] = str(value)
    return env


def env_table() -> str:
    """The environment variables as a Markdown table, from this model (docs/configuration.md
    embeds it; a test keeps the two equal). ``python -m bot.config.settings`` prints it."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        default = info.default
        if isinstance(default, frozenset):
            shown = "" if not default else ",".join(sorted(default))
        elif default is None:
            shown = ""
        else:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
        secret = " (secret)" if "SecretStr" in str(info.annotation) else ""
        shown = f"`{shown}`" if shown else "-"
        rows.append(f"| `{name.upper()}` | {shown} | {info.description or ''}{secret} |")
    return "\n".join(rows) + "\n"


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ()))
    name = loc.upper() if loc else "settings"
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    inp = error.get("input")
    # Never echo the offending value: it may be a secret.
    kind = f" (got a {type(inp).__name__})" if loc and not isinstance(inp, str | dict) else ""
    return f"{name}: {msg}{kind}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise one ConfigError listing every problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError([_describe(dict(e)) for e in exc.errors()]) from None


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
                found.append(_describe(dict(error)))
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
    missing_driver = database_driver_problem(settings.database_url)
    if missing_driver is not None:
        found.append(missing_driver)
    if settings.slack_bot_token is None:
        found.append("SLACK_BOT_TOKEN is required (the xoxb- token of the app)")
    if for_serving and settings.slack_app_token is None and settings.slack_signing_secret is None:
        found.append(
            "set SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
        )
    parsed: AccountsFile | None = None
    if settings.accounts_file is not None:
        try:
            parsed = load_accounts(settings.accounts_file)
        except ConfigError as exc:
            found.extend(exc.problems)
        else:
            found.extend(two_person_problems(parsed.bindings_with(settings.policy())))
    else:
        found.extend(settings.endpoint_problems())
    if settings.accounts_file is None and not settings.has_cloud_credentials:
        found.append(
            "set HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN) and "
            "HUAWEICLOUD_SDK_PROJECT_ID, or ACCOUNTS_FILE"
        )
    if for_serving:
        found.extend(open_policy_problems(settings, parsed))
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


def open_policy_problems(settings: Settings, parsed: AccountsFile | None = None) -> list[str]:
    """Fail closed: every change kind, in the environment's one policy or in each binding of
    ACCOUNTS_FILE (its unset parts taken from the environment), must name who may ask (users,
    user groups or channels) - an empty list, an empty table or no table at all names nobody
    and would let everyone in - unless OPEN_ACCESS=true says so on purpose."""
    if settings.open_access:
        return []
    if settings.accounts_file is None:
        kinds = unrestricted(settings.policy())
        return [no_policy(kinds)] if kinds else []
    if parsed is None:
        try:
            parsed = load_accounts(settings.accounts_file)
        except ConfigError:
            return []  # the file's own problems are reported (and refused) already
    found = []
    for n, binding in enumerate(parsed.bindings_with(settings.policy()).items):
        kinds = unrestricted(binding.policy)
        if kinds:
            what = no_policy(kinds, scope=_channels(binding))
            found.append(binding_problem(settings.accounts_file, n, what))
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
    if settings.accounts_file is not None:
        try:
            parsed = load_accounts(settings.accounts_file)
            names = ", ".join(f"{n} ({a.region})" for n, a in parsed.accounts.items())
            cloud = f"accounts {names} bound to channels by {settings.accounts_file}"
        except ConfigError:
            cloud = f"accounts from {settings.accounts_file} (unreadable)"
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


if __name__ == "__main__":
    import sys

    sys.stdout.write(env_table())
