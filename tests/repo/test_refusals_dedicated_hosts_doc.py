"""docs/refusals.md lists every kind of dedicated-host refusal (``bot.core.dedicated_hosts.
HostRefusal``) in a row of its own, with the SDRS code it spares or "not documented" (the tests
it names are checked by tests/repo/test_refusals_doc.py)."""

from __future__ import annotations

from pathlib import Path

from bot.core.dedicated_hosts import SDRS_CODES, HostRefusal

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "refusals.md").read_text(encoding="utf-8")


def test_every_dedicated_host_refusal_has_a_row_with_its_code() -> None:
    rows = [line for line in DOC.splitlines() if line.startswith("| `")]
    for kind in HostRefusal:
        [row] = [r for r in rows if r.startswith(f"| `{kind.value}`:")]
        code = SDRS_CODES[kind]
        assert (code in row) if code else ("not documented" in row), kind
        assert "::test_" in row, kind
