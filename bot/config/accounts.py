"""The accounts file (``ACCOUNTS_FILE``, TOML): the Huawei Cloud accounts the bot acts on and
which Slack channels may act on which of them, under which policy.

Example (docs/configuration.md, "Several accounts")::

    [accounts.prod-cn]
    region = "cn-north-4"
    project_id = "0123456789abcdef0123456789abcdef"   # optional: found from IAM by region
    credentials = { kind = "ecs-metadata" }           # docs/credentials.md: every kind
    windows = { nightly = "Sun 02:00-04:00 Asia/Shanghai" }  # overrides MAINTENANCE_WINDOWS

    [[bindings]]
    channels = ["C024BE91L"]
    accounts = ["prod-cn"]
    approval_mode = "two-person"
    approvers = ["U012AB3CD"]
    language = "zh"                                   # the channel's messages: en (default) | zh
    resize = { usergroups = ["S0614TZR7"] }

Read with :func:`read_accounts` (once, at start: :meth:`bot.config.settings.Settings.accounts`)
or :func:`load_accounts`, which raises one :class:`~bot.core.errors.ConfigError` listing
every problem as ``FILE:LINE: where: what``, never echoing a value (it may be a secret).
A binding's unset policy parts fall back to the environment's (``POLICY_*``, ``APPROVAL_MODE``,
``APPROVERS``, ``APPROVER_USERGROUPS``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.config.credentials import CredentialSource, EnvironmentKeys
from bot.config.values import Endpoint, ProjectId, Region
from bot.core.bindings import ANY_CHANNEL, Binding, Bindings
from bot.core.errors import ConfigError
from bot.core.intents import ACCOUNT_NAME_RE, ACCOUNT_RULE
from bot.core.language import DEFAULT, Language
from bot.core.policy import AccessRule, Policy, slack_ids
from bot.core.regions import endpoint_for, no_endpoint
from bot.core.windows import (
    WINDOW_NAME_RE,
    WINDOW_NAME_RULE,
    WindowError,
    WindowSpec,
    parse_window,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountSpec(_Strict):
    region: Region
    project_id: ProjectId | None = None
    sdrs_endpoint: Endpoint | None = None
    ecs_endpoint: Endpoint | None = None
    deh_endpoint: Endpoint | None = None  # dedicated hosts (optional: unread without one)
    iam_endpoint: Endpoint | None = None
    credentials: CredentialSource = Field(default_factory=EnvironmentKeys)
    # maintenance windows by name (``windows = {nightly = "Sun 02:00-04:00 Asia/Shanghai"}``);
    # they override MAINTENANCE_WINDOWS of the same name for this account
    windows: dict[str, str] = Field(default_factory=dict)

    @field_validator("windows")
    @classmethod
    def _windows(cls, v: dict[str, str]) -> dict[str, str]:
        for n, (name, spec) in enumerate(v.items(), start=1):
            if not WINDOW_NAME_RE.fullmatch(name):
                raise ValueError(f"window {n}: its name must be {WINDOW_NAME_RULE}")
            try:
                parse_window(spec)
            except WindowError as exc:
                raise ValueError(f"window {name}: {exc}") from None
        return v

    def window_specs(self) -> dict[str, WindowSpec]:
        return {name: parse_window(spec) for name, spec in self.windows.items()}

    def given_endpoint(self, service: str) -> str | None:
        return {
            "sdrs": self.sdrs_endpoint,
            "ecs": self.ecs_endpoint,
            "deh": self.deh_endpoint,
            "iam": self.iam_endpoint,
        }.get(service)

    def deh_url(self) -> str | None:
        """The DeH endpoint given, else the SDK's table's for the region, else None: the
        bot then does not read dedicated hosts (a resize on one is sent unchecked)."""
        return self.given_endpoint("deh") or endpoint_for("deh", self.region)

    def base_url(self, service: str, setting: str | None = None) -> str:
        """The endpoint given for ``service``, else the SDK's table's for the region;
        ConfigError naming ``setting`` (default: the file's key) when neither has one."""
        given = self.given_endpoint(service)
        if given:
            return given
        url = endpoint_for(service, self.region)
        if url is None:
            raise ConfigError([no_endpoint(service, self.region, setting or f"{service}_endpoint")])
        return url

    def endpoint_problems(self, setting: Callable[[str], str]) -> list[str]:
        """The services (SDRS, ECS) with neither an endpoint given nor one in the SDK's table
        for the region, saying which ``setting(service)`` to set."""
        return [
            no_endpoint(service, self.region, setting(service))
            for service in ("sdrs", "ecs")
            if self.given_endpoint(service) is None and endpoint_for(service, self.region) is None
        ]


class RuleSpec(_Strict):
    users: frozenset[str] = frozenset()
    usergroups: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    @field_validator("users", "usergroups", "channels", mode="before")
    @classmethod
    def _ids(cls, v: object, info: Any) -> object:
        if isinstance(v, list):
            return slack_ids(v, str(info.field_name))
        return v

    def rule(self) -> AccessRule:
        return AccessRule(self.users, self.usergroups, self.channels)


class BindingSpec(_Strict):
    channels: list[str]
    accounts: list[str] = Field(min_length=1)
    default_account: str | None = None
    language: Language = DEFAULT  # of messages in these channels, seen by everyone: en | zh
    approval_mode: Literal["requester", "two-person"] | None = None
    approvers: frozenset[str] | None = None
    approver_usergroups: frozenset[str] | None = None
    resize: RuleSpec | None = None
    rename_drill: RuleSpec | None = None

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError('list at least one channel id, or "*" for every other channel')
        named = [c for c in v if c != ANY_CHANNEL]
        slack_ids(named, "channels")
        return v

    @field_validator("approvers", "approver_usergroups", mode="before")
    @classmethod
    def _approver_ids(cls, v: object, info: Any) -> object:
        if isinstance(v, list):
            kind = "approvers" if info.field_name == "approvers" else "usergroups"
            return slack_ids(v, kind)
        return v

    @model_validator(mode="after")
    def _default_is_bound(self) -> BindingSpec:
        if self.default_account and self.default_account not in self.accounts:
            raise ValueError("default_account must be one of this binding's accounts")
        return self

    def policy(self, fallback: Policy) -> Policy:
        requests = dict(fallback.requests)
        for kind, spec in (("resize", self.resize), ("rename_drill", self.rename_drill)):
            if spec is not None:
                requests[kind] = spec.rule()
        return Policy(
            requests=requests,
            approval_mode=self.approval_mode or fallback.approval_mode,
            approvers=fallback.approvers if self.approvers is None else self.approvers,
            approver_groups=(
                fallback.approver_groups
                if self.approver_usergroups is None
                else self.approver_usergroups
            ),
        )


class AccountsFile(_Strict):
    accounts: dict[str, AccountSpec] = Field(min_length=1)
    bindings: list[BindingSpec] = Field(min_length=1)

    @field_validator("accounts")
    @classmethod
    def _names(cls, v: dict[str, AccountSpec]) -> dict[str, AccountSpec]:
        bad = [name for name in v if not ACCOUNT_NAME_RE.fullmatch(name)]
        if bad:
            raise ValueError(f"account names must be {ACCOUNT_RULE} (not {', '.join(bad[:3])})")
        return v

    def cross_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """(where, what) for what no single field shows: an account's region without an SDRS or
        ECS endpoint, bindings naming unknown accounts."""
        found: list[tuple[tuple[str, ...], str]] = []
        for name, account in self.accounts.items():
            for what in account.endpoint_problems(lambda service: f"{service}_endpoint"):
                found.append((("accounts", name, "region"), what))
        for n, binding in enumerate(self.bindings):
            unknown = [a for a in binding.accounts if a not in self.accounts]
            if unknown:
                found.append(
                    (
                        ("bindings", str(n), "accounts"),
                        f"{', '.join(unknown)} not defined under [accounts] (defined: "
                        f"{', '.join(self.accounts)})",
                    )
                )
        languages: dict[str, tuple[int, Language]] = {}
        for n, binding in enumerate(self.bindings):
            for channel in binding.channels:
                first = languages.setdefault(channel, (n, binding.language))
                if first[1] != binding.language:
                    found.append(
                        (
                            ("bindings", str(n), "language"),
                            f"{channel} is in bindings [{first[0] + 1}] and [{n + 1}] with "
                            f"different languages ({first[1].value}, "
                            f"{binding.language.value}): give them one",
                        )
                    )
        return found

    def bindings_with(self, fallback: Policy) -> Bindings:
        return Bindings(
            tuple(
                Binding(
                    channels=frozenset(b.channels),
                    accounts=tuple(b.accounts),
                    policy=b.policy(fallback),
                    default_account=b.default_account,
                    language=b.language,
                )
                for b in self.bindings
            )
        )


def two_person_problems(bindings: Bindings) -> list[str]:
    return [
        f"binding {n}: approval_mode two-person needs approvers or approver_usergroups"
        for n, b in enumerate(bindings.items, start=1)
        if b.policy.approval_mode == "two-person"
        and not (b.policy.approvers or b.policy.approver_groups)
    ]


@dataclass(frozen=True)
class Accounts:
    """The one accounts configuration, read and parsed once at start: the Huawei Cloud accounts
    the bot acts on and the channels bound to them. Either ``ACCOUNTS_FILE`` (``file``), or the
    environment's one account (``HUAWEICLOUD_SDK_REGION``/``_PROJECT_ID``, ``SDRS_ENDPOINT``,
    ``ECS_ENDPOINT``, named ``ACCOUNT_NAME``, credentials from the environment) as a one-entry
    configuration of the same model, bound to every channel (``"*"``) under the environment's
    policy. ``problems`` says what is wrong; then ``config`` is None."""

    config: AccountsFile | None
    problems: tuple[str, ...] = ()
    file: Path | None = None  # None: the environment's one account
    lines: tuple[str, ...] = ()  # the file's text, for the line of a problem

    def parsed(self) -> AccountsFile:
        """The configuration; ConfigError listing its problems if it has any."""
        if self.config is None:
            raise ConfigError(list(self.problems))
        return self.config

    def endpoint_setting(self, service: str) -> str:
        """What sets ``service``'s endpoint here: a key of the file's account, or the
        environment's ``SDRS_ENDPOINT``/``ECS_ENDPOINT``."""
        return f"{service}_endpoint" if self.file is not None else f"{service.upper()}_ENDPOINT"

    def binding_problem(self, index: int, what: str) -> str:
        """``FILE:LINE: bindings[N]: what`` for the binding at ``index`` (from 0), as every
        other problem in the file is written (plain ``what`` for the environment's account)."""
        if self.file is None:
            return what
        return _describe(
            self.file, list(self.lines), {"loc": ("bindings", str(index)), "msg": what}
        )


_ENVIRONMENT_NAMES = {
    "region": "HUAWEICLOUD_SDK_REGION",
    "project_id": "HUAWEICLOUD_SDK_PROJECT_ID",
    "sdrs_endpoint": "SDRS_ENDPOINT",
    "ecs_endpoint": "ECS_ENDPOINT",
    "deh_endpoint": "DEH_ENDPOINT",
}


def environment_accounts(
    name: str,
    *,
    region: str,
    project_id: str | None,
    sdrs_endpoint: str | None,
    ecs_endpoint: str | None,
    deh_endpoint: str | None = None,
) -> Accounts:
    """The environment's one account as a one-entry configuration: the same model and checks
    as an entry of ACCOUNTS_FILE, its problems named by the environment's variables."""
    try:
        spec = AccountSpec(
            region=region,
            project_id=project_id,
            sdrs_endpoint=sdrs_endpoint,
            ecs_endpoint=ecs_endpoint,
            deh_endpoint=deh_endpoint,
            credentials=EnvironmentKeys(),
        )
        config = AccountsFile(
            accounts={name: spec}, bindings=[BindingSpec(channels=[ANY_CHANNEL], accounts=[name])]
        )
    except ValidationError as exc:
        return Accounts(None, tuple(_environment_problem(dict(e)) for e in exc.errors()))
    missing = spec.endpoint_problems(lambda service: f"{service.upper()}_ENDPOINT")
    return Accounts(None, tuple(missing)) if missing else Accounts(config)


def _environment_problem(error: dict[str, Any]) -> str:
    loc = tuple(str(p) for p in error.get("loc", ()))
    field = loc[-1] if loc else ""
    name = _ENVIRONMENT_NAMES.get(field, field.upper() or "ACCOUNT_NAME")
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{name}: {msg}"


def read_accounts(path: Path) -> Accounts:
    """Read and parse the accounts file, once: its configuration, or every problem with it as
    ``FILE:LINE: where: what`` (never a value: it may be a secret)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Accounts(None, (f"{path}: cannot read the accounts file ({exc.strerror})",), path)
    lines = tuple(text.splitlines())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Accounts(None, (f"{path}: not valid TOML: {exc}",), path, lines)
    try:
        parsed = AccountsFile.model_validate(data)
    except ValidationError as exc:
        found = tuple(_describe(path, list(lines), dict(e)) for e in exc.errors())
        return Accounts(None, found, path, lines)
    cross = parsed.cross_problems()
    if cross:
        found = tuple(_describe(path, list(lines), {"loc": loc, "msg": msg}) for loc, msg in cross)
        return Accounts(None, found, path, lines)
    return Accounts(parsed, (), path, lines)


def load_accounts(path: Path) -> AccountsFile:
    """The accounts file parsed, or one ConfigError listing every problem with it."""
    return read_accounts(path).parsed()


def _describe(path: Path, lines: list[str], error: dict[str, Any]) -> str:
    loc = tuple(str(p) for p in error.get("loc", ()))
    where = ".".join(_tidy(loc)) or "file"
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        msg = "is not a known key here (check its spelling)"
    return f"{path}:{_line_of(lines, loc)}: {where}: {msg}"


def _tidy(loc: tuple[str, ...]) -> list[str]:
    """Drop pydantic's union branch name (the credential ``kind``), not a key in the file,
    and show list positions from 1 (``bindings[1]``)."""
    out: list[str] = []
    for i, part in enumerate(loc):
        if part.isdigit() and out:
            out[-1] = f"{out[-1]}[{int(part) + 1}]"
        elif i > 0 and loc[i - 1] == "credentials" and i + 1 < len(loc):
            continue  # the union branch pydantic names (the kind), not a key in the file
        else:
            out.append(part)
    return out


def _line_of(lines: list[str], loc: tuple[str, ...]) -> int:
    """Where in the file the error is: the key's line inside its table, else the table's
    header, else 1. Good enough to point a person at the right line of a hand-written file."""
    header, key = _section(loc)
    start = 0
    if header is not None:
        found = _header_line(lines, *header)
        if found is None:
            return 1
        start = found
    if key is None:
        return start + 1
    key_re = re.compile(rf"\s*{re.escape(key)}\s*=")
    for i in range(start + (1 if header else 0), len(lines)):
        if i > start and header is not None and lines[i].lstrip().startswith("["):
            break
        if key_re.match(lines[i]):
            return i + 1
    return start + 1


def _section(loc: tuple[str, ...]) -> tuple[tuple[str, int] | None, str | None]:
    if len(loc) >= 2 and loc[0] == "accounts":
        key = loc[2] if len(loc) > 2 else None
        return (f"accounts.{loc[1]}", 0), key
    if len(loc) >= 2 and loc[0] == "bindings" and loc[1].isdigit():
        key = loc[2] if len(loc) > 2 else None
        return ("bindings", int(loc[1])), key
    return None, loc[0] if loc else None


def _header_line(lines: list[str], name: str, index: int) -> int | None:
    single = re.compile(rf"\s*\[\s*{re.escape(name)}\s*\]")
    multi = re.compile(rf"\s*\[\[\s*{re.escape(name)}\s*\]\]")
    seen = 0
    for i, line in enumerate(lines):
        if single.match(line):
            return i
        if multi.match(line):
            if seen == index:
                return i
            seen += 1
    return None
