"""/sdrs history from the audit trail, and `sdrs-bot audit export` as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.errors import ParseError
from bot.core.intents import HistoryIntent, JobsIntent, parse
from bot.sandbox.seed import sid
from handlers.messages.confirmation import CANCEL_ACTION, CONFIRM_ACTION
from tests.support.slack_harness import ALICE, BOB, CHANNEL, Harness
from tests.support.slack_helpers import until


def test_history_parses_a_count_within_limits() -> None:
    assert parse("history") == HistoryIntent(limit=10)
    assert parse("history 3") == HistoryIntent(limit=3)
    assert parse("history 50 page=2") == HistoryIntent(limit=50, page=2)
    assert parse("history page=3") == HistoryIntent(limit=10, page=3)
    assert parse("jobs page=4") == JobsIntent(page=4)
    for bad in ("history 0", "history 51", "history x", "history 1 2", "history ²"):
        with pytest.raises(ParseError, match="is not a count"):
            parse(bad)


async def _three_operations(h: Harness) -> tuple[str, str]:
    """A resize that succeeds, a rename, a cancelled resize; returns the resize's (op, ts)."""
    await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    await until(lambda: any("SUCCESS" in r for r in h.thread_replies(ts)), within=15)
    await h.command(f"drill rename {sid('drill-web')} web-q3", user=BOB)
    rename_op, rename_ts = await h.confirmation(1)
    await h.click(CONFIRM_ACTION, rename_op, BOB, rename_ts)
    await until(lambda: h.thread_replies(rename_ts))
    await h.command(f"resize {sid('pi-web-2')} s6.large.2")
    cancel_op, cancel_ts = await h.confirmation(2)
    await h.click(CANCEL_ACTION, cancel_op, ALICE, cancel_ts)
    await until(lambda: h.updates(cancel_ts))
    return op_id, ts


async def test_history_lists_who_asked_who_decided_what_and_the_outcome(h: Harness) -> None:
    op_id, ts = await _three_operations(h)
    job_id = h.thread_replies(ts)[0].split("`")[1]
    await h.command("history")
    text = (await until(h.responses))[0]["text"]
    lines = text.split("\n")[1:]
    assert len(lines) == 3
    # names and the change itself, not ids: old -> new flavor per site, old -> new drill name
    assert "`web-2` (production site `s6.medium.2` → `s6.large.2`, DR site" in lines[0]
    assert "Rename DR drill `web_drill-2026.q1` → `web-q3`" in lines[1]
    assert "`erp-db` (production site `s6.large.2` → `s6.xlarge.2`" in lines[2]
    ids = (sid("pi-web-2"), sid("pi-erp-db"), sid("drill-web"))
    assert not [i for i in ids if any(i in line for line in lines)]
    assert "Resize protected instance" in lines[0] and "*cancelled*" in lines[0]
    assert "Rename DR drill" in lines[1] and "*renamed*" in lines[1]
    assert "asked by <@U0BOB00001>, confirmed by <@U0BOB00001>" in lines[1]
    assert "*SUCCESS*" in lines[2] and f"job `{job_id}`" in lines[2]
    await h.command("history 1")
    assert len((await until(lambda: h.responses()[1:]))[0]["text"].split("\n")) == 2
    await h.command("history", channel="C0ELSEWHERE")
    texts = await until(lambda: h.responses()[2:])
    assert "No SDRS operations" in texts[0]["text"]
    await h.command("history 3 page=2")  # three short lines fill one page
    assert (await until(lambda: h.responses()[3:]))[0]["text"] == (
        "There is no page 2: the list has 1 page."
    )


async def test_audit_export_writes_json_lines(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _three_operations(h)
    monkeypatch.setenv("DATABASE_URL", h.deps.settings.database_url)
    out = tmp_path / "audit.jsonl"
    assert main(["audit", "export", "--output", str(out)]) == 0
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    actions = [e["action"] for e in events]
    for expected in ("requested", "confirmed", "submitted", "job-finished", "renamed", "cancelled"):
        assert expected in actions
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    finished = next(e for e in events if e["action"] == "job-finished")
    assert finished["detail"]["status"] == "SUCCESS" and finished["at"].endswith("+00:00")
    assert main(["audit", "export", "-o", str(out), "--channel", CHANNEL]) == 0
    in_channel = [json.loads(line)["action"] for line in out.read_text().splitlines()]
    assert in_channel == actions  # job and decision events belong to the channel's operations
    assert main(["audit", "export", "-o", str(out), "--channel", "C0ELSEWHERE"]) == 0
    assert out.read_text() == ""
    assert main(["audit", "export", "-o", str(out), "--since", "2999-01-01"]) == 0
    assert out.read_text() == ""
    assert main(["audit", "export", "--since", "yesterday"]) == 2
