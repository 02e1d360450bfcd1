"""The core is import-pure: each module of bot/core, imported alone in a fresh interpreter,
loads no I/O library (the import-linter contracts in pyproject.toml check the static imports;
this checks what actually gets loaded, lazy imports and plugins included)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib

import pytest

import bot.core
from tests.support.local_env import ROOT

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


def _layered_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    return [m.strip() for layer in layers for m in layer.split(":")]


def _all_modules() -> list[str]:
    import bot
    import handlers

    found = ["bot", "handlers"]
    for package in (bot, handlers):
        prefix = f"{package.__name__}."
        found += [m.name for m in pkgutil.walk_packages(package.__path__, prefix=prefix)]
    return found


def _outside(modules: list[str], layered: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m not in ("bot", "handlers")
        and not any(m == top or m.startswith(f"{top}.") for top in layered)
    ]


def test_every_module_sits_in_an_import_linter_layer() -> None:
    outside = _outside(_all_modules(), _layered_modules())
    assert outside == [], f"add these to a layer in pyproject.toml: {outside}"


def test_a_module_left_out_of_the_layers_is_found() -> None:
    modules = ["bot", "bot.core", "bot.core.intents", "bot.coretools", "bot.health"]
    assert _outside(modules, ["bot.core"]) == ["bot.coretools", "bot.health"]


def test_bot_keeps_at_most_eight_loose_modules() -> None:
    loose = sorted(p.stem for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__")
    assert len(loose) <= 8, f"bot/ holds {len(loose)} loose modules: {loose}"
