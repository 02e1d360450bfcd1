"""Each private notice and each outbox message has exactly one renderer in the tables of
:mod:`handlers.render` (mypy checks that each renderer takes its type): a new kind without
one fails here, not when it is first sent."""

from __future__ import annotations

from typing import get_args

from bot.core import notices
from bot.core.facts import Message
from handlers import render


def test_every_notice_has_a_renderer() -> None:
    assert set(render.NOTICES) == set(get_args(notices.Notice))


def test_every_outbox_message_has_a_renderer() -> None:
    union = get_args(Message)[0]  # Annotated[Decided | ..., discriminator]
    assert set(render.MESSAGES) == set(get_args(union))
