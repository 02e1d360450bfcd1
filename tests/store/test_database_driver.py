"""PostgreSQL's driver is an extra (``pip install 'sdrs-bot[postgresql]'``): SQLite needs
nothing more, and a PostgreSQL DATABASE_URL without the driver fails at start with one clear
line naming the extra - not SQLAlchemy's traceback. A URL naming a database or a driver the
store does not speak fails at start the same way, naming what it speaks. "Not installed" is
made real for one test: ``sys.modules["psycopg"] = None`` makes every ``import psycopg`` fail
as if it were absent (the installed wheel without the extra is checked the same way by
deploy/check-wheel.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config.diagnostics import read_settings
from bot.config.settings import POSTGRESQL_EXTRA, database_url_problem
from bot.core.errors import ConfigError
from bot.store import Store
from tests.support.local_env import ROOT

PG_URL = "postgresql://sdrs:secret-pw@db.example.internal:5432/sdrs_bot"


@pytest.fixture
def no_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)


def test_with_the_driver_installed_nothing_is_missing() -> None:
    assert database_url_problem(PG_URL) is None
    assert database_url_problem("postgresql+psycopg://u@h/d") is None


@pytest.mark.usefixtures("no_driver")
@pytest.mark.parametrize("url", [PG_URL, "postgresql+psycopg://u@h/d", "POSTGRESQL://u@h/d"])
def test_a_postgresql_url_without_the_driver_names_the_extra(url: str) -> None:
    problem = database_url_problem(url)
    assert problem is not None
    assert POSTGRESQL_EXTRA in problem
    assert "pip install 'sdrs-bot[postgresql]'" in problem
    assert "secret-pw" not in problem  # the URL (and its password) is not repeated


@pytest.mark.usefixtures("no_driver")
@pytest.mark.parametrize("url", ["sqlite:///x.sqlite3", "sqlite://", "sqlite+pysqlite:///x"])
def test_sqlite_needs_no_extra(url: str) -> None:
    assert database_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://sdrs:secret-pw@h/d", "names mysql"),
        ("postgresql+asyncpg://sdrs:secret-pw@h/d", "driver asyncpg"),
        ("postgresql+psycopg2://sdrs:secret-pw@h/d", "driver psycopg2"),
        ("sqlite+aiosqlite:///x.sqlite3", "driver aiosqlite"),
    ],
)
def test_a_database_or_driver_the_store_does_not_speak_is_refused_at_start(
    url: str, named: str
) -> None:
    """The store speaks SQLite and PostgreSQL through psycopg (the intake's group commit, the
    leases and the outbox have a statement for each, no other): any other URL is one line at
    start - in the settings' problems and from the store - not a failure at the first ack."""
    problem = database_url_problem(url)
    assert problem is not None and named in problem
    assert "secret-pw" not in problem
    _, problems = read_settings(_env_file=None, database_url=url)
    assert problem in problems
    with pytest.raises(ConfigError) as refused:
        Store.from_url(url)
    assert problem in str(refused.value) and "secret-pw" not in str(refused.value)


@pytest.mark.usefixtures("no_driver")
def test_sqlite_store_works_without_the_driver(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        store.probe_write()
    finally:
        store.close()


@pytest.mark.usefixtures("no_driver")
def test_the_store_refuses_a_postgresql_url_without_the_driver() -> None:
    with pytest.raises(ConfigError, match=r"sdrs-bot\[postgresql\]"):
        Store.from_url(PG_URL)


@pytest.mark.usefixtures("no_driver")
def test_the_settings_list_the_missing_driver_with_the_other_problems() -> None:
    _, problems = read_settings(_env_file=None, database_url=PG_URL)
    (driver,) = [p for p in problems if "psycopg" in p]
    assert POSTGRESQL_EXTRA in driver


@pytest.mark.process
def test_serve_without_the_driver_stops_at_start_naming_the_extra(tmp_path: Path) -> None:
    """The real ``sdrs-bot serve`` entry point, in a child whose ``import psycopg`` fails: exit
    status 2 and one line on standard error, before any connection is tried."""
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=PG_URL,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s" * 32,
        HUAWEICLOUD_SDK_AK="AK",
        HUAWEICLOUD_SDK_SK="SK",
        HUAWEICLOUD_SDK_PROJECT_ID="0" * 32,
        OPEN_ACCESS="true",
    )
    child = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from bot.cli import main\n"
        "raise SystemExit(main(['serve']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "sdrs-bot[postgresql]" in done.stderr
    assert "Traceback" not in done.stderr
    assert "secret-pw" not in done.stderr
