"""The static pipeline: prefilter -> parse -> facts -> checks -> suppressions, over many files.

Nothing here imports TensorFlow; libcst is imported only when a file survives
the prefilter, so `regcheck` on a tree without TF code stays cheap. Work is
done only where it can matter:

- a file that names no TF/Keras API is never parsed at all, and a TF/Keras file
  without any selected rule's trigger word is only syntax checked (RC000) with
  CPython's parser, which is ten times cheaper than libcst (regcheck.prefilter);
- results are cached per file (regcheck.cache), and for large runs the files
  that still need work go to a pool of worker processes (regcheck.pool), while
  reports are streamed back in input order.

This module holds the lint of one module's text (:func:`lint_text`) and the
orchestration of a run (:func:`lint_files`).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from regcheck.catalog import RULES
from regcheck.files import Problem, SourceError, SourceFile, read_source
from regcheck.findings import Finding
from regcheck.prefilter import FILE_NOQA, TF_MARKERS, imports_trigger, names_tf, wants_parse

if TYPE_CHECKING:
    from regcheck.cache import RunCache
    from regcheck.config import Settings
    from regcheck.project import ProjectIndex


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parsed: bool = False  # parsed (by libcst, or by CPython for the syntax check only)
    internal_error: bool = False
    source: SourceFile | None = None  # kept only when there are findings (fixes and context lines)
    # Notebooks: the code cells' sources, in order (None for plain modules).
    cells: list[str] | None = None
    analysed: bool = False  # parsed with libcst and run through the facts pass and checks


# --- one file -----------------------------------------------------------------


def lint_text(
    path: str,
    text: str,
    codes: frozenset[str],
    data: bytes | None = None,
    project: ProjectIndex | None = None,
    keras: str | None = None,
) -> FileReport:
    """Lint one module's source text with the selected codes.

    ``keras``: the Keras version the project targets ("3" or "2"; Settings.keras_version);
    by default the run's (``project.keras_target``), else Keras 3."""
    report = FileReport(path)
    data = data if data is not None else text.encode("utf-8", "surrogatepass")
    if not names_tf(data):
        return report
    file_codes: frozenset[str] = frozenset()
    if FILE_NOQA.search(text):  # tokenizing for comments is slow: only when it can matter
        from regcheck.suppress import parse_suppressions

        file_codes = parse_suppressions(text).file_codes
        if "*" in file_codes:
            return report
    if not wants_parse(data, codes) and not imports_trigger(data, codes, path, project):
        if "RC000" in codes:
            _syntax_check(path, text, report)
        if not report.findings and "RC002" in codes:  # no rule fires here: a `noqa` naming a code is stale
            from regcheck.suppress import unused_noqa

            report.findings = unused_noqa(path, text, [], codes)
        return report
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        report.parsed = True
        if "RC000" in codes:
            report.findings.append(_syntax_finding(path, exc, text))
        return report
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested to parse"))
        return report
    report.parsed = report.analysed = True
    from regcheck.checks import checks_for
    from regcheck.facts import build_facts

    try:
        facts = build_facts(path, text, module, project)
        facts.keras_target = keras or getattr(project, "keras_target", None) or "3"
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested to analyse"))
        return report
    except Exception as exc:  # an internal error must not cost the other files their findings
        report.problems.append(Problem(path, f"internal error while collecting facts: {_describe(exc)}"))
        report.internal_error = True
        return report
    findings: list[Finding] = []
    for check_class in checks_for(codes):
        try:
            findings.extend(check_class().run(facts))
        except Exception as exc:
            report.problems.append(Problem(path, f"internal error in {check_class.code}: {_describe(exc)}"))
            report.internal_error = True
    if findings:
        from regcheck.fix import only_applicable

        findings = only_applicable(text, findings)
    stale: list[Finding] = []
    if "RC002" in codes and not report.internal_error:  # RC002: judged on the findings before suppression
        from regcheck.suppress import unused_noqa

        stale = unused_noqa(path, text, findings, codes)
    if findings:
        from regcheck.suppress import parse_suppressions

        findings = parse_suppressions(text).filter(findings)
    report.findings = sorted(findings + stale, key=Finding.sort_key)
    return report


def _syntax_check(path: str, text: str, report: FileReport) -> None:
    """RC000 for a file no other selected rule needs parsed: CPython's parser decides, and
    libcst confirms a failure, so the verdict matches that of a file parsed for its rules."""
    from regcheck.files import python_syntax_error

    report.parsed = True
    if python_syntax_error(text) is None:
        return
    import libcst as cst

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        report.findings.append(_syntax_finding(path, exc, text))
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested to parse"))


def _describe(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _syntax_finding(path: str, exc: Exception, text: str | None = None) -> Finding:
    info = RULES["RC000"]
    line = getattr(exc, "raw_line", 1) or 1
    column = (getattr(exc, "raw_column", 0) or 0) + 1
    message = getattr(exc, "message", str(exc)).splitlines()[0]
    from regcheck.files import python_syntax_error

    cpython = python_syntax_error(text) if text is not None else None
    if cpython is not None:  # CPython's message and position are the ones users know
        line, column, message = cpython
    return Finding(info.code, info.name, info.severity, path, line, column, line, column, f"syntax error: {message}")


def lint_file(path: str, settings: Settings, project: ProjectIndex | None = None) -> FileReport:
    try:
        source = read_source(path)
    except SourceError as exc:
        return unreadable_report(exc.problem, settings.codes_for(path))
    return _lint_source(source, settings.codes_for(path), project)


def unreadable_report(problem: Problem, codes: frozenset[str]) -> FileReport:
    """A file that cannot be read: an RC001 finding (unless RC001 is not selected), not an error."""
    from regcheck.files import unreadable_finding

    return FileReport(problem.path, findings=[unreadable_finding(problem)] if "RC001" in codes else [])


def _lint_source(source: SourceFile, codes: frozenset[str], project: ProjectIndex | None) -> FileReport:
    """A file as its unit (a module or a notebook) linted against the run's project."""
    from regcheck.units import unit_for

    return unit_for(source).lint(codes, project)


# --- many files ---------------------------------------------------------------


class _Run:
    """The state one run shares between the parent and (inherited by fork) its workers."""

    def __init__(self, files: list[str], settings: Settings, use_cache: bool) -> None:
        from regcheck.project import ProjectIndex

        self.settings = settings
        self.project = ProjectIndex(files, settings.root)
        self.project.keras_target = settings.keras_version  # read by lint_text, also when re-linting fixes
        self.cache: RunCache | None = None
        if use_cache:
            from regcheck.cache import ResultCache, RunCache

            self.cache = RunCache(ResultCache(settings.root, settings.fingerprint()), self.project)

    # -- parent side: what needs no parsing --

    def quick(self, path: str) -> tuple[FileReport | None, int]:
        """The report when it needs no parse (no TF named, unreadable, cached), else None;
        and the file's size, to balance the work among workers."""
        try:
            source = read_source(path)
        except SourceError as exc:
            return unreadable_report(exc.problem, self.settings.codes_for(path)), 0
        if not path.endswith(".ipynb") and not names_tf(source.raw):
            return FileReport(path), 0
        if self.cache is None:
            return None, len(source.raw)
        hit = self.cache.lookup(path, self.settings.codes_for(path), source.raw)
        if hit is None:
            return None, len(source.raw)
        report = FileReport(path, hit.findings, hit.problems, parsed=hit.parsed, cells=hit.cells, analysed=hit.analysed)
        if report.findings:
            report.source = source
        return report, 0

    # -- worker side (or in-process): the real work --

    def lint(self, path: str) -> FileReport:
        codes = self.settings.codes_for(path)
        try:
            source = read_source(path)
        except SourceError as exc:
            return unreadable_report(exc.problem, codes)
        with self.project.recording() as record:
            report = _lint_source(source, codes, self.project)
        if self.cache is not None and not report.internal_error:
            self.cache.store(source, codes, report, record)
        if not report.findings:
            report.source = None  # nothing to fix or show: do not ship the text back
        return report

    def lint_batch(self, paths: list[str]) -> list[FileReport]:
        # A worker re-hashes dependencies it reads: files may have changed since the last batch.
        if self.cache is not None:
            self.cache.forget_hashes()
        return [self.lint(path) for path in paths]


def lint_files(paths: Iterable[str], settings: Settings, use_cache: bool = True, jobs: int = 0) -> Iterator[FileReport]:
    """Lint files, streaming one report per file in input order.

    ``jobs``: worker processes (0: one per core; 1: in-process). Cached results are
    checked in this process; the rest go to the pool when there are enough of them.
    """
    from regcheck import pool

    files = list(paths)
    run = _Run(files, settings, use_cache)
    jobs = jobs if jobs > 0 else pool.cpu_count()
    if jobs <= 1 or len(files) < pool.POOL_MIN_FILES:
        for path in files:
            report, _size = run.quick(path)
            yield report if report is not None else run.lint(path)
        return
    quick = [run.quick(path) for path in files]
    tasks = [(files[index], size) for index, (report, size) in enumerate(quick) if report is None]
    if len(tasks) < pool.POOL_MIN_FILES:
        for index, (report, _size) in enumerate(quick):
            yield report if report is not None else run.lint(files[index])
        return
    pooled = pool.lint_pooled(run, tasks, min(jobs, len(tasks)), spawn=(_Run, (files, settings, use_cache)))
    try:
        for index, (report, _size) in enumerate(quick):
            quick[index] = (None, 0)  # let the streamed report go
            yield report if report is not None else next(pooled)
    finally:
        pooled.close()  # shuts the pool down, also when the caller stops early


__all__: list[str] = [
    "TF_MARKERS",
    "FileReport",
    "lint_file",
    "lint_files",
    "lint_text",
    "names_tf",
    "unreadable_report",
    "wants_parse",
]
