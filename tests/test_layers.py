"""The core is import-pure: each module of bot/core, imported alone in a fresh interpreter,
loads no I/O library (the import-linter contracts in pyproject.toml check the static imports;
this checks what actually gets loaded, lazy imports and plugins included)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import bot.core
from bot.sandbox.local_env import ROOT

IO_LIBRARIES = (
    "httpx",
    "aiohttp",
    "sqlalchemy",
    "psycopg",
    "slack_sdk",
    "slack_bolt",
    "pydantic_settings",
    "apscheduler",
    "prometheus_client",
)
CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(bot.core.__path__, prefix="bot.core."))


def test_the_core_has_the_modules_it_should() -> None:
    assert {
        "bot.core.intents",
        "bot.core.policy",
        "bot.core.preflight",
        "bot.core.tracking",
        "bot.core.routing",
        "bot.core.facts",
        "bot.core.wire.sdrs",
        "bot.core.wire.ecs",
    } <= set(CORE_MODULES)


@pytest.mark.parametrize("module", CORE_MODULES)
@pytest.mark.process
def test_a_core_module_loads_no_io_library(module: str) -> None:
    probe = (
        f"import sys, json, {module}\n"
        f"print(json.dumps([m for m in {IO_LIBRARIES!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert json.loads(out) == [], f"importing {module} loads {out.strip()}"
