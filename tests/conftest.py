"""Shared fixtures: a clean environment, the seeded emulator on port 0, clients pointed at it."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from bot.config.settings import Settings
from bot.huaweicloud.ecs import EcsClient
from bot.huaweicloud.sdrs import SdrsClient
from bot.huaweicloud.wiring import build_clients
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiState, SlackApiThread
from bot.sandbox.world import World
from tests.support.local_env import ROOT
from tests.support.secret_logs import SecretLogCheck

pytest_plugins = ["pytester", "tests.support.slack_harness", "tests.support.serve"]


def pytest_configure(config: pytest.Config) -> None:
    """The secret-in-logs check watches every test of the run (tests/support/secret_logs.py).
    The compiled message catalogs are brought up to date with their .po first (the build
    compiles them; a .po edited since the last ``pip install -e .`` would be tested stale)."""
    if not hasattr(config, "workerinput"):  # once, in the controller, before any worker
        compile_catalogs()
    check = SecretLogCheck(
        redact=not os.environ.get("SDRS_BOT_TEST_LOG_RAW"),
        copy_to=os.environ.get("SDRS_BOT_TEST_LOG"),
    )
    config.pluginmanager.register(check, "secret-log-check")


def compile_catalogs() -> None:
    """``handlers/locale/*/LC_MESSAGES/messages.mo`` from its .po when missing or older (what
    the build backend, build_backend/sdrs_build.py, does at every build)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "handlers" / "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the imports and the collection made lives to the end of the run: out of the
    garbage collector's sight (``gc.freeze``), so the collection after each test
    (:func:`collect_this_tests_garbage`) looks only at what tests made - a fraction of a
    millisecond instead of ~90 ms."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def collect_this_tests_garbage() -> Iterator[None]:
    """After each test (every other fixture of it torn down first: this one is set up first):
    collect the garbage it left. Something it left unclosed and unreachable - an aiohttp
    session, a psycopg connection, a socket - warns now, and the warning (an error in this
    suite) fails *this* test, every time, instead of whichever test happened to be running
    when the collector next ran: in 1 of 2 full runs, on a test that had nothing to do with
    it (the wheel's contents once; the end of the run, naming no test, another time)."""
    yield
    gc.collect()


_SETTINGS_ENV = {name.upper() for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's environment or .env (pydantic-settings' own practice), nor
    writes to the developer's data directory (a default DATABASE_URL lands in a temporary
    XDG_DATA_HOME: a shared ~/.local/share database made tests depend on each other)."""
    for name in list(os.environ):
        if name.upper() in _SETTINGS_ENV or name.startswith(("HUAWEICLOUD_", "SLACK_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers by what a test needs (docs/development.md, "Test tiers"): a test that asks for a
    real PostgreSQL (``pg_url``, or ``db_url`` with its ``postgresql`` param) is ``postgres``;
    one that asks for the ``browser`` fixture is ``browser``. The mark follows the fixture, so a
    new test is tiered without anyone remembering to."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if "pg_url" in names or params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
    # The long tests first: parallel workers (README's test command) then finish together
    # instead of one of them starting a minute-long test near the end. A stable sort, so every
    # worker sees the same order.
    items.sort(key=_heaviness)


def _heaviness(item: pytest.Item) -> int:
    marks = {m.name for m in item.iter_markers()}
    if marks & {"process", "slow", "browser"}:
        return 0
    return 1 if "postgres" in marks else 2


PG_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sdrs_bot_test"
)
PG_NEEDED = "PostgreSQL at 127.0.0.1:5432 with database sdrs_bot_test (.ci/run creates it)"


_run_url: list[str] = []  # this process's database, once a test asked for one


def _session_database(base_url: str) -> str:
    """This test process's own database, made next to ``sdrs_bot_test`` (so two runs on one
    server - a developer's and CI's - and the parallel workers of one run never empty each
    other's tables): ``sdrs_bot_test_<xdist worker>_<pid>``. Dropped when the session ends."""
    import sqlalchemy as sa

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"sdrs_bot_test_{worker}_{os.getpid()}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this process's database, if a test made it (best effort: the name is per pid)."""
    if not _run_url:
        return
    import sqlalchemy as sa

    name = _run_url[0].rsplit("/", 1)[1]
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception:  # noqa: BLE001 - best effort at the end; a leftover harms no later run
        pass
    finally:
        engine.dispose()


def _reset_postgres() -> str:
    import sqlalchemy as sa

    if not _run_url:
        _run_url.append(_session_database(PG_URL))
    engine = sa.create_engine(_run_url[0])
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return _run_url[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Each store contract test runs on the embedded default and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.sqlite3'}"
        return
    yield fresh_postgres()
    fail_on_open_postgres_connections()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A real, emptied PostgreSQL database (for tests that are about PostgreSQL only)."""
    yield fresh_postgres()
    fail_on_open_postgres_connections()


def fail_on_open_postgres_connections() -> None:
    """After a PostgreSQL test (its own fixtures torn down first): fail *this* test if it left a
    psycopg connection open in this process. Such a connection, once garbage, warns when the
    garbage collector meets it - at a random later moment, often at the end of the run, where
    it fails the whole run and names no test. Collecting here also turns a connection that is
    already garbage into an unraisable warning reported against this test."""
    import gc

    import psycopg

    gc.collect()
    kinds = (psycopg.Connection, psycopg.AsyncConnection)
    open_ = [c for c in gc.get_objects() if isinstance(c, kinds) and not c.closed]
    for conn in open_:
        conn.pgconn.finish()  # libpq's close (an async connection's close() needs its loop)
    if open_:
        pytest.fail(
            f"{len(open_)} PostgreSQL connection(s) left open by this test (close the Store, "
            "engine or intake that opened them)",
            pytrace=False,
        )


def fresh_postgres() -> str:
    try:
        return _reset_postgres()
    except Exception as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI needs {PG_NEEDED}: {exc}") from exc
        pytest.skip(f"needs {PG_NEEDED}; not reachable: {type(exc).__name__}")


@pytest.fixture
def slack() -> Iterator[SlackApiThread]:
    """The local Slack Web API stand-in (port 0), recording every call."""
    from tests.support.slack_helpers import BOT_TOKEN

    server = SlackApiThread(SlackApiState(token=BOT_TOKEN))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world() -> World:
    return seeded_world(job_init_seconds=0.05, job_seconds=0.3)


@pytest.fixture
def emulator(world: World) -> Iterator[EmulatorThread]:
    with EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID)) as running:
        yield running


def sandbox_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "huaweicloud_sdk_ak": SANDBOX_AK,
        "huaweicloud_sdk_sk": SecretStr(SANDBOX_SK),
        "huaweicloud_sdk_project_id": SANDBOX_PROJECT_ID,
        "sdrs_endpoint": url,
        "ecs_endpoint": url,
        "deh_endpoint": url,
        "http_backoff_base": 0.01,
        "http_backoff_cap": 0.05,
        "http_read_timeout": 5.0,
        "health_host": "127.0.0.1",
        "health_port": 0,  # any free port (a test that scrapes picks one)
        "open_access": True,  # no request policy here on purpose (tests set one when needed)
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


class SleepRecorder:
    """Stands in for asyncio.sleep in the retry loop: records the delays, yields once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def sdrs(emulator: EmulatorThread, sleeps: SleepRecorder) -> AsyncIterator[SdrsClient]:
    clouds = build_clients(sandbox_settings(emulator.url), sleep=sleeps)
    yield clouds.sdrs
    await clouds.aclose()


@pytest.fixture
async def ecs(emulator: EmulatorThread) -> AsyncIterator[EcsClient]:
    clouds = build_clients(sandbox_settings(emulator.url))
    yield clouds.ecs
    await clouds.aclose()
