"""The build backend: setuptools', after compiling the message catalogs.

``handlers/locale/<lang>/LC_MESSAGES/messages.po`` (committed) becomes ``messages.mo`` (not
committed) beside it before setuptools builds a wheel, an editable install or an sdist, so that
``pip install .``, ``pip install -e .`` and ``python -m build`` all ship the compiled catalogs.
Babel compiles them (a build requirement, not a run-time one: the bot reads ``.mo`` files with
the standard library's :mod:`gettext`). A fuzzy entry is left out, as ``pybabel compile`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the rest of PEP 517/660 as setuptools has it)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "handlers" / "locale"


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every ``.po`` under ``locale_dir`` compiled to its ``.mo``; the ``.mo`` files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        written.append(mo)
    return written


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    compile_catalogs()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    compile_catalogs()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    compile_catalogs()
    return _setuptools.build_sdist(sdist_directory, config_settings)
