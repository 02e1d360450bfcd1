"""The wheel, built from a copy of the source tree (so no earlier build's leftovers get in):
it carries every file of bot/ and handlers/, the ones that are not modules too (the
playground's page, the store's migrations: package-data in pyproject.toml), and nothing of the
tests' helpers (tests/support/): what it ships is what ``sdrs-bot serve``, ``check``, ``worker``
and ``demo`` need."""

from __future__ import annotations

import ast
import gettext
import io
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.support.local_env import ROOT

pytestmark = [pytest.mark.process, pytest.mark.slow]  # pip builds it in a child: about 15 s

SUPPORT = ROOT / "tests" / "support"
# where the tests' helpers used to live in bot/ (the names they had are checked below too)
FORMER_PLACES = ("bot/sandbox/local_env.py", "bot/sandbox/iam.py")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The wheel's files by name."""
    src = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "babel.cfg"):
        shutil.copy(ROOT / name, src / name)
    for package in ("bot", "handlers", "build_backend"):  # no compiled catalog: the build makes it
        shutil.copytree(
            ROOT / package,
            src / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"),
        )
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = dist.glob("sdrs_bot-*.whl")
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _source_files() -> list[str]:
    return sorted(
        p.relative_to(ROOT).as_posix()
        for package in ("bot", "handlers")
        for p in (ROOT / package).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def _public_definitions(source: str) -> set[str]:
    """The functions and classes a module defines at its top level, but private ones."""
    return {
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
    }


def test_the_wheel_carries_every_file_of_the_packages(wheel: dict[str, bytes]) -> None:
    files = _source_files()
    assert "bot/store/migrations/script.py.mako" in files  # the list is the source tree's
    assert any(f.startswith("bot/playground/static/") for f in files)
    assert [f for f in files if f not in wheel] == []


def test_the_wheel_ships_none_of_the_tests_helpers(wheel: dict[str, bytes]) -> None:
    helpers = set().union(*(_public_definitions(p.read_text()) for p in SUPPORT.glob("*.py")))
    assert {"add_bulk_instances", "IamThread", "IamEmulator", "serve_env"} <= helpers
    assert [n for n in wheel if n.startswith("tests/") or n in FORMER_PLACES] == []
    shipped = {
        name: _public_definitions(content.decode())
        for name, content in wheel.items()
        if name.endswith(".py")
    }
    assert len(shipped) > 100  # the whole bot, not an empty or partial wheel
    assert {name: sorted(defs & helpers) for name, defs in shipped.items() if defs & helpers} == {}


def test_the_wheel_carries_the_compiled_catalogs(wheel: dict[str, bytes]) -> None:
    """Built from a tree without any .mo (as a fresh clone is), the wheel has the Chinese
    catalog compiled from its .po, and gettext reads it."""
    name = "handlers/locale/zh/LC_MESSAGES/messages.mo"
    assert name in wheel
    catalog = gettext.GNUTranslations(io.BytesIO(wheel[name]))
    assert catalog.gettext("Confirm") == "确认"
    assert catalog.gettext("Change SDRS now?") == "现在变更 SDRS？"
    assert "handlers/locale/zh/LC_MESSAGES/messages.po" in wheel
