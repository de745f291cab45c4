"""Rule documentation pages (rules/RCxxx.md), found in the wheel or in a source checkout."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References")
# Sections a page may add, each right after the section named: "Keras versions" on the pages of
# rules whose verdict or fix depends on the Keras version (RULES.md, Versions).
OPTIONAL_SECTIONS = {"Keras versions": "Fix safety"}


def required_sections(found: list[str]) -> list[str]:
    """``found`` without the optional sections that stand where they may; compare it with SECTIONS."""
    kept: list[str] = []
    for index, title in enumerate(found):
        after = OPTIONAL_SECTIONS.get(title)
        if after is not None and index > 0 and found[index - 1] == after and title not in found[:index]:
            continue
        kept.append(title)
    return kept


@cache
def rule_doc(code: str) -> str | None:
    """The Markdown page for a rule code, or None when it has none."""
    name = f"{code.upper()}.md"
    try:
        packaged = resources.files("regcheck").joinpath("rule_pages").joinpath(name)
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        pass
    # Editable installs and source checkouts: the repository's rules/ folder.
    checkout = Path(__file__).resolve().parents[2] / "rules" / name
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    return None
