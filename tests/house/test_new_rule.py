"""scripts/new_rule.py writes a rule's module and page (and README row) that the catalogue reads."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from regcheck.checks.base import Check, Invalid
from regcheck.config.catalog import declared_rules
from regcheck.findings import Severity
from regcheck.report.rule_docs import SECTIONS

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "new_rule.py"
README = """# x

| code | name | what goes wrong |
| --- | --- | --- |
| RC000 | syntax-error | the file does not parse |
| RC999 | last-rule | the last one |

after
"""


def _run(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv, "--root", str(root)], capture_output=True, text=True, check=False
    )


def test_new_rule_writes_module_page_and_row(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    done = _run(
        tmp_path, "RC905", "some-new-rule", "--severity", "warning", "--summary", "a thing goes wrong", "--fix", "safe"
    )
    assert done.returncode == 0, done.stderr
    module = tmp_path / "regcheck" / "checks" / "rc905_some_new_rule.py"
    page = tmp_path / "rules" / "RC905.md"
    assert done.stdout.splitlines() == [str(module), str(page), str(tmp_path / "README.md")]

    [info] = declared_rules(module.parent)
    assert (info.code, info.name, info.severity, info.summary, info.fix_safety, info.graph, info.module) == (
        "RC905", "some-new-rule", Severity.WARNING, "a thing goes wrong", "safe", False, "rc905_some_new_rule",
    )  # fmt: skip

    spec = importlib.util.spec_from_file_location("rc905_some_new_rule", module)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    cls = loaded.SomeNewRule
    assert issubclass(cls, Check) and cls.code == "RC905"
    assert cls.VALID and isinstance(cls.INVALID[0], Invalid) and cls.INVALID[0].line == 3

    text = page.read_text(encoding="utf-8")
    assert text.startswith("# RC905: some-new-rule\n")
    assert re.findall(r"^## (.+)$", text, re.M) == list(SECTIONS)
    assert "<!-- fix: safe -->" in text

    rows = re.findall(r"^\| (RC\d{3}) \|", (tmp_path / "README.md").read_text(encoding="utf-8"), re.M)
    assert rows == ["RC000", "RC905", "RC999"]


def test_new_rule_refuses_a_taken_code_and_bad_names(tmp_path: Path) -> None:
    args = ("--severity", "info", "--summary", "s")
    assert _run(tmp_path, "RC906", "a-rule", *args).returncode == 0
    again = _run(tmp_path, "RC906", "other-rule", *args)
    assert again.returncode == 1 and "RC906 already has a module or a page" in again.stderr
    assert not (tmp_path / "regcheck" / "checks" / "rc906_other_rule.py").exists()
    assert _run(tmp_path, "RC9", "x-rule", *args).returncode == 2
    assert _run(tmp_path, "RC907", "Not_Kebab", *args).returncode == 2
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == ["RC906.md"]
