"""Many source units: one report per file, streamed in input order.

Work is done only where it can matter: cached results (regcheck.run.cache) and files
that name no TF/Keras API are reported here, in the parent; the rest are linted
(regcheck.lint.unit.lint_unit) in this process or, for large runs, by a pool of
worker processes (regcheck.run.pool) that inherit the run's state.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable

from regcheck.config.settings import Settings
from regcheck.lint.module import FileReport
from regcheck.lint.prefilter import imports_tf_trigger, names_tf
from regcheck.lint.unit import lint_unit, unreadable_report
from regcheck.run import pool
from regcheck.run.cache import ResultCache, RunCache
from regcheck.run.project import ProjectIndex
from regcheck.sources.files import SourceError, read_source
from regcheck.sources.units import SourceUnit


class _Run:
    """The state one run shares between the parent and (inherited by fork) its workers."""

    def __init__(self, files: list[str], settings: Settings, use_cache: bool) -> None:
        self.settings = settings
        self.project = ProjectIndex(files, settings.root)
        self.project.keras_target = settings.keras_version  # read by lint_text, also when re-linting fixes
        self.cache: RunCache | None = None
        if use_cache:
            self.cache = RunCache(ResultCache(settings.root, settings.fingerprint()), self.project)

    # -- parent side: what needs no parsing --

    def quick(self, path: str) -> tuple[FileReport | None, int]:
        """The report when it needs no parse (no TF named, unreadable, cached), else None;
        and the file's size, to balance the work among workers."""
        try:
            source = read_source(path)
        except SourceError as exc:
            return unreadable_report(exc.problem, self.settings.codes_for(path)), 0
        if (
            not path.endswith(".ipynb")
            and not names_tf(source.raw)
            and not imports_tf_trigger(source.raw, self.settings.codes_for(path), path, self.project)
        ):
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
            report = lint_unit(SourceUnit(source), codes, self.project)
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


def lint_files(
    paths: Iterable[str], settings: Settings, use_cache: bool = True, jobs: int = 0
) -> Generator[FileReport, None, None]:
    """Lint files, streaming one report per file in input order.

    ``jobs``: worker processes (0: one per core; 1: in-process). Cached results are
    checked in this process; the rest go to the pool when there are enough of them.
    """
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
