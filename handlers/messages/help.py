"""``/sdrs help``: what the bot does and how to write each command, with buttons that open the
resize and rename forms."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.core.intents import USAGE
from handlers.i18n import _
from handlers.messages.language import help_line
from handlers.messages.text import dicts, escape, md_section

OPEN_RESIZE_ACTION = "sdrs_open_resize"
OPEN_RENAME_ACTION = "sdrs_open_rename"


def help_text(topic: str | None) -> str:
    """The help on ``topic`` (None, "resize" or "drill"; anything else: the general help)."""
    if topic == "resize":
        return _(
            "*Resize a protected instance* (the servers being resized must be stopped; the "
            "protection group must be available/protected; the instance "
            "available/protected/error-resizing).\n"
            "```{usage}```\n"
            "One flavor resizes both sites; `production=`/`dr=` resize one site each. "
            "A site on a dedicated host (DeH) stays on its host; "
            "`production_dedicated_host=`/`dr_dedicated_host=` (or `production-host=`/`dr-host=`) "
            "move it to another."
        ).format(usage=escape(_(USAGE["resize"])))
    if topic == "drill":
        return _(
            "*Rename a DR drill.* Names: at most 64 bytes (a Chinese character takes 3), only "
            "Chinese characters, a-z, A-Z, 0-9, `.`, `_`, `-`. Quote a name if you like.\n"
            "```{usage}```"
        ).format(usage=escape(_(USAGE["drill"])))
    return _(
        "*sdrs-bot* changes Huawei Cloud SDRS resources after a button confirmation.\n"
        "```{usage}```\n"
        "`/sdrs help resize` and `/sdrs help drill` tell more; `/sdrs resize` and "
        "`/sdrs drill rename` alone open a form."
    ).format(usage=escape(_(USAGE["general"])))


def help_blocks(topic: str | None) -> list[dict[str, Any]]:
    """The help text, with buttons that open the resize and rename forms."""
    buttons = ActionsBlock(
        block_id="sdrs_help_forms",
        elements=[
            ButtonElement(text=_("Resize..."), action_id=OPEN_RESIZE_ACTION, value="resize"),
            ButtonElement(
                text=_("Rename a drill..."), action_id=OPEN_RENAME_ACTION, value="rename"
            ),
        ],
    )
    sections = [md_section(help_text(topic))]
    if topic is None:
        sections.append(md_section(help_line()))
    return dicts([*sections, buttons])
