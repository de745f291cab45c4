"""Every rule page has the fixed sections, and its examples do what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import fix, lint

from regcheck.checks import RULE_CLASSES
from regcheck.config.catalog import RULES
from regcheck.report.rule_docs import SECTIONS, required_sections

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
PAGES = sorted(RULES_DIR.glob("RC*.md"))
# Pages whose Example / Use instead are Python to run (not RC001's: no source text shows it).
_NO_EXAMPLES = {cls.code for cls in RULE_CLASSES if not cls.page_examples}
EXAMPLE_PAGES = [page for page in PAGES if page.stem not in _NO_EXAMPLES]
_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
_FIX_MARK = re.compile(r"<!-- fix: (safe|unsafe) -->")


def sections(text: str) -> dict[str, str]:
    parts = _SECTION.split(text)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def block(section: str) -> str:
    blocks = _BLOCK.findall(section)
    assert len(blocks) == 1, "each Example / Use instead section holds exactly one python block"
    return blocks[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_structure(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    code = page.stem
    assert code in RULES, f"{page.name} documents an unknown code"
    assert text.startswith(f"# {code}: {RULES[code].name}\n")
    assert required_sections(list(sections(text))) == list(SECTIONS)


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.stem)
def test_example_fires_and_use_instead_does_not(page: Path) -> None:
    code = page.stem
    parts = sections(page.read_text(encoding="utf-8"))
    example, use_instead = block(parts["Example"]), block(parts["Use instead"])
    assert code in [f.code for f in lint(example, code)], "the Example must fire the rule"
    assert code not in [f.code for f in lint(use_instead, code)], "Use instead must not fire the rule"


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.stem)
def test_fix_turns_example_into_use_instead(page: Path) -> None:
    code = page.stem
    parts = sections(page.read_text(encoding="utf-8"))
    mark = _FIX_MARK.search(parts["Use instead"])
    if mark is None:
        pytest.skip(f"{code}'s page shows no fix")
    fixed = fix(block(parts["Example"]), code, unsafe=mark.group(1) == "unsafe")
    assert fixed == block(parts["Use instead"])
    if mark.group(1) == "unsafe":
        # The fix is unsafe, so safe mode alone must leave the code as it was.
        assert fix(block(parts["Example"]), code) == block(parts["Example"])


def test_every_implemented_rule_has_a_page() -> None:
    documented = {p.stem for p in PAGES}
    missing = {c.code for c in RULE_CLASSES} - documented
    assert not missing, f"rules without a page: {sorted(missing)}"


def test_a_page_without_examples_shows_no_python() -> None:
    for page in PAGES:
        if page.stem in _NO_EXAMPLES:
            parts = sections(page.read_text(encoding="utf-8"))
            assert not _BLOCK.findall(parts["Example"] + parts["Use instead"])
