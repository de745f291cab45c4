"""Each rule's rendered output, reviewed in the repository (ruff's and Fixit's snapshot tests).

``tests/snapshots/RCNNN.txt`` holds, for every INVALID sample of the rule in order, what a user
sees: the rule's findings as ``regcheck --output-format full`` renders them (line:column, code,
message, code frame, fix applicability and message) and, when the rule fixes, the text with every
fix applied (unsafe ones included). The findings come from the one lint path (``check_source``,
through tests/helpers.py) and are drawn by the one reporter (``regcheck.report.write_report``).

When a rule's output changes on purpose, rewrite the files and review their diff before committing:

    REGCHECK_UPDATE_SNAPSHOTS=1 python3 -m pytest -q tests/test_snapshots.py
"""

from __future__ import annotations

import difflib
import io
import os
import textwrap
from pathlib import Path

import pytest
from helpers import fix, lint

from regcheck.checks import RULE_CLASSES
from regcheck.checks.base import Invalid, Rule
from regcheck.findings import Finding
from regcheck.report import text as text_report
from regcheck.report import write_report

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = "REGCHECK_UPDATE_SNAPSHOTS"
COMMAND = f"{UPDATE}=1 python3 -m pytest -q tests/test_snapshots.py"
# One snapshot per rule that has INVALID samples (a check, or the home of a code the pipeline reports itself).
SNAPSHOTTED: list[type[Rule]] = [c for c in RULE_CLASSES if getattr(c, "INVALID", None)]


def _updating() -> bool:
    return os.environ.get(UPDATE, "") not in ("", "0")


def _render_findings(findings: list[Finding], source: str) -> str:
    stream = io.StringIO()
    lines = source.splitlines(keepends=True)
    write_report(findings, "full", stream, summary={}, lines=lambda _finding: lines, fix_hint=False, quiet=True)
    return stream.getvalue()


def render(rule: type[Rule]) -> str:
    """The snapshot text of one rule: a header, then one section per INVALID sample."""
    info = rule.info()
    fixes = info.fix_safety is not None
    out = [
        f"{info.code} {info.name} ({info.severity}): {info.summary}\n",
        f"The INVALID samples of regcheck/checks/{info.module}.py as `regcheck --output-format full` shows them",
        " (path <string>)" + (", and each one with every fix applied (unsafe ones included)" if fixes else "") + ".\n",
        f"Review changes, and rewrite with: {COMMAND}\n",
    ]
    for number, sample in enumerate(rule.INVALID):
        source = textwrap.dedent(sample)
        findings = [f for f in lint(source, info.code) if f.code == info.code]
        pinned = f", line {sample.line}" if isinstance(sample, Invalid) and sample.line is not None else ""
        out.append(f"\n===== INVALID[{number}]{pinned} =====\n")
        out.append(_render_findings(findings, source) if findings else "(no findings)\n\n")
        if fixes:
            fixed = fix(source, info.code, unsafe=True)
            out.append("----- fixed -----\n" if fixed != source else "----- fixed: unchanged -----\n")
            if fixed != source:
                out.append(fixed if fixed.endswith("\n") else fixed + "\n(no newline at end)\n")
    return "".join(out)


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"tests/snapshots/{name} (committed)",
        tofile=f"tests/snapshots/{name} (rendered now)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@pytest.mark.parametrize("rule", SNAPSHOTTED, ids=lambda rule: rule.code)
def test_rule_output_matches_its_snapshot(rule: type[Rule], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_report, "COLOR", False)  # NO_COLOR / FORCE_COLOR in the environment change nothing
    name = f"{rule.code}.txt"
    path = SNAPSHOTS / name
    actual = render(rule)
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    if actual == expected:
        return
    if _updating():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if expected is None:
        pytest.fail(
            f"{rule.code} has no snapshot (tests/snapshots/{name}). Write it, then read it and commit it:\n\n"
            f"    {COMMAND}\n\nIt would hold:\n\n{actual}",
            pytrace=False,
        )
    pytest.fail(
        f"{rule.code}'s rendered output differs from tests/snapshots/{name}. If the change is intended, "
        f"rewrite the snapshot, review its diff and commit it:\n\n    {COMMAND}\n\n{_diff(expected, actual, name)}",
        pytrace=False,
    )


def test_every_snapshot_belongs_to_a_rule() -> None:
    known = {f"{rule.code}.txt" for rule in SNAPSHOTTED}
    stale = sorted(path for path in SNAPSHOTS.glob("*.txt") if path.name not in known)
    if stale and _updating():
        for path in stale:
            path.unlink()
        return
    assert not stale, f"snapshots of no rule with INVALID samples: {[p.name for p in stale]}; remove them: {COMMAND}"


def test_a_difference_is_shown_as_a_diff() -> None:
    diff = _diff("a\nb\n", "a\nc\n", "RC999.txt")
    assert diff.splitlines() == [
        "--- tests/snapshots/RC999.txt (committed)",
        "+++ tests/snapshots/RC999.txt (rendered now)",
        "@@ -1,2 +1,2 @@",
        " a",
        "-b",
        "+c",
    ]
