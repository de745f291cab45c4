"""Units of source: a module file, a notebook or what stdin holds, linted and fixed one way.

A :class:`SourceUnit` is one unit of text to check. It knows how to see itself
as one Python module (a notebook's cells concatenated, :mod:`regcheck.notebooks`),
how to lint that module and map positions back (cells), how to put a fixed module
back into itself, how to show the change as a diff, and where it is written back
(the file, atomically; stdout for stdin). :func:`fix_unit` is the one fix path
that serves every unit; :meth:`SourceUnit.lint` the one lint path.

``regcheck.notebooks`` turns a notebook into a :class:`~regcheck.notebooks.Document`
(the Python cells as one module, with the way back to cells and lines) and puts
fixed text back into cells; it knows nothing of linting.
"""

from __future__ import annotations

import difflib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from regcheck.engine import FileReport, lint_text, names_tf
from regcheck.files import Problem, SourceError, SourceFile, decode_source, write_source_atomic
from regcheck.findings import Finding
from regcheck.fix import fix_text
from regcheck.notebooks import (
    Document,
    NotebookError,
    _build,
    _store,
    build_document,
    cell_diff,
    dump_like,
    is_python_notebook,
    load_notebook,
    map_finding,
    split_cells,
)

if TYPE_CHECKING:
    from regcheck.project import ProjectIndex


# --- the seam -------------------------------------------------------------------


@dataclass
class ModuleView:
    """A unit seen as one Python module: the text a fix works on, and the way back."""

    text: str
    # The unit's findings in this text's positions, when the lint report holds them (None: lint again).
    findings: list[Finding] | None
    # The unit's whole text with the module replaced by ``fixed``; None when it cannot be put back.
    back: Callable[[str], str | None]
    # The change as unified diffs (one per file, or per notebook cell); None when it cannot be put back.
    diffs: Callable[[str], list[str] | None]


class SourceUnit(ABC):
    """One unit of source: its text (``source``), a module view with a position map,
    write-back and diff. ``stdin``: read from stdin, written back to stdout."""

    kind = "module"

    def __init__(self, source: SourceFile, stdin: bool = False) -> None:
        self.source = source
        self.stdin = stdin

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def uses_project(self) -> bool:
        """Is the module linted against the project index (cross-module facts)?"""
        return False

    def cannot_fix(self) -> str | None:
        """Why this unit is not fixed at all (None: it is)."""
        return None

    @abstractmethod
    def lint(self, codes: frozenset[str], project: ProjectIndex | None = None, keras: str | None = None) -> FileReport:
        """The unit's report: findings in the unit's own positions (cells for a notebook)."""

    def lint_module(
        self, text: str, codes: frozenset[str], project: ProjectIndex | None = None, keras: str | None = None
    ) -> list[Finding]:
        """Findings of a candidate module text (a fix round), in the module's positions."""
        return lint_text(self.path, text, codes, project=project if self.uses_project else None, keras=keras).findings

    @abstractmethod
    def module(self, codes: frozenset[str], report: FileReport) -> ModuleView | None:
        """The unit as one module (None: nothing in it to fix)."""

    def write_back(self, text: str) -> str | None:
        """Write the unit's new text where it came from; a problem message when it cannot be.
        A file is replaced atomically (encoding, BOM, line endings and permissions kept)."""
        if self.stdin:
            sys.stdout.write(text)  # ruff's convention: fixed source to stdout, the report to stderr
            sys.stdout.flush()
            return None
        try:
            write_source_atomic(self.source, text)
        except (OSError, UnicodeError) as exc:
            return f"{self.path}: cannot write fixes: {getattr(exc, 'strerror', None) or exc}"
        return None

    def after_write(
        self, text: str, remaining: list[Finding], codes: frozenset[str], keras: str | None
    ) -> tuple[list[Finding] | None, list[str]]:
        """What is left to report once ``text`` (the unit's fixed text) was written (None: not
        known, report what was found before), and problems."""
        return remaining, []


class ModuleUnit(SourceUnit):
    """A Python module: its text is the module, positions are its own."""

    @property
    def uses_project(self) -> bool:
        return not self.stdin

    def lint(self, codes: frozenset[str], project: ProjectIndex | None = None, keras: str | None = None) -> FileReport:
        report = lint_text(self.path, self.source.text, codes, self.source.raw, project, keras)
        report.source = self.source
        return report

    def module(self, codes: frozenset[str], report: FileReport) -> ModuleView | None:
        return ModuleView(self.source.text, report.findings, back=lambda fixed: fixed, diffs=self._diffs)

    def _diffs(self, fixed: str) -> list[str] | None:
        return [unified_diff(self.path, self.source.text, fixed)]


class NotebookUnit(SourceUnit):
    """A Jupyter notebook: its Python cells are one module; positions map back to cells."""

    kind = "notebook"

    def cannot_fix(self) -> str | None:
        if self.stdin:
            return f"{self.path}: fixing a notebook read from stdin is not supported; fix the file itself"
        return None

    def lint(self, codes: frozenset[str], project: ProjectIndex | None = None, keras: str | None = None) -> FileReport:
        return lint_notebook(self.source, codes, keras if keras is not None else getattr(project, "keras_target", None))

    def module(self, codes: frozenset[str], report: FileReport) -> ModuleView | None:
        document = build_document(self.path, self.source.text, codes)
        if not document.included:
            return None
        # The report's findings point into cells: the fix lints the module again for its own positions.
        return ModuleView(
            document.text,
            None,
            back=lambda fixed: self._back(document, fixed),
            diffs=lambda fixed: self._diffs(document, fixed),
        )

    def _back(self, document: Document, fixed: str) -> str | None:
        cells = split_cells(document, fixed)
        if cells is None:
            return None
        for cell in document.included:
            if cells[cell.number] != cell.source:
                _store(cell, cells[cell.number])
        return dump_like(document.notebook, self.source.text)

    def _diffs(self, document: Document, fixed: str) -> list[str] | None:
        cells = split_cells(document, fixed)
        if cells is None:
            return None
        return [
            cell_diff(self.path, cell.number, cell.source, cells[cell.number])
            for cell in document.included
            if cells[cell.number] != cell.source
        ]

    def after_write(
        self, text: str, remaining: list[Finding], codes: frozenset[str], keras: str | None
    ) -> tuple[list[Finding] | None, list[str]]:
        # ``remaining`` points into the module: lint the written notebook for findings in cells.
        try:
            fixed_source = decode_source(self.path, self.source.encode(text))
        except SourceError:
            return None, []
        after = lint_notebook(fixed_source, codes, keras)
        return after.findings, [str(p) for p in after.problems]


def unit_for(source: SourceFile, stdin: bool = False) -> SourceUnit:
    """The unit for a source: a notebook by its ``.ipynb`` path, else a module."""
    return (NotebookUnit if source.path.endswith(".ipynb") else ModuleUnit)(source, stdin)


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


# --- the one fix path -------------------------------------------------------------


@dataclass
class FixOutcome:
    findings: list[Finding]  # what is left to report
    applied: int = 0  # fixes written back
    written: bool = False  # the unit was written back (a file replaced, or the source sent to stdout)
    diffs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    internal_error: bool = False


def fix_unit(
    unit: SourceUnit,
    report: FileReport,
    codes: frozenset[str],
    unsafe: bool = False,
    diff: bool = False,
    project: ProjectIndex | None = None,
    keras: str | None = None,
) -> FixOutcome:
    """Fix a unit in rounds (re-linting with the same project and Keras target, so findings stay
    comparable), then write it back, or only show the diff (``diff``). Never a broken file: a
    round that does not parse is dropped; a fix that would move code across cells is not applied."""
    reason = unit.cannot_fix()
    if reason is not None:
        return FixOutcome(report.findings, problems=[reason])
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
    project: ProjectIndex | None,
    keras: str | None,
) -> FixOutcome:
    view = unit.module(codes, report)
    if view is not None:
        result = fix_text(view.text, lambda text: unit.lint_module(text, codes, project, keras), unsafe, view.findings)
    if view is None or result.text == view.text:
        if unit.stdin and not diff:  # stdin --fix always hands the source on, fixed or not
            unit.write_back(unit.source.text)
            return FixOutcome(report.findings, written=True)
        return FixOutcome(report.findings)
    cannot = f"{unit.path}: fixes not applied: they would move code across cells"
    if diff:
        diffs = view.diffs(result.text)
        return (
            FixOutcome(report.findings, diffs=diffs)
            if diffs is not None
            else FixOutcome(report.findings, problems=[cannot])
        )
    new_text = view.back(result.text)
    if new_text is None:
        return FixOutcome(report.findings, problems=[cannot])
    problem = unit.write_back(new_text)
    if problem is not None:
        return FixOutcome(report.findings, problems=[problem])
    findings, problems = unit.after_write(new_text, result.remaining, codes, keras)
    return FixOutcome(report.findings if findings is None else findings, result.applied, True, problems=problems)


# --- notebooks ----------------------------------------------------------------------


def lint_notebook(source: SourceFile, codes: frozenset[str], keras: str | None = None) -> FileReport:
    """The engine's entry for ``.ipynb`` files: one report, findings carrying their cell.

    ``keras``: the Keras version the project targets ("3" or "2", as for ``lint_text``)."""
    report = FileReport(source.path)
    try:
        notebook, cells = load_notebook(source.text)
        if not is_python_notebook(notebook):
            return report
        if not cells:
            return report  # only markdown / raw cells: an empty program, nothing to report
        report.source = source
        report.cells = [cell.source for cell in cells]
        if not names_tf("".join(report.cells).encode("utf-8", "surrogatepass")):
            return report  # like a module that names no TF/Keras API: nothing to parse
        _lint_document(source.path, _build(source.path, notebook, cells, codes), codes, report, keras)
    except NotebookError as exc:  # RC001: reported like any finding, not an exit-2 error
        from regcheck.files import unreadable_finding

        report.source = report.cells = None
        if "RC001" in codes:
            report.findings = [unreadable_finding(Problem(source.path, str(exc), exc.line, exc.column))]
    except Exception as exc:  # one broken notebook must not cost the other files their findings
        report.problems.append(
            Problem(source.path, f"internal error while reading the notebook: {type(exc).__name__}: {exc}")
        )
        report.internal_error = True
        report.cells = None
    return report


def _lint_document(
    path: str, document: Document, codes: frozenset[str], report: FileReport, keras: str | None = None
) -> None:
    report.parsed = bool(document.included) or bool(document.syntax_errors)
    findings = list(document.syntax_errors)
    if document.included:
        module_report = lint_text(path, document.text, codes, keras=keras)
        report.parsed = report.parsed and (module_report.parsed or bool(document.syntax_errors))
        report.analysed = module_report.analysed
        report.problems.extend(module_report.problems)
        report.internal_error = report.internal_error or module_report.internal_error
        findings.extend(map_finding(document, f) for f in module_report.findings)
    report.findings = sorted(findings, key=Finding.sort_key)
