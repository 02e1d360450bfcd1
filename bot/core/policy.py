"""Who may ask for what, where, and who may confirm it. Pure: ids in, a :class:`Decision` out.

* Requesting: per intent kind, allow-lists of users, user groups and channels. An empty user
  list *and* empty group list means anyone; an empty channel list means any channel.
* Confirming: ``requester`` mode (the default) lets only the requester confirm; ``two-person``
  mode needs a *different* user who is an approver (listed, or in an approver group). Anyone
  allowed to confirm may also cancel; the requester may always cancel their own request.

User-group membership needs a Slack call; the caller resolves it and passes the groups in.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Denial(StrEnum):
    CHANNEL = "channel-not-allowed"
    USER = "user-not-allowed"
    NOT_REQUESTER = "only-requester-confirms"
    SELF_APPROVAL = "two-person-rule"
    NOT_APPROVER = "not-an-approver"
    CANCEL_NOT_REQUESTER = "only-requester-cancels"
    CANCEL_NOT_APPROVER = "only-requester-or-approver-cancels"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    denial: Denial | None = None

    @classmethod
    def allow(cls) -> Decision:
        return cls(True)

    @classmethod
    def deny(cls, why: Denial) -> Decision:
        return cls(False, why)


_SLACK_ID_RE = re.compile(r"[A-Z0-9]{2,32}")
# kind -> (what, allowed first letters, an example)
ID_KINDS = {
    "users": ("user", "UW", "U012AB3CD"),
    "approvers": ("user", "UW", "U012AB3CD"),
    "usergroups": ("user group", "S", "S0614TZR7"),
    "channels": ("channel", "CG", "C024BE91L"),
}


def slack_ids(values: Iterable[object], kind: str) -> frozenset[str]:
    """Slack ids of one kind (``users``/``approvers``: U/W..., ``usergroups``: S...,
    ``channels``: C/G...), or ValueError naming the bad items by position - never echoing
    them (a mistake may be a pasted token)."""
    items = [str(x) for x in values]
    what, prefixes, example = ID_KINDS[kind]
    bad = [
        n
        for n, x in enumerate(items, start=1)
        if not (_SLACK_ID_RE.fullmatch(x) and x[0] in prefixes)
    ]
    if bad:
        raise ValueError(
            f"item(s) {', '.join(str(n) for n in bad[:5])} are not {what} ids ({what} ids look "
            f"like {example}; names and other kinds of id are not accepted)"
        )
    return frozenset(items)


@dataclass(frozen=True)
class AccessRule:
    users: frozenset[str] = frozenset()
    usergroups: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Policy:
    requests: dict[str, AccessRule] = field(default_factory=dict)  # intent kind -> rule
    approval_mode: Literal["requester", "two-person"] = "requester"
    approvers: frozenset[str] = frozenset()
    approver_groups: frozenset[str] = frozenset()


def may_request(
    policy: Policy, kind: str, user: str, user_groups: Collection[str], channel: str
) -> Decision:
    rule = policy.requests.get(kind, AccessRule())
    if rule.channels and channel not in rule.channels:
        return Decision.deny(Denial.CHANNEL)
    if (rule.users or rule.usergroups) and not (
        user in rule.users or rule.usergroups.intersection(user_groups)
    ):
        return Decision.deny(Denial.USER)
    return Decision.allow()


CHANGE_KINDS = ("resize", "rename_drill")  # the intents that change something


def unrestricted(policy: Policy) -> tuple[str, ...]:
    """The change kinds anyone may request under ``policy``: their rule names no user, no user
    group and no channel (missing, or written with empty lists). Serving refuses to start with
    any, unless open access was chosen on purpose (fail closed)."""
    rules = {kind: policy.requests.get(kind, AccessRule()) for kind in CHANGE_KINDS}
    return tuple(
        kind for kind, rule in rules.items() if not (rule.users or rule.usergroups or rule.channels)
    )


def may_read(policy: Policy, user: str, user_groups: Collection[str], channel: str) -> Decision:
    """Reading through the bot (forms, pickers, job status, jobs, history) follows changing:
    allowed where the user may request some change, or - in two-person mode - where an
    approver may be asked to confirm one (a channel some change may be requested in)."""
    denial: Denial | None = None
    for kind in CHANGE_KINDS:
        decision = may_request(policy, kind, user, user_groups, channel)
        if decision.allowed:
            return decision
        denial = denial or decision.denial
    approver = user in policy.approvers or policy.approver_groups.intersection(user_groups)
    if policy.approval_mode == "two-person" and approver:
        rules = [policy.requests.get(kind, AccessRule()) for kind in CHANGE_KINDS]
        if any(not rule.channels or channel in rule.channels for rule in rules):
            return Decision.allow()
    return Decision.deny(denial or Denial.USER)


def groups_that_matter(policy: Policy, kind: str | None = None) -> frozenset[str]:
    """The user groups whose membership a decision reads (``kind``: a request of it; None:
    reading)."""
    kinds = [kind] if kind else list(CHANGE_KINDS)
    groups = {g for k in kinds for g in policy.requests.get(k, AccessRule()).usergroups}
    return frozenset(groups | (set() if kind else set(policy.approver_groups)))


def may_confirm(
    policy: Policy, requester: str, clicker: str, clicker_groups: Collection[str]
) -> Decision:
    if policy.approval_mode == "requester":
        return Decision.allow() if clicker == requester else Decision.deny(Denial.NOT_REQUESTER)
    if clicker == requester:
        return Decision.deny(Denial.SELF_APPROVAL)
    if clicker in policy.approvers or policy.approver_groups.intersection(clicker_groups):
        return Decision.allow()
    return Decision.deny(Denial.NOT_APPROVER)


def may_cancel(
    policy: Policy, requester: str, clicker: str, clicker_groups: Collection[str]
) -> Decision:
    if clicker == requester:
        return Decision.allow()
    if may_confirm(policy, requester, clicker, clicker_groups).allowed:
        return Decision.allow()
    if policy.approval_mode == "two-person":
        return Decision.deny(Denial.CANCEL_NOT_APPROVER)
    return Decision.deny(Denial.CANCEL_NOT_REQUESTER)
