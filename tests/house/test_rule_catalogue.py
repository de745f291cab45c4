"""The rule catalogue (rules/README.md) and the README's rule table are what the rules declare.

Both are written by scripts/rule_catalogue.py from the rules' classes and pages; a rule that
changes its name, severity, summary, fix or Keras dependence without them fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from regcheck.config.catalog import RULES

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import rule_catalogue  # noqa: E402  (scripts/ is not a package)


def test_the_catalogue_and_the_readme_table_are_in_step() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "rule_catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_catalogue_lists_every_rule_with_its_metadata() -> None:
    text = (REPO / "rules" / "README.md").read_text(encoding="utf-8")
    for code, info in RULES.items():
        assert f"| [{code}]({code}.md) | {info.name} | {info.severity} | {info.fix_safety or '-'} |" in text
    assert "| [RC104](RC104.md) | regularizer-set-after-build | error | unsafe | yes | depends |" in text
    assert "| [RC406](RC406.md) | positional-logits-labels | error | safe | - | - |" in text


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for folder in ("regcheck/checks", "rules"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    return tmp_path


def test_a_changed_rule_puts_both_out_of_step_and_writing_them_brings_them_back(copy: Path) -> None:
    assert rule_catalogue.out_of_step(copy) == []
    module = copy / "regcheck" / "checks" / "rc406_positional_logits_labels.py"
    module.write_text(module.read_text(encoding="utf-8").replace('severity = "error"', 'severity = "warning"'))
    assert rule_catalogue.out_of_step(copy) == [copy / "rules" / "README.md", copy / "README.md"]
    assert rule_catalogue.write(copy) == [copy / "rules" / "README.md", copy / "README.md"]
    assert rule_catalogue.out_of_step(copy) == []
    assert "| RC406 | positional-logits-labels | warning |" in (copy / "README.md").read_text(encoding="utf-8")


def test_a_page_that_gains_a_keras_versions_section_changes_the_catalogue(copy: Path) -> None:
    page = copy / "rules" / "RC406.md"
    page.write_text(page.read_text(encoding="utf-8").replace("## References", "## Keras versions\nx\n\n## References"))
    assert rule_catalogue.out_of_step(copy) == [copy / "rules" / "README.md"]
