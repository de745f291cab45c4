"""Units of source that are not plain modules: notebooks, linted and fixed as one module.

``regcheck.notebooks`` turns a notebook into a :class:`~regcheck.notebooks.Document`
(the Python cells as one module, with the way back to cells and lines) and puts
fixed text back into cells; it knows nothing of linting. Here the engine lints
that module and maps the findings to cells, and fixes are applied to it and
written back into the notebook.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

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
    from regcheck.config import Settings


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
        report.problems.append(Problem(source.path, f"internal error while reading the notebook: {type(exc).__name__}: {exc}"))
        report.internal_error = True
        report.cells = None
    return report


def _lint_document(path: str, document: Document, codes: frozenset[str], report: FileReport,
                   keras: str | None = None) -> None:
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


def fix_notebook(report: FileReport, args: argparse.Namespace, settings: Settings, state: Any) -> list[Finding]:
    """Apply fixes to a notebook's cells and write it back (or add a per-cell diff); return what remains."""
    try:
        return _fix_notebook(report, args, settings, state)
    except Exception as exc:  # report, keep the file as it was, keep going
        state.problems.append(f"{report.path}: internal error while fixing the notebook: {type(exc).__name__}: {exc}")
        state.internal_error = True
        return report.findings


def _fix_notebook(report: FileReport, args: argparse.Namespace, settings: Settings, state: Any) -> list[Finding]:
    source = report.source
    assert source is not None
    codes = settings.codes_for(report.path)
    document = build_document(report.path, source.text, codes)
    if not document.included:
        return report.findings
    keras = settings.keras_version
    result = fix_text(document.text, lambda text: lint_text(report.path, text, codes, keras=keras).findings,
                      args.unsafe_fixes)
    if result.text == document.text:
        return report.findings
    cells = split_cells(document, result.text)
    if cells is None:
        state.problems.append(f"{report.path}: fixes not applied: they would move code across cells")
        return report.findings
    changed = [cell for cell in document.included if cells[cell.number] != cell.source]
    if args.diff:
        for cell in changed:
            state.diffs.append(cell_diff(report.path, cell.number, cell.source, cells[cell.number]))
        return report.findings
    for cell in changed:
        _store(cell, cells[cell.number])
    new_text = dump_like(document.notebook, source.text)
    try:
        write_source_atomic(source, new_text)
    except (OSError, UnicodeError) as exc:
        state.problems.append(f"{report.path}: cannot write fixes: {getattr(exc, 'strerror', None) or exc}")
        return report.findings
    state.fixed += result.applied
    try:
        fixed_source = decode_source(source.path, source.encode(new_text))
    except SourceError:
        return report.findings
    after = lint_notebook(fixed_source, codes, keras)
    state.problems.extend(str(p) for p in after.problems)
    return after.findings
