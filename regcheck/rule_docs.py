"""Rule documentation pages (rules/RCxxx.md), found in the wheel or in a source checkout."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References")


@lru_cache(maxsize=None)
def rule_doc(code: str) -> str | None:
    """The Markdown page for a rule code, or None when it has none."""
    name = f"{code.upper()}.md"
    try:
        packaged = resources.files("regcheck").joinpath("rule_pages", name)
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        pass
    # Editable installs and source checkouts: the repository's rules/ folder.
    checkout = Path(__file__).resolve().parent.parent / "rules" / name
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    return None
