"""Fix one source unit: the one fix path for ``regcheck --fix``, ``regcheck.apply_fixes`` and the editor.

A unit is fixed as one Python module (:func:`module_view`: a module as it is, a notebook's
Python cells concatenated, regcheck.sources.notebooks), in rounds that re-lint the module
(regcheck.fixing.apply); the fixed module is then put back into the unit (a notebook's cells
into its JSON, in the file's own style: :func:`notebook_with`), shown as a diff, or written
back where the unit came from (the file, atomically; stdout for stdin).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from regcheck.findings import Finding
from regcheck.fixing.apply import FixResult, apply_once, fix_text
from regcheck.fixing.write import write_source_atomic
from regcheck.lint.module import FileReport, lint_text
from regcheck.lint.project import Project
from regcheck.lint.unit import lint_notebook
from regcheck.sources.files import SourceError, SourceFile, decode_source
from regcheck.sources.notebooks import Document, build_document, dump_like, map_finding, split_cells
from regcheck.sources.units import SourceUnit

# --- the unit as one module ---------------------------------------------------------


@dataclass
class ModuleView:
    """A unit seen as one Python module: the text a fix works on, and the way back."""

    text: str
    # The module's findings mapped to the unit's positions (a notebook's cells); the identity for a module.
    to_unit: Callable[[Finding], Finding]
    # The unit's whole text with the module replaced by ``fixed``; None when it cannot be put back.
    back: Callable[[str], str | None]
    # The change as unified diffs (one per file, or per notebook cell); None when it cannot be put back.
    diffs: Callable[[str], list[str] | None]
    same_positions: bool  # the unit's findings are the module's (a module), or must be linted again (cells)


def module_view(unit: SourceUnit, codes: frozenset[str]) -> ModuleView | None:
    """The unit as one module; None when there is nothing in it to fix (a notebook without Python cells)."""
    if unit.kind == "module":
        text = unit.source.text
        return ModuleView(
            text,
            to_unit=lambda finding: finding,
            back=lambda fixed: fixed,
            diffs=lambda fixed: [unified_diff(unit.path, text, fixed)],
            same_positions=True,
        )
    document = build_document(unit.path, unit.source.text, codes)
    if not document.included:
        return None
    return ModuleView(
        document.text,
        to_unit=lambda finding: map_finding(document, finding),
        back=lambda fixed: notebook_with(document, fixed, unit.source.text),
        diffs=lambda fixed: _cell_diffs(unit.path, document, fixed),
        same_positions=False,
    )


def notebook_with(document: Document, fixed: str, original: str) -> str | None:
    """The notebook's JSON text (``original``'s style) with its Python cells taken from ``fixed``, the
    fixed module; None when the fix moved code across cells (the boundaries or a masked magic line)."""
    cells = split_cells(document, fixed)
    if cells is None:
        return None
    for cell in document.included:
        text = cells[cell.number]
        if text != cell.source:
            cell.node[cell.key] = text.splitlines(keepends=True) if cell.as_list else text
    return dump_like(document.notebook, original)


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


def _cell_diffs(path: str, document: Document, fixed: str) -> list[str] | None:
    cells = split_cells(document, fixed)
    if cells is None:
        return None
    return [
        _cell_diff(path, cell.number, cell.source, cells[cell.number])
        for cell in document.included
        if cells[cell.number] != cell.source
    ]


def _cell_diff(path: str, number: int, before: str, after: str) -> str:
    label = f"{path}:cell {number}"
    lines = difflib.unified_diff(_lines_with_newline(before), _lines_with_newline(after), f"a/{label}", f"b/{label}")
    return "".join(lines)


def _lines_with_newline(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


# --- fixing -------------------------------------------------------------------------


@dataclass
class FixedUnit:
    """A unit fixed in memory: its new text (None: the fixed module cannot be put back), and the rounds."""

    view: ModuleView
    result: FixResult
    text: str | None


def fix_in_memory(
    unit: SourceUnit,
    findings: list[Finding] | None,
    codes: frozenset[str],
    unsafe: bool = False,
    project: Project | None = None,
    keras: str | None = None,
) -> FixedUnit | None:
    """Fix a unit in rounds, re-linting with the same project and Keras target so findings stay
    comparable; nothing is written. ``findings``: the unit's, when already known. None: nothing to fix."""
    view = module_view(unit, codes)
    if view is None:
        return None
    used = project if unit.uses_project else None

    def lint(text: str) -> list[Finding]:
        return lint_text(unit.path, text, codes, project=used, keras=keras).findings

    result = fix_text(view.text, lint, unsafe, findings if view.same_positions else None)
    return FixedUnit(view, result, view.back(result.text) if result.text != view.text else unit.source.text)


def apply_fixes_to(source: str, findings: Iterable[Finding], unsafe: bool = False) -> str:
    """``source`` (a module's text, or notebook JSON) with one round of the fixes of ``findings``,
    which were found in this very text (regcheck.apply_fixes). Notebook findings (with a ``cell``)
    are found again in the notebook's module, and the fixed cells put back into its JSON."""
    findings = list(findings)
    in_cells = [f for f in findings if f.cell is not None]
    unit = SourceUnit(SourceFile(in_cells[0].path if in_cells else "<string>", source))
    if unit.kind != "notebook":
        return apply_once(source, findings, unsafe)
    codes = frozenset(f.code for f in findings)
    view = module_view(unit, codes)
    if view is None:
        return source
    # The findings point into cells: lint the module again, keep the fixes whose cell findings were given.
    keras = next((f.keras for f in findings if f.keras), None)
    wanted = set(findings)
    module = [f for f in lint_text(unit.path, view.text, codes, keras=keras).findings if view.to_unit(f) in wanted]
    fixed = apply_once(view.text, module, unsafe)
    if fixed == view.text:
        return source
    back = view.back(fixed)
    if back is None:
        raise ValueError(f"{unit.path}: fixes not applied: they would move code across cells")
    return back


# --- the command line: fix, then show or write back -------------------------------------


@dataclass
class FixOutcome:
    findings: list[Finding]  # what is left to report
    applied: int = 0  # fixes written back (with ``diff``: the fixes the diffs show)
    written: bool = False  # the unit was written back (a file replaced, or the source sent to stdout)
    diffs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    internal_error: bool = False
    text: str | None = None  # the unit's text as written back (what is left is reported on it)


def fix_unit(
    unit: SourceUnit,
    report: FileReport,
    codes: frozenset[str],
    unsafe: bool = False,
    diff: bool = False,
    project: Project | None = None,
    keras: str | None = None,
) -> FixOutcome:
    """Fix a unit (:func:`fix_in_memory`), then write it back, or only show the diff (``diff``).
    Never a broken file: a round that does not parse is dropped; a fix that would move code
    across cells is not applied."""
    if unit.kind == "notebook" and unit.stdin:
        problem = f"{unit.path}: fixing a notebook read from stdin is not supported; fix the file itself"
        return FixOutcome(report.findings, problems=[problem])
    try:
        return _fix_unit(unit, report, codes, unsafe, diff, project, keras)
    except Exception as exc:  # report, keep the file as it was, keep going
        problem = f"{unit.path}: internal error while fixing the {unit.kind}: {type(exc).__name__}: {exc}"
        return FixOutcome(report.findings, problems=[problem], internal_error=True)


def _fix_unit(
    unit: SourceUnit,
    report: FileReport,
    codes: frozenset[str],
    unsafe: bool,
    diff: bool,
    project: Project | None,
    keras: str | None,
) -> FixOutcome:
    fixed = fix_in_memory(unit, report.findings, codes, unsafe, project, keras)
    if fixed is None or fixed.result.text == fixed.view.text:
        if unit.stdin and not diff:  # stdin --fix always hands the source on, fixed or not
            write_back(unit, unit.source.text)
            return FixOutcome(report.findings, written=True, text=unit.source.text)
        return FixOutcome(report.findings)
    cannot = f"{unit.path}: fixes not applied: they would move code across cells"
    if diff:
        diffs = fixed.view.diffs(fixed.result.text)
        return (
            FixOutcome(report.findings, fixed.result.applied, diffs=diffs)  # applied: would be, nothing written
            if diffs is not None
            else FixOutcome(report.findings, problems=[cannot])
        )
    if fixed.text is None:
        return FixOutcome(report.findings, problems=[cannot])
    problem = write_back(unit, fixed.text)
    if problem is not None:
        return FixOutcome(report.findings, problems=[problem])
    if unit.kind == "module":
        return FixOutcome(fixed.result.remaining, fixed.result.applied, True, text=fixed.text)
    # What is left points into the module: lint the written notebook for findings in cells.
    try:
        written = decode_source(unit.path, unit.source.encode(fixed.text))
    except SourceError:
        return FixOutcome(report.findings, fixed.result.applied, True, text=fixed.text)
    after = lint_notebook(written, codes, keras, project if unit.uses_project else None)
    problems = [str(p) for p in after.problems]
    return FixOutcome(after.findings, fixed.result.applied, True, problems=problems, text=fixed.text)


def write_back(unit: SourceUnit, text: str) -> str | None:
    """Write the unit's new text where it came from; a problem message when it cannot be.
    A file is replaced atomically (encoding, BOM, line endings and permissions kept); stdin's
    text goes to stdout (ruff's convention: the fixed source to stdout, the report to stderr)."""
    if unit.stdin:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    try:
        write_source_atomic(unit.source, text)
    except (OSError, UnicodeError) as exc:
        return f"{unit.path}: cannot write fixes: {getattr(exc, 'strerror', None) or exc}"
    return None
