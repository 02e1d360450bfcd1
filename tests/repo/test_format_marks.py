"""The formatter's output is the style: no comment in bot/, handlers/, tests/ or bench/ turns
``ruff format`` off for a line (``fmt: skip``) or a region (``fmt: off``). A rare table that
reads better aligned by hand may be let off here, by file, with the reason."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("bot", "handlers", "tests", "bench")
# "path": "why this file's table is aligned by hand" (none so far)
LET_OFF: dict[str, str] = {}
# ruff honours the mark in any comment, also one after another pragma (a noqa, then the mark)
MARK = re.compile(r"#\s*fmt:\s*(?:skip|off)\b")


def format_marks(source: str) -> list[int]:
    """The lines of ``source`` with a comment that turns the formatter off."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.start[0] for t in tokens if t.type == tokenize.COMMENT and MARK.search(t.string)]


def test_the_check_sees_each_form_of_the_mark() -> None:
    source = "\n".join(
        [
            "a = [1,2]  # fmt: skip",
            "# fmt: off",
            "b = [1,2]",
            "# fmt: on",
            "c = 1  # noqa: E501 # fmt:skip",
            's = "# fmt: skip is text here, not a comment"',
            "d = 2  # the fmt: skip mark is not used here",
            "",
        ]
    )
    assert format_marks(source) == [1, 2, 5]


def test_no_source_turns_the_formatter_off() -> None:
    files = [p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 100  # the tree itself, not an empty glob
    found = {
        rel: lines
        for path in files
        if (rel := path.relative_to(ROOT).as_posix()) not in LET_OFF
        and (lines := format_marks(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "run `ruff format` and drop the marks (or let a table off in LET_OFF)"
