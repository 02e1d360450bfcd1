"""A sentence the core words for a person without translating it (pure).

The core cannot translate (the catalogs and the reader's language are the Slack adapter's,
:mod:`handlers.i18n`), so where it writes something people read - a parse error, a usage line -
it gives the English msgid, marked with :func:`N_` for extraction, and the named values to
put in it; :func:`handlers.i18n.tr` translates the msgid and fills it in (a value that is itself
a :class:`Wording` is translated too). ``english()`` is the text in English, for logs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction (``pybabel extract``); it is translated where it is shown."""
    return msgid


Value: TypeAlias = "str | int | Wording"


@dataclass(frozen=True)
class Wording:
    """``msgid`` (English, with ``{name}`` placeholders) and the ``values`` that fill them."""

    msgid: str
    values: dict[str, Value] = field(default_factory=dict, hash=False)

    def english(self) -> str:
        return self.msgid.format(
            **{k: v.english() if isinstance(v, Wording) else v for k, v in self.values.items()}
        )

    def __str__(self) -> str:
        return self.english()


def wording(msgid: str, **values: Value) -> Wording:
    return Wording(msgid, dict(values))


def verbatim(text: str) -> Wording:
    """``text`` shown as it is, in every language (a value from outside, not a sentence)."""
    return Wording("{text}", {"text": text})
