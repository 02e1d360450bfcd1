"""On a SQLite file the inbox is a file of its own beside it (bot.store.inbox_url: the acks'
commits do not queue behind the other writes); rows an older version left in the main file's
inbox are moved into it when the store opens, none lost, none doubled. Elsewhere the inbox is
in the database itself."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.states import InboxKind
from bot.store import Store, StoreUnavailable, inbox_url

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def test_the_inbox_file_is_named_after_the_database_file(tmp_path: Path) -> None:
    assert (
        inbox_url(f"sqlite:///{tmp_path}/bot.sqlite3") == f"sqlite:///{tmp_path}/bot-inbox.sqlite3"
    )
    assert inbox_url(f"sqlite:///{tmp_path}/data") == f"sqlite:///{tmp_path}/data-inbox.sqlite3"
    assert inbox_url("sqlite://") == "sqlite://"  # in memory: one database
    pg = "postgresql://bot@db.example/sdrs"
    assert inbox_url(pg) == pg


def test_acked_rows_go_to_the_inbox_file_not_the_main_one(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        item = store.put_inbox(InboxKind.COMMAND, "command:t1", {"text": "help"}, NOW)
        assert item is not None and store.inbox_depth() == 1
        assert store.pending_work()["inbox"] == 1
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as main:
        assert main.execute("SELECT count(*) FROM inbox").fetchone() == (0,)
    with sqlite3.connect(tmp_path / "bot-inbox.sqlite3") as own:
        assert own.execute("SELECT dedupe_key FROM inbox").fetchall() == [("command:t1",)]


def test_rows_an_older_version_left_in_the_main_file_are_moved_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    Store.from_url(f"sqlite:///{path}").close()
    # what an older version acked and did not handle yet: in the main file's inbox; one of
    # them was moved already when a crash stopped the move before the main file's delete
    with sqlite3.connect(path) as main:
        for n in range(3):
            main.execute(
                "INSERT INTO inbox (dedupe_key, kind, payload_json, received_at, attempts) "
                "VALUES (?, 'command', ?, 1.0, 0)",
                (f"command:old{n}", json.dumps({"text": f"resize pi-{n} s6.xlarge.2"})),
            )
    with sqlite3.connect(tmp_path / "bot-inbox.sqlite3") as own:
        own.execute(
            "INSERT INTO inbox (dedupe_key, kind, payload_json, received_at, attempts) "
            "VALUES ('command:old0', 'command', '{\"text\": \"resize pi-0 s6.xlarge.2\"}', 1.0, 0)"
        )
    for _ in range(2):  # opened again: nothing moves twice
        store = Store.from_url(f"sqlite:///{path}")
        try:
            assert store.inbox_depth() == 3
        finally:
            store.close()
    store = Store.from_url(f"sqlite:///{path}")
    try:
        taken = store.take_inbox("r1", NOW, lease_seconds=60, limit=10)
        assert sorted(i.payload["text"] for i in taken) == [
            f"resize pi-{n} s6.xlarge.2" for n in range(3)
        ]
    finally:
        store.close()
    with sqlite3.connect(path) as main:
        assert main.execute("SELECT count(*) FROM inbox").fetchone() == (0,)


def test_on_postgresql_the_inbox_is_in_the_database(pg_url: str) -> None:
    store = Store.from_url(pg_url)
    try:
        assert store.inbox_engine is store.engine
        assert store.put_inbox(InboxKind.COMMAND, "command:pg", {}, NOW) is not None
        assert store.inbox_depth() == 1
    finally:
        store.close()


def test_readiness_probes_the_inbox_file_too(tmp_path: Path) -> None:
    """An ack needs the inbox file's write lock: readiness fails while it cannot be had (here
    another connection holds it past the probe's wait), and passes once it can."""
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    other = sqlite3.connect(tmp_path / "bot-inbox.sqlite3", check_same_thread=False)
    try:
        store.probe_write()
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreUnavailable):
            store.probe_write()
        other.rollback()
        store.probe_write()
    finally:
        other.close()
        store.close()
