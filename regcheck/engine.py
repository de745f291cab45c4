"""The static pipeline: prefilter -> parse -> facts -> checks -> suppressions, over many files.

Nothing here imports TensorFlow; libcst is imported only when a file survives
the prefilter, so `regcheck` on a tree without TF code stays cheap. Work is
done only where it can matter:

- a file that names no TF/Keras API is never parsed at all;
- a TF/Keras file without any selected rule's trigger word is only syntax
  checked (RC000) with CPython's parser, which is ten times cheaper than libcst;
- results are cached per file (regcheck.cache), and for large runs the files
  that still need work go to a pool of forked worker processes, while reports
  are streamed back in input order.
"""

from __future__ import annotations

import functools
import os
import re
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from regcheck.catalog import RULES
from regcheck.files import Problem, SourceError, SourceFile, read_source
from regcheck.findings import Finding

if TYPE_CHECKING:
    from regcheck.cache import CachedResult, Resolution, ResultCache
    from regcheck.config import Settings
    from regcheck.project import ProjectIndex

# A file that names none of these cannot contain TF/Keras code worth parsing
# (b"slim" also covers b"tf_slim").
TF_MARKERS = (b"tensorflow", b"keras", b"slim")
# Only a file that mentions this can carry a file-level `# regcheck: noqa`.
_FILE_NOQA = re.compile(r"regcheck:\s*noqa", re.IGNORECASE)


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


# --- prefilter ----------------------------------------------------------------


def names_tf(data: bytes) -> bool:
    """Does the file name TensorFlow, Keras or slim at all?"""
    return any(marker in data for marker in TF_MARKERS)


@functools.lru_cache(maxsize=64)
def _triggers(codes: frozenset[str]) -> tuple[bytes, ...] | None:
    """The selected checks' trigger words, minimal (a word containing another is dropped);
    None when some selected check has none and so must see every TF/Keras file."""
    from regcheck.checks import checks_for

    words: set[bytes] = set()
    for check in checks_for(codes):
        if not check.triggers:
            return None
        words.update(check.triggers)
    minimal = [w for w in words if not any(other != w and other in w for other in words)]
    return tuple(sorted(minimal, key=len))


@functools.lru_cache(maxsize=64)
def _import_triggers(codes: frozenset[str]) -> tuple[bytes, ...]:
    """Trigger words of the selected checks that also count in the modules a file imports."""
    from regcheck.checks import checks_for

    return tuple(sorted({word for check in checks_for(codes) for word in check.import_triggers}))


def _imports_trigger(data: bytes, codes: frozenset[str], path: str, project: "ProjectIndex | None") -> bool:
    """The second chance of a file without trigger words: a project module it imports has some.

    One level only: in a library every module is two or three imports away from one that
    regularizes (measured on keras: one level parses 48 more files, 0.3 MB; two levels 271, 2.3 MB)."""
    words = _import_triggers(codes)
    return bool(words) and project is not None and project.imports_reach(path, data, words)


def wants_parse(data: bytes, codes: frozenset[str]) -> bool:
    """The bytes prefilter: TF/Keras is named and some selected rule's trigger word occurs."""
    if not names_tf(data):
        return False
    triggers = _triggers(codes)
    return triggers is None or any(trigger in data for trigger in triggers)


# --- one file -----------------------------------------------------------------


def lint_text(
    path: str,
    text: str,
    codes: frozenset[str],
    data: bytes | None = None,
    project: "ProjectIndex | None" = None,
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
    if _FILE_NOQA.search(text):  # tokenizing for comments is slow: only when it can matter
        from regcheck.suppress import parse_suppressions

        file_codes = parse_suppressions(text).file_codes
        if "*" in file_codes:
            return report
    if not wants_parse(data, codes) and not _imports_trigger(data, codes, path, project):
        if "RC000" in codes:
            _syntax_check(path, text, report)
        if not report.findings and "RC002" in codes:  # no rule fires here: an `# noqa: RC...` is stale
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


def _syntax_finding(path: str, exc: "Exception", text: str | None = None) -> Finding:
    info = RULES["RC000"]
    line = getattr(exc, "raw_line", 1) or 1
    column = (getattr(exc, "raw_column", 0) or 0) + 1
    message = getattr(exc, "message", str(exc)).splitlines()[0]
    from regcheck.files import python_syntax_error

    cpython = python_syntax_error(text) if text is not None else None
    if cpython is not None:  # CPython's message and position are the ones users know
        line, column, message = cpython
    return Finding(info.code, info.name, info.severity, path, line, column, line, column, f"syntax error: {message}")


def lint_file(path: str, settings: "Settings", project: "ProjectIndex | None" = None) -> FileReport:
    try:
        source = read_source(path)
    except SourceError as exc:
        return unreadable_report(exc.problem, settings.codes_for(path))
    return _lint_source(source, settings.codes_for(path), project)


def unreadable_report(problem: Problem, codes: frozenset[str]) -> FileReport:
    """A file that cannot be read: an RC001 finding (unless RC001 is not selected), not an error."""
    from regcheck.files import unreadable_finding

    return FileReport(problem.path, findings=[unreadable_finding(problem)] if "RC001" in codes else [])


def _lint_source(source: SourceFile, codes: frozenset[str], project: "ProjectIndex | None") -> FileReport:
    if source.path.endswith(".ipynb"):
        from regcheck.units import lint_notebook

        return lint_notebook(source, codes, getattr(project, "keras_target", None))
    report = lint_text(source.path, source.text, codes, source.raw, project)
    report.source = source
    return report


# --- many files: cache and pool ---------------------------------------------

# Below this many files needing work, forking workers costs more than it saves.
POOL_MIN_FILES = 4
# Small files are sent to workers in batches of about this many bytes.
_BATCH_BYTES = 64 * 1024


class _Recorder:
    """Records which project modules and files a lint consulted, for cache invalidation.

    It wraps the ProjectIndex's ``resolve_module`` and ``facts_for`` on the instance, so
    every consultation is seen, including re-export chains followed inside other modules.
    """

    def __init__(self, project: "ProjectIndex") -> None:
        self.resolutions: dict[tuple[str, str | None, int], str | None] | None = None
        self.consulted: set[str] = set()
        resolve, facts_for = project.resolve_module, project.facts_for

        def resolve_module(dotted: str, from_path: str | None = None, level: int = 0) -> str | None:
            result = resolve(dotted, from_path, level)
            if self.resolutions is not None:
                self.resolutions[(dotted, from_path, level)] = result
            return result

        def record_facts_for(path: str, requested_by: str | None = None) -> Any:
            if self.resolutions is not None:
                self.consulted.add(path)
            return facts_for(path, requested_by=requested_by)

        project.resolve_module = resolve_module  # type: ignore[method-assign]
        project.facts_for = record_facts_for  # type: ignore[method-assign]

    def start(self) -> None:
        self.resolutions, self.consulted = {}, set()

    def stop(self) -> tuple[list["Resolution"], set[str]]:
        resolutions = [(d, f, lvl, r) for (d, f, lvl), r in (self.resolutions or {}).items()]
        self.resolutions = None
        return resolutions, self.consulted


class _Run:
    """The state one run shares between the parent and (inherited by fork) its workers."""

    def __init__(self, files: list[str], settings: "Settings", use_cache: bool) -> None:
        from regcheck.project import ProjectIndex

        self.settings = settings
        self.project = ProjectIndex(files, settings.root)
        self.project.keras_target = settings.keras_version  # read by lint_text, also when re-linting fixes
        self.recorder = _Recorder(self.project)
        self.cache: ResultCache | None = None
        if use_cache:
            from regcheck.cache import ResultCache

            self.cache = ResultCache(settings.root, settings.fingerprint())
        self._hashes: dict[str, str | None] = {}

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
        digest = self._digest(path, source.raw)
        hit = self.cache.get(path, self.settings.codes_for(path), digest)
        if hit is None or not self._still_valid(hit):
            return None, len(source.raw)
        report = FileReport(path, hit.findings, hit.problems, parsed=hit.parsed, cells=hit.cells, analysed=hit.analysed)
        if report.findings:
            report.source = source
        return report, 0

    def _digest(self, path: str, data: bytes | None = None) -> str | None:
        if path not in self._hashes:
            from regcheck.cache import content_hash

            if data is None:
                try:
                    data = read_source(path).raw
                except SourceError:
                    self._hashes[path] = None
                    return None
            self._hashes[path] = content_hash(data)
        return self._hashes[path]

    def _still_valid(self, hit: "CachedResult") -> bool:
        """The modules the cached lint consulted are unchanged and still resolve the same."""
        if any(self._digest(dep) != digest for dep, digest in hit.dependencies.items()):
            return False
        return all(self.project.resolve_module(d, f, lvl) == r for d, f, lvl, r in hit.resolutions)

    # -- worker side (or in-process): the real work --

    def lint(self, path: str) -> FileReport:
        codes = self.settings.codes_for(path)
        try:
            source = read_source(path)
        except SourceError as exc:
            return unreadable_report(exc.problem, codes)
        self.recorder.start()
        try:
            report = _lint_source(source, codes, self.project)
        finally:
            resolutions, consulted = self.recorder.stop()
        if self.cache is not None and not report.internal_error:
            self._store(source, codes, report, resolutions, consulted)
        if not report.findings:
            report.source = None  # nothing to fix or show: do not ship the text back
        return report

    def _store(
        self, source: SourceFile, codes: frozenset[str], report: FileReport, resolutions: list["Resolution"], consulted: set[str]
    ) -> None:
        from regcheck.cache import CachedResult, content_hash

        assert self.cache is not None
        consulted |= self.project.dependencies(source.path)
        consulted.discard(source.path)
        dependencies: dict[str, str] = {}
        for dep in sorted(consulted):
            digest = self._digest(dep)
            if digest is None:
                return  # a dependency that cannot be read: do not cache what cannot be checked
            dependencies[dep] = digest
        result = CachedResult(
            list(report.findings), list(report.problems), report.parsed, report.analysed, report.cells, dependencies, resolutions
        )
        self.cache.put(source.path, codes, content_hash(source.raw), result)

    def lint_batch(self, paths: list[str]) -> list[FileReport]:
        # A worker re-hashes dependencies it reads: files may have changed since the last batch.
        self._hashes.clear()
        return [self.lint(path) for path in paths]


_RUN: _Run | None = None  # set in the parent before forking; workers inherit it


def _work(paths: list[str]) -> list[FileReport]:
    assert _RUN is not None
    return _RUN.lint_batch(paths)


def _init_spawned(files: list[str], settings: "Settings", use_cache: bool) -> None:
    global _RUN
    _RUN = _Run(files, settings, use_cache)


def lint_files(paths: Iterable[str], settings: "Settings", use_cache: bool = True, jobs: int = 0) -> Iterator[FileReport]:
    """Lint files, streaming one report per file in input order.

    ``jobs``: worker processes (0: one per core; 1: in-process). Cached results are
    checked in this process; the rest go to the pool when there are enough of them.
    """
    files = list(paths)
    run = _Run(files, settings, use_cache)
    jobs = jobs if jobs > 0 else _cpu_count()
    if jobs <= 1 or len(files) < POOL_MIN_FILES:
        for path in files:
            report, _size = run.quick(path)
            yield report if report is not None else run.lint(path)
        return
    quick = [run.quick(path) for path in files]
    todo = [(index, size) for index, (report, size) in enumerate(quick) if report is None]
    if len(todo) < POOL_MIN_FILES:
        for index, (report, _size) in enumerate(quick):
            yield report if report is not None else run.lint(files[index])
        return
    yield from _pooled(run, files, quick, todo, min(jobs, len(todo)))


def _pooled(
    run: _Run, files: list[str], quick: list[tuple[FileReport | None, int]], todo: list[tuple[int, int]], jobs: int
) -> Iterator[FileReport]:
    import concurrent.futures
    import multiprocessing

    from regcheck.pool import guard_worker  # workers never outlive this process

    global _RUN
    _warm_up()
    _RUN = run
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        executor = concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=context, initializer=guard_worker, initargs=(os.getpid(),)
        )
    else:
        executor = concurrent.futures.ProcessPoolExecutor(
            jobs, initializer=guard_worker, initargs=(os.getpid(), _init_spawned, files, run.settings, run.cache is not None)
        )
    where: dict[int, tuple[concurrent.futures.Future[list[FileReport]], int]] = {}
    try:
        for batch in _batches(todo):
            future = executor.submit(_work, [files[i] for i in batch])
            for position, index in enumerate(batch):
                where[index] = (future, position)
        for index, (report, _size) in enumerate(quick):
            if report is None:
                future, position = where.pop(index)
                report = _result(future, position, run, files[index])
            quick[index] = (None, 0)  # let the streamed report go
            yield report
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        _RUN = None


def _result(future: "Any", position: int, run: _Run, path: str) -> FileReport:
    try:
        return future.result()[position]
    except Exception:
        # A worker died (BrokenProcessPool) or failed outside the per-file guards: the
        # file is still checked, here, with the same code a worker would have run.
        return run.lint(path)


def _batches(todo: list[tuple[int, int]]) -> Iterator[list[int]]:
    """Largest files first, so no worker is left with a big file at the end; small files
    travel together to keep the per-task overhead down."""
    batch: list[int] = []
    total = 0
    for index, size in sorted(todo, key=lambda item: -item[1]):
        batch.append(index)
        total += size
        if total >= _BATCH_BYTES or len(batch) >= 32:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _warm_up() -> None:
    """Import the parser, facts and checks once before forking, so workers share them."""
    import libcst as cst

    from regcheck.checks import ALL_CHECKS  # noqa: F401
    from regcheck.facts import build_facts

    build_facts("<warm-up>", "import tensorflow as tf\n", cst.parse_module("import tensorflow as tf\n"))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


__all__: list[str] = [
    "FileReport", "TF_MARKERS", "lint_file", "lint_files", "lint_text", "names_tf", "unreadable_report", "wants_parse"
]
