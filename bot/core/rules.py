"""SDRS rules from the API reference, as plain data and pure functions.

Used by the bot's own validation (before anything is sent) and by the local emulator (which
must refuse what the real service refuses).
"""

from __future__ import annotations

import re

from bot.core.wording import N_, Wording, wording

# 保护组状态 / protection group statuses in which a protected instance may be resized.
RESIZABLE_GROUP_STATUSES = frozenset({"available", "protected"})
# 保护实例状态 / protected instance statuses in which resize is accepted.
RESIZABLE_INSTANCE_STATUSES = frozenset({"available", "protected", "error-resizing"})
INSTANCE_STATUSES = (
    "creating",
    "available",
    "deleting",
    "error-deleting",
    "error",
    "nic-creating",
    "nic-deleting",
    "starting",
    "error-starting",
    "protected",
    "reversing",
    "failing-over",
    "failed-over",
    "reprotecting",
    "stopping",
    "error-stopping",
    "error-reversing",
    "error-failing-over",
    "error-reprotecting",
    "resizing",
    "error-resizing",
    "invalid",
    "fault",
)

DRILL_NAME_MAX_BYTES = 64
# "Chinese characters" as Huawei's consoles validate them: the CJK Unified Ideographs block.
_DRILL_NAME_RE = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9._-]+")
DRILL_NAME_RULE = N_(
    "at most 64 bytes (UTF-8; a Chinese character takes 3), only Chinese characters, "
    "a-z, A-Z, 0-9, '.', '_' and '-'"
)


def drill_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid drill name (English), or None when it is valid."""
    problem = drill_name_wording(name)
    return problem.english() if problem else None


def drill_name_wording(name: str) -> Wording | None:
    """Why ``name`` is not a valid drill name (translated where shown), or None when valid."""
    if not name:
        return wording(N_("the name is empty"))
    size = len(name.encode("utf-8"))
    if size > DRILL_NAME_MAX_BYTES:
        return wording(
            N_("the name is {size} bytes long in UTF-8; the limit is {most}"),
            size=size,
            most=DRILL_NAME_MAX_BYTES,
        )
    if not _DRILL_NAME_RE.fullmatch(name):
        bad = sorted({c for c in name if not _DRILL_NAME_RE.fullmatch(c)})
        shown = " ".join(repr(c) for c in bad[:5])
        return wording(
            N_("the name contains characters that are not allowed: {shown}"), shown=shown
        )
    return None
