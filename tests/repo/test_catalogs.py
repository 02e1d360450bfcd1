"""The message catalogs keep up with the code: every text the bot writes in Slack (extracted
from handlers/ and bot/core with Babel, as ``pybabel extract -F babel.cfg`` does) is in the
committed template and the Chinese catalog, none of theirs is obsolete, each Chinese text is
translated (not empty, not fuzzy) and has exactly the placeholders of its English msgid, and
the compiled catalog the bot loads says the same. docs/development.md, "Translations", says
how to fix what these tests find."""

from __future__ import annotations

import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.support.local_env import ROOT

LOCALE = ROOT / "handlers" / "locale"
TEMPLATE = LOCALE / "messages.pot"
CHINESE = LOCALE / "zh" / "LC_MESSAGES" / "messages.po"
# {name} (str.format, what the code uses) and %(name)s / %s (printf style), but not {{ }}
PLACEHOLDER = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})|%(?:\(\w+\))?[sdif]")

Msgid = str | tuple[str, ...]


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _extracted() -> set[Msgid]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[Msgid] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message)
    return found


def _ids(catalog: Catalog) -> set[Msgid]:
    return {m.id for m in catalog if m.id}


def placeholders(text: str) -> Counter[str]:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text))


def _texts(msgid: Msgid) -> list[str]:
    return list(msgid) if isinstance(msgid, tuple) else [msgid]


@pytest.fixture(scope="module")
def extracted() -> set[Msgid]:
    return _extracted()


def test_the_code_marks_its_texts(extracted: set[Msgid]) -> None:
    # some texts of each kind: a message, a form's label, a parse error from bot/core, a usage
    assert "Confirm" in extracted and "Sites to resize" in extracted
    assert "`{value}` is not an SDRS job id" in extracted
    assert "/sdrs drill rename <drill-id> <new name>" in extracted
    assert len(extracted) > 300


def test_the_template_has_every_text_of_the_code_and_no_other(extracted: set[Msgid]) -> None:
    template = _ids(_read(TEMPLATE))
    missing, obsolete = extracted - template, template - extracted
    assert not missing and not obsolete, (
        f"messages.pot lacks {sorted(map(str, missing))[:20]} and has obsolete "
        f"{sorted(map(str, obsolete))[:20]}: run pybabel extract (docs/development.md)"
    )


def test_the_chinese_catalog_has_every_text_and_no_other(extracted: set[Msgid]) -> None:
    chinese = _ids(_read(CHINESE))
    missing, obsolete = extracted - chinese, chinese - extracted
    assert not missing and not obsolete, (
        f"zh messages.po lacks {sorted(map(str, missing))[:20]} and has obsolete "
        f"{sorted(map(str, obsolete))[:20]}: run pybabel update, then translate"
    )


def test_every_chinese_text_is_translated_and_not_fuzzy() -> None:
    catalog = _read(CHINESE)
    assert catalog.num_plurals == 1  # Chinese has one form
    untranslated = [
        m.id for m in catalog if m.id and (not all(_texts(m.string)) or m.string == "" or m.fuzzy)
    ]
    assert untranslated == []


def test_each_translation_has_the_placeholders_of_its_msgid() -> None:
    differ = []
    for m in _read(CHINESE):
        if not m.id:
            continue
        wanted = [placeholders(t) for t in _texts(m.id)]
        for text in _texts(m.string):
            if placeholders(text) not in wanted:
                differ.append((m.id, text))
    assert differ == []


def test_the_placeholder_check_sees_a_difference() -> None:
    """The check above can fail: a dropped, renamed or added placeholder is seen."""
    wanted = placeholders("Resize `{name}` to {flavor} (%(n)s)")
    assert placeholders("变更 `{name}` 为 {flavor}（%(n)s）") == wanted
    assert placeholders("变更 `{name}`（%(n)s）") != wanted
    assert placeholders("变更 `{nom}` 为 {flavor}（%(n)s）") != wanted
    assert placeholders("变更 `{name}` 为 {flavor}{flavor}（%(n)s）") != wanted
    assert placeholders("{{literal}} {name}") == placeholders("{name}")


def test_the_compiled_catalog_translates_as_the_po_says(tmp_path: Path) -> None:
    """What gettext reads from the compiled catalog (as the build compiles it) is the .po."""
    catalog = _read(CHINESE)
    mo = tmp_path / "zh" / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as f:
        write_mo(f, catalog)
    loaded = gettext.translation("messages", tmp_path, languages=["zh"])
    assert loaded.gettext("Confirm") == catalog.get("Confirm").string == "确认"
    assert loaded.ngettext(
        "There is no page {page}: the list has {count} page.",
        "There is no page {page}: the list has {count} pages.",
        3,
    ).startswith("没有第 {page} 页")
