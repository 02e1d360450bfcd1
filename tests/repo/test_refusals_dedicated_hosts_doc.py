"""docs/refusals.md keeps its promises: every test it names exists, every preflight refusal and
every dedicated-host refusal has a row."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.core.dedicated_hosts import SDRS_CODES, HostRefusal
from bot.core.preflight import Refusal

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "refusals.md").read_text(encoding="utf-8")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_named_exists() -> None:
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", DOC)
    assert len(named) > 10
    missing = [f"{f}::{t}" for f, t in named if t not in _tests_in(ROOT / f)]
    assert not missing


def test_every_refusal_has_a_row() -> None:
    rows = [line for line in DOC.splitlines() if line.startswith("| `")]
    for refusal in Refusal:
        assert any(row.startswith(f"| `{refusal.value}`") for row in rows), refusal
    for kind in HostRefusal:
        [row] = [r for r in rows if f"(`{kind.value}`)" in r]
        code = SDRS_CODES[kind]
        assert (code in row) if code else ("not documented" in row), kind


def test_the_readme_links_the_list() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/refusals.md)" in readme
