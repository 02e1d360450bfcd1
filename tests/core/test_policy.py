from __future__ import annotations

import pytest

from bot.core.policy import (
    AccessRule,
    Decision,
    Denial,
    Policy,
    groups_that_matter,
    may_cancel,
    may_confirm,
    may_read,
    may_request,
)

OPEN = Policy()
RESTRICTED = Policy(
    requests={
        "resize": AccessRule(
            users=frozenset({"U_ALICE"}),
            usergroups=frozenset({"S_ONCALL"}),
            channels=frozenset({"C_DR"}),
        ),
        "rename_drill": AccessRule(channels=frozenset({"C_DR", "C_OPS"})),
    }
)
TWO_PERSON = Policy(
    approval_mode="two-person",
    approvers=frozenset({"U_BOB"}),
    approver_groups=frozenset({"S_LEADS"}),
)


@pytest.mark.parametrize(
    ("policy", "kind", "user", "groups", "channel", "expected"),
    [
        (OPEN, "resize", "U_ANY", (), "C_ANY", Decision.allow()),
        (RESTRICTED, "resize", "U_ALICE", (), "C_DR", Decision.allow()),
        (RESTRICTED, "resize", "U_CAROL", ("S_ONCALL",), "C_DR", Decision.allow()),
        (RESTRICTED, "resize", "U_CAROL", ("S_OTHER",), "C_DR", Decision.deny(Denial.USER)),
        (RESTRICTED, "resize", "U_ALICE", (), "C_RANDOM", Decision.deny(Denial.CHANNEL)),
        (RESTRICTED, "rename_drill", "U_ANY", (), "C_OPS", Decision.allow()),
        (RESTRICTED, "rename_drill", "U_ANY", (), "C_RANDOM", Decision.deny(Denial.CHANNEL)),
        (RESTRICTED, "help", "U_ANY", (), "C_RANDOM", Decision.allow()),
    ],
)
def test_may_request(
    policy: Policy, kind: str, user: str, groups: tuple[str, ...], channel: str, expected: Decision
) -> None:
    assert may_request(policy, kind, user, groups, channel) == expected


@pytest.mark.parametrize(
    ("policy", "requester", "clicker", "groups", "expected"),
    [
        (OPEN, "U_A", "U_A", (), Decision.allow()),
        (OPEN, "U_A", "U_B", (), Decision.deny(Denial.NOT_REQUESTER)),
        (TWO_PERSON, "U_A", "U_A", (), Decision.deny(Denial.SELF_APPROVAL)),
        (TWO_PERSON, "U_BOB", "U_BOB", (), Decision.deny(Denial.SELF_APPROVAL)),
        (TWO_PERSON, "U_A", "U_BOB", (), Decision.allow()),
        (TWO_PERSON, "U_A", "U_C", ("S_LEADS",), Decision.allow()),
        (TWO_PERSON, "U_A", "U_C", ("S_OTHER",), Decision.deny(Denial.NOT_APPROVER)),
    ],
)
def test_may_confirm(
    policy: Policy, requester: str, clicker: str, groups: tuple[str, ...], expected: Decision
) -> None:
    assert may_confirm(policy, requester, clicker, groups) == expected


def test_cancel_by_requester_always_and_by_approvers() -> None:
    assert may_cancel(TWO_PERSON, "U_A", "U_A", ()).allowed
    assert may_cancel(TWO_PERSON, "U_A", "U_BOB", ()).allowed
    assert may_cancel(TWO_PERSON, "U_A", "U_C", ()) == Decision.deny(Denial.CANCEL_NOT_APPROVER)
    assert may_cancel(OPEN, "U_A", "U_B", ()) == Decision.deny(Denial.CANCEL_NOT_REQUESTER)


ONLY_ALICE = Policy(
    requests={
        "resize": AccessRule(users=frozenset({"U_ALICE"}), channels=frozenset({"C_DR"})),
        "rename_drill": AccessRule(users=frozenset({"U_ALICE"}), channels=frozenset({"C_DR"})),
    },
    approval_mode="two-person",
    approvers=frozenset({"U_BOB"}),
)


@pytest.mark.parametrize(
    ("policy", "user", "groups", "channel", "expected"),
    [
        (OPEN, "U_ANY", (), "C_ANY", Decision.allow()),
        # may request a rename in C_OPS (anyone there), so may read there
        (RESTRICTED, "U_CAROL", (), "C_OPS", Decision.allow()),
        (RESTRICTED, "U_CAROL", (), "C_RANDOM", Decision.deny(Denial.CHANNEL)),
        (ONLY_ALICE, "U_ALICE", (), "C_DR", Decision.allow()),
        (ONLY_ALICE, "U_CAROL", (), "C_DR", Decision.deny(Denial.USER)),
        # an approver reads where changes are asked for, not elsewhere
        (ONLY_ALICE, "U_BOB", (), "C_DR", Decision.allow()),
        (ONLY_ALICE, "U_BOB", (), "C_RANDOM", Decision.deny(Denial.CHANNEL)),
        (TWO_PERSON, "U_DAVE", ("S_LEADS",), "C_ANY", Decision.allow()),
    ],
)
def test_reading_follows_changing(
    policy: Policy, user: str, groups: tuple[str, ...], channel: str, expected: Decision
) -> None:
    assert may_read(policy, user, groups, channel) == expected


def test_groups_that_matter() -> None:
    assert groups_that_matter(RESTRICTED, "resize") == {"S_ONCALL"}
    assert groups_that_matter(RESTRICTED, "rename_drill") == frozenset()
    assert groups_that_matter(TWO_PERSON) == {"S_LEADS"}
