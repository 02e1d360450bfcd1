"""The installed version, from package metadata (``version`` in pyproject.toml): one source, so
the wheel, the image and ``sdrs-bot --version`` agree. A source tree run without being installed
reports ``0+unknown``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "sdrs-bot"


def installed_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


__version__ = installed_version()
