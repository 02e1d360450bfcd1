"""The bot's settings: one ``Settings`` model, read once from the environment (and ``.env``).

Build it with :func:`load_settings`, which turns pydantic's validation errors into a single
:class:`~bot.core.errors.ConfigError` naming every problem (never a traceback), then pass it down
(or with :func:`bot.config.diagnostics.read_settings`, which lists every problem and what serve
would refuse to start with). :meth:`Settings.accounts` is the one accounts configuration,
parsed once. Validators only judge values (no file or directory is created here).
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
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config.accounts import (
    Accounts,
    AccountSpec,
    environment_accounts,
    read_accounts,
)
from bot.config.credentials import EnvironmentCredentials
from bot.config.values import Endpoint, ProjectId, Region
from bot.core.errors import ConfigError
from bot.core.intents import ACCOUNT_NAME_RE, ACCOUNT_RULE
from bot.core.policy import AccessRule, Policy, slack_ids
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
#: the databases the store speaks: URL scheme -> (name, the one driver it speaks it through)
_DRIVERS = {"sqlite": ("SQLite", "pysqlite"), "postgresql": ("PostgreSQL", "psycopg")}


def database_url_problem(url: str) -> str | None:
    """What stops the database ``url`` names from being used here, or None. The store speaks
    SQLite (the default, nothing more to install) and PostgreSQL through psycopg (the package's
    ``postgresql`` extra, not installed with it); any other database or driver is refused at
    start with one line, not SQLAlchemy's traceback or a failure at the first ack. The URL
    itself (it may hold a password) is not repeated."""
    backend, _, driver = url.partition(":")[0].lower().partition("+")
    if backend not in _DRIVERS:
        return (
            f"DATABASE_URL names {backend or 'no database'}: the bot's store is SQLite "
            "(sqlite:////path/to/file.sqlite3, the default) or PostgreSQL "
            "(postgresql+psycopg://user@host/db)"
        )
    name, spoken = _DRIVERS[backend]
    if driver not in ("", spoken):
        return f"DATABASE_URL names {name}'s driver {driver}: the bot speaks {name} via {spoken}"
    if backend == "sqlite":
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
    # the accounts, parsed once (:meth:`accounts`), with the values they were parsed from
    _accounts: tuple[tuple[object, ...], Accounts] | None = PrivateAttr(default=None)

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
    huaweicloud_sdk_project_id: ProjectId | None = Field(default=None, description="Project id")
    huaweicloud_sdk_region: Region = Field(
        default="cn-north-4", description="Region, e.g. cn-north-4"
    )
    sdrs_endpoint: Endpoint | None = Field(
        default=None,
        description="SDRS endpoint override (default: the SDK's region table, docs/endpoints.md)",
    )
    ecs_endpoint: Endpoint | None = Field(
        default=None,
        description="ECS endpoint override (default: the SDK's region table, docs/endpoints.md)",
    )
    deh_endpoint: Endpoint | None = Field(
        default=None,
        description="DeH (dedicated host) endpoint override (default: the SDK's region table; "
        "none: dedicated hosts are not read, docs/endpoints.md)",
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
    http_max_connections: int = Field(
        default=400,
        ge=1,
        description="Connections per SDRS/ECS endpoint and account: more than "
        "TRACKER_CONCURRENCY and INBOX_CONCURRENCY need at once (a command reads at most 1 SDRS "
        "and 4 ECS resources at a time), else requests queue for a connection",
    )

    # Store and scheduling
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty: SQLite in $XDG_DATA_HOME/sdrs-bot (else "
        "~/.local/share/sdrs-bot), created when needed; the image sets "
        "sqlite:////data/sdrs-bot.sqlite3. PostgreSQL (postgresql+psycopg://... or "
        "postgresql://...) needs the postgresql extra: pip install 'sdrs-bot[postgresql]' (the "
        "image has it). No other database or driver: refused at start",
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
    tracker_tick_seconds: float = Field(
        default=1.0, gt=0, description="How often due jobs are looked for"
    )
    tracker_batch: int = Field(
        default=500,
        ge=1,
        description="Jobs claimed at a time (a tick claims again while batches come back full)",
    )
    tracker_concurrency: int = Field(default=50, ge=1, description="SDRS job checks in flight")
    outbox_tick_seconds: float = Field(default=0.5, gt=0, description="How often the outbox runs")
    outbox_pace_seconds: float = Field(
        default=1.0, ge=0, description="At most one message per channel per this many seconds"
    )
    execution_lease_seconds: float = Field(
        default=0.0,
        ge=0,
        description="A confirmed operation's execution lease: renewed every third of it while "
        "its replica executes it, so it is how long an operation whose replica died waits "
        "before it counts as interrupted (0: derived from the HTTP timeouts and attempts)",
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
    inbox_concurrency: int = Field(
        default=100,
        ge=1,
        description="Acked commands and clicks handled at once per process (a worker, or the "
        "serving process without workers); more wait in the inbox",
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
        return v or default_database_url()  # the store creates its directory when it opens

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

    def environment_credentials(self) -> EnvironmentCredentials:
        """The environment's credentials, for an account whose source is ``environment``."""
        return EnvironmentCredentials(
            ak=self.huaweicloud_sdk_ak,
            sk=self.huaweicloud_sdk_sk,
            security_token=self.huaweicloud_sdk_security_token,
            auth_token=self.huaweicloud_sdk_auth_token,
            project_id=self.huaweicloud_sdk_project_id,
        )

    @property
    def has_cloud_credentials(self) -> bool:
        has_auth = bool(self.huaweicloud_sdk_ak or self.huaweicloud_sdk_auth_token)
        return has_auth and self.huaweicloud_sdk_project_id is not None

    @property
    def sdrs_base_url(self) -> str:
        return self._environment_account().base_url("sdrs", "SDRS_ENDPOINT")

    @property
    def ecs_base_url(self) -> str:
        return self._environment_account().base_url("ecs", "ECS_ENDPOINT")

    @property
    def deh_base_url(self) -> str | None:
        """None: no DeH endpoint given or known for the region (hosts are not read)."""
        return self._environment_account().deh_url()

    def _environment_account(self) -> AccountSpec:
        return AccountSpec.model_construct(
            region=self.huaweicloud_sdk_region,
            sdrs_endpoint=self.sdrs_endpoint,
            ecs_endpoint=self.ecs_endpoint,
            deh_endpoint=self.deh_endpoint,
        )

    def accounts(self) -> Accounts:
        """The accounts this configuration acts on (ACCOUNTS_FILE, else the environment's one
        account as a one-entry configuration), read and parsed once for these settings: every
        later call answers the same value (a changed file is read again at the next start)."""
        key = (
            self.accounts_file,
            self.account_name,
            self.huaweicloud_sdk_region,
            self.huaweicloud_sdk_project_id,
            self.sdrs_endpoint,
            self.ecs_endpoint,
            self.deh_endpoint,
        )
        if self._accounts is None or self._accounts[0] != key:
            if self.accounts_file is not None:
                found = read_accounts(self.accounts_file)
            else:
                found = environment_accounts(
                    self.account_name,
                    region=self.huaweicloud_sdk_region,
                    project_id=self.huaweicloud_sdk_project_id,
                    sdrs_endpoint=self.sdrs_endpoint,
                    ecs_endpoint=self.ecs_endpoint,
                    deh_endpoint=self.deh_endpoint,
                )
            self._accounts = (key, found)
        return self._accounts[1]


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


def describe_error(error: dict[str, Any]) -> str:
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
        raise ConfigError([describe_error(dict(e)) for e in exc.errors()]) from None


if __name__ == "__main__":
    import sys

    sys.stdout.write(env_table())
