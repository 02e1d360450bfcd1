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
    resize = { usergroups = ["S0614TZR7"] }

Read with :func:`load_accounts`, which raises one :class:`~bot.core.errors.ConfigError` listing
every problem as ``FILE:LINE: where: what``, never echoing a value (it may be a secret).
A binding's unset policy parts fall back to the environment's (``POLICY_*``, ``APPROVAL_MODE``,
``APPROVERS``, ``APPROVER_USERGROUPS``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.config.credentials import CredentialSource, EnvironmentKeys
from bot.core.bindings import ANY_CHANNEL, Binding, Bindings
from bot.core.errors import ConfigError
from bot.core.intents import ACCOUNT_NAME_RE, ACCOUNT_RULE
from bot.core.policy import AccessRule, Policy, slack_ids
from bot.core.regions import endpoint_for, no_endpoint
from bot.core.windows import (
    WINDOW_NAME_RE,
    WINDOW_NAME_RULE,
    WindowError,
    WindowSpec,
    parse_window,
)

_REGION_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
_PROJECT_RE = re.compile(r"[0-9a-f]{32}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _endpoint(v: str | None) -> str | None:
    if v is not None and not v.startswith(("http://", "https://")):
        raise ValueError("must start with https:// (or http:// for a local emulator)")
    return v.rstrip("/") if v else v


class AccountSpec(_Strict):
    region: str
    project_id: str | None = None
    sdrs_endpoint: str | None = None
    ecs_endpoint: str | None = None
    iam_endpoint: str | None = None
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

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not _REGION_RE.fullmatch(v):
            raise ValueError("must look like cn-north-4 (lower-case letters, digits and '-')")
        return v

    @field_validator("project_id")
    @classmethod
    def _project(cls, v: str | None) -> str | None:
        if v is not None and not _PROJECT_RE.fullmatch(v):
            raise ValueError("must be the 32-character lower-case hex project id")
        return v

    @field_validator("sdrs_endpoint", "ecs_endpoint", "iam_endpoint")
    @classmethod
    def _endpoints(cls, v: str | None) -> str | None:
        return _endpoint(v)

    def base_url(self, service: str) -> str:
        given = {
            "sdrs": self.sdrs_endpoint,
            "ecs": self.ecs_endpoint,
            "iam": self.iam_endpoint,
        }.get(service)
        if given:
            return given
        url = endpoint_for(service, self.region)
        if url is None:
            raise ConfigError([no_endpoint(service, self.region, f"{service}_endpoint")])
        return url


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
        """(where, what) for what no single field shows: bindings naming unknown accounts."""
        found: list[tuple[tuple[str, ...], str]] = []
        for name, account in self.accounts.items():
            for service in ("sdrs", "ecs"):
                given = account.sdrs_endpoint if service == "sdrs" else account.ecs_endpoint
                if given is None and endpoint_for(service, account.region) is None:
                    what = no_endpoint(service, account.region, f"{service}_endpoint")
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
        return found

    def bindings_with(self, fallback: Policy) -> Bindings:
        return Bindings(
            tuple(
                Binding(
                    channels=frozenset(b.channels),
                    accounts=tuple(b.accounts),
                    policy=b.policy(fallback),
                    default_account=b.default_account,
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


def load_accounts(path: Path) -> AccountsFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the accounts file ({exc.strerror})"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    lines = text.splitlines()
    try:
        parsed = AccountsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(path, lines, dict(e)) for e in exc.errors()]) from None
    cross = parsed.cross_problems()
    if cross:
        raise ConfigError([_describe(path, lines, {"loc": loc, "msg": msg}) for loc, msg in cross])
    return parsed


def binding_problem(path: Path, index: int, what: str) -> str:
    """``FILE:LINE: bindings[N]: what`` for the binding at ``index`` (from 0), as every other
    problem in the file is written."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    return _describe(path, lines, {"loc": ("bindings", str(index)), "msg": what})


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
