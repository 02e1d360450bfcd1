"""The documentation stays short where it should and true to the tree: the README keeps to 150
lines with the two set-up commands first (CI reads the test command there), every relative link
in README.md and docs/ reaches a file and, with an anchor, one of its headings, and every path or
module of this repository that the docs name in backticks exists."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS += sorted((ROOT / "docs" / "zh-CN").glob("*.md"))  # translations
# each guide and its translation(s): the same sections, so that they cannot drift apart silently
TRANSLATED = {ROOT / "docs" / "user-guide.md": [ROOT / "docs" / "zh-CN" / "user-guide.md"]}
LINK = re.compile(r"\]\(([^)\s]+)\)")
TICKED = re.compile(r"`([^`\s]+)`")
REPO_PATH = re.compile(r"^(bot|handlers|tests|bench|deploy|docs)/[\w./-]*$")
MODULE = re.compile(r"^(bot|handlers)(\.\w+)+$")
NOT_MODULES = {"bot.env"}  # the compose example's settings file


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces -> hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", path.read_text(encoding="utf-8"), re.M)}


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert first_block == [
        "pip install -e . && sdrs-bot demo",
        "pip install -e '.[test]' && python -m pytest -n 4 --dist loadgroup",
    ]
    assert "](docs/img/playground.png)" in text and (ROOT / "docs/img/playground.png").is_file()


def outline(path: Path) -> list[int]:
    """The level of each heading, in order (outside code blocks)."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return [len(h) for h in re.findall(r"^(#{1,6}) ", text, re.M)]


@pytest.mark.parametrize("original", sorted(TRANSLATED), ids=lambda p: p.name)
def test_a_translated_guide_has_the_sections_of_its_original(original: Path) -> None:
    for translation in TRANSLATED[original]:
        assert translation.is_file(), translation
        assert outline(translation) == outline(original), translation
        # each links to the other
        assert translation.relative_to(original.parent).as_posix() in original.read_text(
            encoding="utf-8"
        )
        assert f"../{original.name}" in translation.read_text(encoding="utf-8")
        # the Chinese translation uses Huawei Cloud's Chinese terms
        text = translation.read_text(encoding="utf-8")
        terms = ("保护实例", "保护组", "生产站点", "容灾站点", "规格", "容灾演练", "专属主机")
        assert [t for t in terms if t not in text] == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_reach_a_file_and_a_heading(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(path):
            broken.append(f"{target}: no such heading")
    assert not broken


def resolves(name: str) -> bool:
    """``bot.a.b`` or ``bot.a.b.attr``: the longest module prefix exists and has the rest."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            obj: object = importlib.import_module(module)
            for attr in parts[cut:]:
                if not hasattr(obj, attr):
                    return False
                obj = getattr(obj, attr)
            return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_paths_and_modules_exist(doc: Path) -> None:
    missing = []
    for token in TICKED.findall(doc.read_text(encoding="utf-8")):
        if REPO_PATH.match(token) and token.endswith((".py", ".md", ".json", ".sh", ".yaml", "/")):
            if not (ROOT / token).exists():
                missing.append(token)
        elif REPO_PATH.match(token) and token.startswith(("bot/", "handlers/")):
            # handlers/inbox.run_command: a module path and a name in it (or a data file:
            # handlers/locale/messages.pot)
            if not (ROOT / token).is_file() and not resolves(token.replace("/", ".")):
                missing.append(token)
        elif MODULE.match(token) and token not in NOT_MODULES and not resolves(token):
            missing.append(token)
    assert not missing
