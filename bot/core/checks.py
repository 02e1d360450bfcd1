"""One line of ``sdrs-bot check``: what was checked, whether it passed, and the remedy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    remedy: str = ""
    untested: bool = False  # could not be tried (counts as ok; marked "--")

    def line(self) -> str:
        mark = "--  " if self.untested else "ok  " if self.ok else "FAIL"
        fix = f"\n       -> {self.remedy}" if not self.ok and self.remedy else ""
        return f"{mark} {self.name:<16} {self.detail}{fix}"
