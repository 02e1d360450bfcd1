"""Flavor names as ECS spells them (pure)."""

from __future__ import annotations

import pytest

from bot.core.flavors import canonical_flavors
from bot.core.intents import ResizeIntent

KNOWN = ["s6.large.2", "s6.xlarge.2", "c7n.2xlarge.4", "Mixed.Case.1", "mixed.case.1"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"flavor": "S6.XLARGE.2"}, {"flavor": "s6.xlarge.2"}),
        (
            {"production_flavor": "C7N.2XLarge.4", "dr_flavor": "s6.large.2"},
            {"production_flavor": "c7n.2xlarge.4", "dr_flavor": "s6.large.2"},
        ),
        ({"flavor": "s9.huge.8"}, {"flavor": "s9.huge.8"}),  # unknown: the preflight says so
        ({"flavor": "MIXED.CASE.1"}, {"flavor": "MIXED.CASE.1"}),  # two spellings: no guess
    ],
)
def test_canonical_flavors(fields: dict[str, str], expected: dict[str, str]) -> None:
    intent = ResizeIntent(instance_id="pi", **fields)
    assert canonical_flavors(intent, KNOWN) == ResizeIntent(instance_id="pi", **expected)
