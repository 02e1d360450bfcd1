"""The test tiers stay documented: docs/development.md ("Test tiers") lists exactly the markers
pyproject.toml registers, its fast-tier command leaves out each of them, the README runs the
whole suite with the command the doc explains, and the PostgreSQL mark follows the fixtures
that need the real PostgreSQL."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST_TIER = 'python -m pytest -m "not (postgres or process or browser or slow)" -n 2'
WHOLE_SUITE = "python -m pytest -n 4 --dist loadgroup"


def registered_markers() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    return {line.split(":", 1)[0].strip() for line in config["markers"]}


def tiers_section() -> str:
    text = (ROOT / "docs" / "development.md").read_text()
    found = re.search(r"^## Test tiers\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, 'docs/development.md has no "## Test tiers" section'
    return found.group(1)


def test_the_doc_lists_the_registered_markers() -> None:
    documented = set(re.findall(r"^- `(\w+)`", tiers_section(), re.M))
    assert documented == registered_markers()


def test_the_fast_tier_command_leaves_out_every_marker() -> None:
    section = tiers_section()
    assert FAST_TIER in section
    assert set(re.findall(r"\w+", FAST_TIER.split('"')[1])) - {"not", "or"} == registered_markers()
    assert "docs/development.md" in (ROOT / "README.md").read_text()


def test_the_readme_runs_the_whole_suite_as_the_doc_says() -> None:
    """CI runs the README's second set-up command (.ci/run): the parallel whole suite."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"^```sh\n(.*?)^```", readme, re.M | re.S)
    assert block, "README.md has no sh block"
    assert block.group(1).splitlines()[1].endswith("&& " + WHOLE_SUITE)
    assert WHOLE_SUITE in tiers_section()


def test_the_postgresql_database_is_marked_postgres(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    marked = request.node.get_closest_marker("postgres") is not None
    assert marked == db_url.startswith("postgresql")
