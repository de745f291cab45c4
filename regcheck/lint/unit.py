"""Lint one source unit: a module, a notebook or what stdin holds, each through :func:`lint_text`.

:func:`lint_unit` is the one lint path: the command line (one file at a time, or in the
pool), ``regcheck.check_source`` / ``check_paths`` and the language server all call it.
A notebook's Python cells are linted as one module (regcheck.sources.notebooks) and its
findings mapped back to cells.
"""

from __future__ import annotations

from regcheck.findings import Finding
from regcheck.lint.module import FileReport, lint_text
from regcheck.lint.prefilter import names_tf
from regcheck.lint.project import Project
from regcheck.sources.files import Problem, SourceFile, unreadable_finding
from regcheck.sources.notebooks import (
    Document,
    NotebookError,
    document_of,
    is_python_notebook,
    load_notebook,
    map_finding,
)
from regcheck.sources.units import SourceUnit


def lint_unit(
    unit: SourceUnit, codes: frozenset[str], project: Project | None = None, keras: str | None = None
) -> FileReport:
    """The unit's report: findings in the unit's own positions (cells for a notebook).

    ``project``: the run's project index, for facts of the modules a module (or a notebook) imports
    (stdin is linted alone). ``keras``: the Keras the project targets ("3", "2" or "unknown"); by default the
    project's (``project.keras_target``), else unknown."""
    if unit.kind == "notebook":
        target = keras if keras is not None else getattr(project, "keras_target", None)
        return lint_notebook(unit.source, codes, target, project)
    report = lint_text(unit.path, unit.source.text, codes, unit.source.raw or None, project, keras)
    report.source = unit.source
    return report


def unreadable_report(problem: Problem, codes: frozenset[str]) -> FileReport:
    """A file that cannot be read: an RC001 finding (unless RC001 is not selected), not an error."""
    return FileReport(problem.path, findings=[unreadable_finding(problem)] if "RC001" in codes else [])


def lint_notebook(
    source: SourceFile, codes: frozenset[str], keras: str | None = None, project: Project | None = None
) -> FileReport:
    """A notebook's report: its code cells linted as one module, findings carrying their cell.

    ``keras``: the Keras version the project targets ("3", "2" or "unknown", as for ``lint_text``).
    ``project``: the run's project index: a notebook imports the modules next to it as a script does."""
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
        _lint_document(source.path, document_of(source.path, notebook, cells, codes), codes, report, keras, project)
    except NotebookError as exc:  # RC001: reported like any finding, not an exit-2 error
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
    path: str,
    document: Document,
    codes: frozenset[str],
    report: FileReport,
    keras: str | None = None,
    project: Project | None = None,
) -> None:
    report.parsed = bool(document.included) or bool(document.syntax_errors)
    findings = list(document.syntax_errors)
    if document.included:
        module_report = lint_text(path, document.text, codes, project=project, keras=keras)
        report.parsed = report.parsed and (module_report.parsed or bool(document.syntax_errors))
        report.analysed = module_report.analysed
        report.problems.extend(module_report.problems)
        report.internal_error = report.internal_error or module_report.internal_error
        findings.extend(map_finding(document, f) for f in module_report.findings)
    report.findings = sorted(findings, key=Finding.sort_key)
