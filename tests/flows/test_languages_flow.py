"""Languages end to end (issue 27): in a channel whose binding is Chinese, what everyone sees -
the confirmation, the reports queued in the outbox - is in Chinese, whatever the requester
reads privately; an inbox item handled by a worker answers its sender in their language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.language import Language
from bot.core.notices import UnknownOperation
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, sid
from bot.sandbox.server import EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from bot.store.schema import outbox
from handlers import render
from handlers.i18n import speaking
from handlers.inbox import drain_inbox
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, BOB, CHANNEL, running
from tests.support.slack_helpers import until

CJK = re.compile(r"[\u4e00-\u9fff]")


def _translated() -> bool:
    """Whether the Chinese catalog has the bot's wordings (compiled with the package)."""
    with speaking(Language.ZH):
        zh = render.notice(UnknownOperation())
    return zh != render.notice(UnknownOperation())


needs_catalog = pytest.mark.skipif(not _translated(), reason="the Chinese catalog is not built")


def _chinese_channel(tmp_path: Path, emulator: EmulatorThread) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(
        f"""
[accounts.prod-cn]
region = "cn-north-4"
project_id = "{SANDBOX_PROJECT_ID}"
sdrs_endpoint = "{emulator.url}"
ecs_endpoint = "{emulator.url}"
credentials = {{ kind = "static", ak = "{SANDBOX_AK}", sk = "{SANDBOX_SK}" }}

[[bindings]]
channels = ["{CHANNEL}"]
accounts = ["prod-cn"]
language = "zh"
""",
        encoding="utf-8",
    )
    return path


async def test_a_chinese_channel_queues_its_reports_in_chinese(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    accounts = _chinese_channel(tmp_path, emulator)
    async with running(tmp_path, slack, emulator, world, accounts_file=accounts) as h:
        h.state.locales[ALICE] = "en-US"  # she reads English privately
        await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2", user=ALICE)
        op_id, ts = await h.confirmation()
        await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
        await until(lambda: h.thread_replies(ts), within=10)
        await h.quiesce()
        with h.deps.store.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.channel, outbox.c.language)).all()
        assert rows and {tuple(r) for r in rows} == {(CHANNEL, "zh")}
        if _translated():  # and so they read, once the catalog is built
            confirmation = str(h.state.calls_to("chat.postMessage")[0].args["text"])
            assert CJK.search(confirmation), confirmation


@needs_catalog
async def test_a_worker_answers_the_sender_in_their_language(
    tmp_path: Path, slack: SlackApiThread, emulator: EmulatorThread, world: World
) -> None:
    async with running(tmp_path, slack, emulator, world, worker_processes=1) as h:
        h.state.locales.update({ALICE: "zh-CN", BOB: "en-US"})
        for user in (ALICE, BOB):  # a click on an operation the bot does not know
            await h.click(CONFIRM_ACTION, "op-unknown", user, "1.0")
        await h.quiesce()
        await drain_inbox(h.deps, h.app.client, "worker-0")  # not in the click's context
        with speaking(Language.ZH):
            chinese = render.notice(UnknownOperation())
        assert await until(lambda: h.ephemerals(ALICE)) == [chinese]
        assert await until(lambda: h.ephemerals(BOB)) == [render.notice(UnknownOperation())]
