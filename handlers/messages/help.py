"""``/sdrs help``: what the bot does and how to write each command, with buttons that open the
resize and rename forms."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.core.intents import USAGE
from handlers.messages.language import help_line
from handlers.messages.text import dicts, escape, md_section

OPEN_RESIZE_ACTION = "sdrs_open_resize"
OPEN_RENAME_ACTION = "sdrs_open_rename"

HELP_TEXT = {
    None: (
        "*sdrs-bot* changes Huawei Cloud SDRS resources after a button confirmation.\n"
        f"```{escape(USAGE['general'])}```\n"
        "`/sdrs help resize` and `/sdrs help drill` tell more; `/sdrs resize` and "
        "`/sdrs drill rename` alone open a form."
    ),
    "resize": (
        "*Resize a protected instance* (the servers being resized must be stopped; the "
        "protection group must be available/protected; the instance "
        "available/protected/error-resizing).\n"
        f"```{escape(USAGE['resize'])}```\n"
        "One flavor resizes both sites; `production=`/`dr=` resize one site each. "
        "`production-host=`/`dr-host=` give a dedicated host for a site on DeH."
    ),
    "drill": (
        "*Rename a DR drill.* Names: at most 64 bytes (a Chinese character takes 3), only "
        "Chinese characters, a-z, A-Z, 0-9, `.`, `_`, `-`. Quote a name if you like.\n"
        f"```{escape(USAGE['drill'])}```"
    ),
}


def help_blocks(topic: str | None) -> list[dict[str, Any]]:
    """The help text, with buttons that open the resize and rename forms."""
    buttons = ActionsBlock(
        block_id="sdrs_help_forms",
        elements=[
            ButtonElement(text="Resize...", action_id=OPEN_RESIZE_ACTION, value="resize"),
            ButtonElement(text="Rename a drill...", action_id=OPEN_RENAME_ACTION, value="rename"),
        ],
    )
    sections = [md_section(HELP_TEXT.get(topic, HELP_TEXT[None]))]
    if topic is None:
        sections.append(md_section(help_line()))
    return dicts([*sections, buttons])
