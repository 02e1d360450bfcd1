"""docs/refusals.md cannot rot: every test it names (``tests/...py::test_name``) is a test
function in that file, and every preflight refusal (``bot.core.preflight.Refusal``) has a row
that starts with its value and names at least one test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.core.preflight import Refusal

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "refusals.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_named_test_exists() -> None:
    named = NODE.findall(DOC.read_text(encoding="utf-8"))
    assert len(named) >= 20  # the page names the tests of every refusal
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / path).is_file() or name not in defined_tests(ROOT / path)
    ]
    assert missing == []


def test_every_preflight_refusal_has_a_row_with_a_test() -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    for refusal in Refusal:
        row = [r for r in rows if r.startswith(f"| `{refusal.value}`:")]
        assert len(row) == 1, refusal
        assert NODE.search(row[0]), refusal


def test_a_missing_test_would_be_caught(tmp_path: Path) -> None:
    fake = tmp_path / "test_x.py"
    fake.write_text("def test_real() -> None:\n    pass\n\nasync def test_async() -> None: ...\n")
    assert defined_tests(fake) == {"test_real", "test_async"}
