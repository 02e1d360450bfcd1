"""The benchmarks stay runnable and documented: bench/README.md names every bench with its full
and quick command, and CI runs every bench's quick mode after the tests (a bench that stops
running fails CI there; its figures are never asserted)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def benches() -> list[str]:
    names = sorted(path.name for path in (ROOT / "bench").glob("*.py"))
    assert names, "no bench/*.py found"
    return names


def test_every_bench_is_listed_with_its_full_and_quick_command() -> None:
    text = (ROOT / "bench" / "README.md").read_text()
    for name in benches():
        assert re.search(rf"`python bench/{re.escape(name)}( \[[^`]*)?`", text), name
        assert f"`python bench/{name} --quick`" in text, name


def test_ci_runs_every_bench_quick_after_the_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    tests_at = ci.index('eval "$test_cmd"')
    quick_at = ci.index("bench/quick.sh")
    assert quick_at > tests_at
    runner = (ROOT / "bench" / "quick.sh").read_text()
    assert "for bench in bench/*.py; do" in runner
    assert 'python "$bench" --quick' in runner
