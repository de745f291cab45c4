"""`regcheck [check] [PATH...]`: lint files (or stdin), fix them, report.

Exit codes: 0 nothing at or above fail-on; 1 findings remain; 2 usage, config or
internal error (reported, after every other file was checked). A file that cannot
be read is a finding (RC001), not an exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from regcheck.__about__ import __version__
from regcheck.cli.options import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    add_report_options,
    csv,
    fails,
    settings_for,
    write_report_to,
)
from regcheck.config.settings import Overrides, Settings, render_settings
from regcheck.findings import Applicability, Finding
from regcheck.fixing.noqa import with_noqa
from regcheck.fixing.unit import fix_unit
from regcheck.fixing.write import write_source_atomic
from regcheck.graph import TENSORFLOW_EXTRA, tensorflow_missing
from regcheck.lint.module import FileReport
from regcheck.lint.unit import lint_unit
from regcheck.report import write_report
from regcheck.report.text import write_show_fixes, write_statistics
from regcheck.run.batch import lint_files
from regcheck.run.project import ProjectIndex
from regcheck.sources.discover import discover, is_excluded
from regcheck.sources.files import SourceError, decode_source, unreadable_finding
from regcheck.sources.notebooks import NotebookError, load_notebook
from regcheck.sources.units import SourceUnit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regcheck",
        description="Find and fix regularization mistakes in TensorFlow and Keras code.",
        epilog=(
            "Other commands: `regcheck rule [CODE|--all]`, `regcheck trace SCRIPT|module:fn`, "
            "`regcheck coverage [PATH...]`, `regcheck server`, `regcheck clean`. "
            "Exit codes: 0 no finding at or above --fail-on (or --exit-zero); 1 findings remain, including "
            "RC001 (a file that cannot be read) and RC000 (a syntax error); 2 usage, configuration or internal error."
        ),
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories to check (default: .); - reads stdin"
    )
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (with --fix or --diff)")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a diff instead of writing them")
    parser.add_argument("--fix-only", action="store_true", help="apply fixes and report nothing about what remains")
    parser.add_argument("--show-fixes", action="store_true", help="list the fixes that were applied, per file")
    parser.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when something was fixed")
    parser.add_argument("--add-noqa", action="store_true", help="add # noqa comments to the lines with findings")
    # Repeated --select / --ignore / ... accumulate, as in ruff.
    parser.add_argument("--select", type=csv, action="extend", help="rules to enable (codes, prefixes, names, ALL)")
    parser.add_argument(
        "--extend-select", type=csv, action="extend", default=[], help="rules to enable on top of the selection"
    )
    parser.add_argument("--ignore", type=csv, action="extend", default=[], help="rules to disable")
    parser.add_argument(
        "--exclude", type=csv, action="extend", help="gitignore-style patterns to skip (replaces the configured ones)"
    )
    parser.add_argument(
        "--extend-exclude",
        type=csv,
        action="extend",
        default=[],
        help="patterns to skip on top of the configured ones",
    )
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply the excludes to files named on the command line too (pre-commit)",
    )
    parser.add_argument(
        "--keras",
        choices=("auto", "3", "2"),
        help="the Keras the code runs on (default: auto, from the declared dependencies)",
    )
    parser.add_argument("--statistics", action="store_true", help="count findings per rule")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--show-settings", action="store_true", help="print the settings in effect and exit")
    parser.add_argument("--show-files", action="store_true", help="print the files that would be checked and exit")
    parser.add_argument("--stdin-filename", help="the path to report for source read from stdin (alone: read stdin)")
    parser.add_argument(
        "--graph",
        metavar="ENTRY",
        help="also trace ENTRY (script.py [-- ARGS], module:function) and merge graph findings (needs TensorFlow)",
    )
    parser.add_argument(
        "--graph-timeout", type=float, default=120.0, metavar="SECONDS", help="for --graph (default 120)"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=jobs,
        default=0,
        metavar="N",
        help="worker processes: a number, or 0 / auto for one per core (the default); 1 checks in this process",
    )
    add_report_options(parser)
    parser.add_argument("-V", "--version", action="version", version=f"regcheck {__version__}")
    return parser


def jobs(text: str) -> int:
    """``-j N``: a number of worker processes, or ``0`` / ``auto`` for one per core."""
    if text.strip().lower() == "auto":
        return 0
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes, or 0 / auto for one per core; got {text!r}")
    return value


@dataclass
class RunState:
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # What was skipped and said on stderr without failing the run (an unreadable folder, a link loop).
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    checked: int = 0
    fixed: int = 0
    would_fix: int = 0  # --diff: the fixes the diffs show
    diffs: list[str] = field(default_factory=list)
    # (path, cell) -> the lines code frames are drawn from: the text as it is once the run is over.
    lines: dict[tuple[str, int | None], list[str]] = field(default_factory=dict)
    internal_error: bool = False
    # --show-fixes: path -> code -> how many of its findings the fixes removed.
    fixes_by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    noqa_added: int = 0
    stdin_fixed: bool = False  # the fixed source went to stdout: the report goes to stderr
    # Static findings the graph (--graph) showed to be wrong, with the reason.
    refuted: list[dict[str, object]] = field(default_factory=list)


def main(argv: list[str]) -> int:
    """``regcheck [check] [PATH...]``: ``argv`` are the arguments after ``check``; with ``--graph``,
    those after ``--`` are the traced script's own."""
    script_args: list[str] = []
    if "--" in argv and any(a == "--graph" or a.startswith("--graph=") for a in argv[: argv.index("--")]):
        argv, script_args = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    parsed = build_parser().parse_args(argv)
    parsed.graph_args = script_args
    return run_check(parsed)


def run_check(args: argparse.Namespace) -> int:
    usage = _usage_error(args)
    if usage:
        sys.stderr.write(f"regcheck: error: {usage}\n")
        return EXIT_ERROR
    if args.fix_only:
        args.fix = True
    # `--stdin-filename` alone reads stdin, as in ruff.
    paths = args.paths or (["-"] if args.stdin_filename else ["."])
    overrides = Overrides(
        select=args.select,
        extend_select=args.extend_select,
        ignore=args.ignore,
        exclude=args.exclude,
        extend_exclude=args.extend_exclude,
        fail_on=args.fail_on,
        keras=args.keras,
    )
    start = Path(paths[0]) if paths[0] != "-" else Path(args.stdin_filename or ".")
    settings = settings_for(args, start, overrides)
    if isinstance(settings, str):
        sys.stderr.write(f"regcheck: error: {settings}\n")
        return EXIT_ERROR
    if args.show_settings:
        _show_settings(settings, paths)
        return EXIT_OK
    fixing = args.fix or args.diff
    state = RunState()
    if paths == ["-"]:
        _check_stdin(args, settings, state, fixing)
    else:
        if args.show_files:
            return _show_files(paths, args, settings)
        _check_files(paths, args, settings, state, fixing)
    if args.graph:
        _merge_graph(args, state, settings)
    return _finish(args, settings, state)


def _usage_error(args: argparse.Namespace) -> str | None:
    """Combinations that cannot do what they say: one line, exit 2."""
    if args.diff and args.output_format in ("json", "github", "sarif"):
        return f"--diff prints a unified diff; it cannot be combined with --output-format {args.output_format}"
    if args.statistics and args.output_format in ("github", "sarif"):
        return f"--statistics prints counts as text or JSON; it cannot be combined with --output-format {args.output_format}"
    if args.add_noqa and (args.fix or args.diff or args.fix_only):
        return "--add-noqa cannot be combined with --fix, --fix-only or --diff"
    if args.paths == ["-"] and args.add_noqa:
        return "--add-noqa needs files; it cannot read stdin"
    if "-" in args.paths and args.paths != ["-"]:
        return "- (stdin) cannot be combined with other paths"
    return None


def _show_settings(settings: Settings, paths: list[str]) -> None:
    sys.stdout.write(render_settings(settings, paths))


def _show_files(paths: list[str], args: argparse.Namespace, settings: Settings) -> int:
    discovered = discover(paths, settings.root, settings.exclude, force_exclude=args.force_exclude)
    for path in sorted(discovered.files + [p.path for p in discovered.unreadable]):
        sys.stdout.write(f"{path}\n")
    for skipped in discovered.skipped:
        sys.stderr.write(f"regcheck: warning: {skipped}\n")
    for problem in discovered.problems:
        sys.stderr.write(f"regcheck: error: {problem}\n")
    return EXIT_ERROR if discovered.problems else EXIT_OK


def _check_stdin(args: argparse.Namespace, settings: Settings, state: RunState, fixing: bool) -> None:
    path = args.stdin_filename or "<stdin>"
    data = sys.stdin.buffer.read()
    if args.force_exclude and args.stdin_filename:
        if is_excluded(path, settings.root, settings.exclude):
            if args.fix:
                sys.stdout.buffer.write(data)  # an excluded file passes through unchanged
                sys.stdout.flush()
                state.stdin_fixed = True
            return
    state.files = 1
    codes = settings.codes_for(path)
    try:
        source = decode_source(path, data)
    except SourceError as exc:
        if "RC001" in codes:
            state.findings.append(unreadable_finding(exc.problem))
        return
    unit = SourceUnit(source, stdin=True)
    _take(unit, lint_unit(unit, codes, keras=settings.keras_version), args, settings, state, fixing)


def _check_files(paths: list[str], args: argparse.Namespace, settings: Settings, state: RunState, fixing: bool) -> None:
    discovered = discover(paths, settings.root, settings.exclude, force_exclude=args.force_exclude)
    state.problems.extend(str(p) for p in discovered.problems)
    state.warnings.extend(str(p) for p in discovered.skipped)
    state.files = len(discovered.files) + len(discovered.unreadable)
    for problem in discovered.unreadable:
        if "RC001" in settings.codes_for(problem.path):
            state.findings.append(unreadable_finding(problem))
    project: list[ProjectIndex] = []  # for re-linting fixed files; built when the first fix comes

    def index() -> ProjectIndex:
        if not project:
            project.append(ProjectIndex(discovered.files, settings.root))
            project[0].keras_target = settings.keras_version
        return project[0]

    # Off under -q and in the formats a machine reads (json, github, sarif ...): those runs are CI's.
    progress = _Progress(discovered.files, enabled=not args.quiet and args.output_format in ("full", "concise"))
    reports = lint_files(discovered.files, settings, use_cache=not args.no_cache, jobs=args.jobs)
    try:
        for report in reports:
            progress.step()
            if args.add_noqa:
                _add_noqa(report, state)
                continue
            unit = SourceUnit(report.source) if report.source is not None else None
            _take(unit, report, args, settings, state, fixing, index)
    finally:
        progress.close()
        reports.close()  # on Ctrl-C or an error too: the pool's workers stop now


def _take(
    unit: SourceUnit | None,
    report: FileReport,
    args: argparse.Namespace,
    settings: Settings,
    state: RunState,
    fixing: bool,
    index: Callable[[], ProjectIndex] | None = None,
) -> None:
    """One unit's report into the run: fixed first when fixing (stdin always, so its source is
    handed on; a file when something in it is fixable)."""
    state.checked += int(report.parsed)
    state.problems.extend(str(p) for p in report.problems)
    state.internal_error = state.internal_error or report.internal_error
    findings = report.findings
    text = unit.source.text if unit is not None else None
    if fixing and unit is not None and (unit.stdin or any(f.fix for f in findings)):
        project = index() if index is not None and unit.uses_project else None
        outcome = fix_unit(
            unit, report, settings.codes_for(unit.path), args.unsafe_fixes, args.diff, project, settings.keras_version
        )
        if args.diff:
            state.would_fix += outcome.applied
        else:
            state.fixed += outcome.applied
        state.diffs.extend(outcome.diffs)
        state.problems.extend(outcome.problems)
        state.internal_error = state.internal_error or outcome.internal_error
        if outcome.written:
            state.stdin_fixed = state.stdin_fixed or unit.stdin
            _count_fixes(state, unit.path, findings, outcome.findings)
            text = outcome.text if outcome.text is not None else text
        findings = outcome.findings
    if unit is not None and text is not None and (findings or unit.stdin):
        state.lines.update(_frame_lines(unit, text))
    state.findings.extend(findings)


def _frame_lines(unit: SourceUnit, text: str) -> dict[tuple[str, int | None], list[str]]:
    """The lines code frames show for a unit's findings, from its text as it now is: a module's lines,
    or each code cell's lines (cells numbered as findings number them)."""
    if unit.kind == "module":
        return {(unit.path, None): text.splitlines(keepends=True)}
    try:
        _notebook, cells = load_notebook(text)
    except NotebookError:
        return {}
    return {(unit.path, cell.number): cell.source.splitlines(keepends=True) for cell in cells}


def _count_fixes(state: RunState, path: str, before: list[Finding], after: list[Finding]) -> None:
    """What the fixes removed, per code (for --show-fixes)."""
    from collections import Counter

    gone = Counter(f.code for f in before if f.fix is not None) - Counter(f.code for f in after)
    if gone:
        state.fixes_by_file[path] = dict(sorted(gone.items()))


def _add_noqa(report: FileReport, state: RunState) -> None:
    """--add-noqa: a `# noqa: CODE` on each line with a finding, in a module or a notebook's cells (atomic
    write). What a comment cannot suppress (RC000, RC001) is still reported."""
    state.checked += int(report.parsed)
    state.findings.extend(f for f in report.findings if f.code in ("RC000", "RC001"))
    if report.source is None or not report.findings:
        return
    text, added = with_noqa(SourceUnit(report.source), report.findings)
    if not added:
        return
    try:
        write_source_atomic(report.source, text)
    except OSError as exc:
        state.problems.append(f"{report.path}: cannot write noqa comments: {exc.strerror or exc}")
        return
    state.noqa_added += added


class _Progress:
    """`regcheck: 120/904 files, checking src/model.py` on stderr, for long runs on a terminal only
    (never in CI or piped). Reports come in the order of the files, so the file being waited for is the
    one after those done: a ticker names it while it takes long (one file can take seconds)."""

    TICK = 0.25  # seconds between two updates of the line

    def __init__(self, files: list[str], enabled: bool) -> None:
        import os
        import threading
        import time

        self.files, self.total, self.done = files, len(files), 0
        self.start = self.last = time.monotonic()
        self.after = float(os.environ.get("REGCHECK_PROGRESS_AFTER", "2.0"))  # seconds before it appears
        self.enabled = enabled and self.total > 0 and sys.stderr.isatty() and not os.environ.get("CI")
        self.shown = False
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None
        if self.enabled:
            self.ticker = threading.Thread(target=self._tick, name="regcheck-progress", daemon=True)
            self.ticker.start()

    def _tick(self) -> None:
        if self.stopped.wait(self.after):
            return
        while not self.stopped.is_set():
            with self.lock:
                if self.done < self.total and not self.stopped.is_set():
                    self._write(f"regcheck: {self.done}/{self.total} files, checking {self.files[self.done]}")
            self.stopped.wait(self.TICK)

    def _write(self, line: str) -> None:
        sys.stderr.write(f"\r{line}\033[K")
        sys.stderr.flush()
        self.shown = True

    def step(self) -> None:
        if not self.enabled:
            return
        import time

        with self.lock:
            self.done += 1
            now = time.monotonic()
            if now - self.start >= self.after and (now - self.last >= 0.1 or self.done == self.total):
                self.last = now
                self._write(f"regcheck: {self.done}/{self.total} files")

    def close(self) -> None:
        """Stop the ticker and clear the line (the report comes next)."""
        if not self.enabled:
            return
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join()
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _unsafe_only(findings: list[Finding]) -> int:
    return sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)


def _would_fix(fixes: int, unsafe: int) -> str:
    """--diff's summary, ruff's words: how many fixes the diff shows, and how many more --unsafe-fixes would add."""
    available = f"fix{'es' if unsafe != 1 else ''} available with `--unsafe-fixes`"
    if not fixes:
        return f"No findings would be fixed ({unsafe} {available}).\n" if unsafe else "No findings would be fixed.\n"
    would = f"Would fix {fixes} finding{'s' if fixes != 1 else ''}"
    return f"{would} ({unsafe} more {available}).\n" if unsafe else f"{would}.\n"


def _merge_graph(args: argparse.Namespace, state: RunState, settings: Settings) -> None:

    if tensorflow_missing():
        state.problems.append(f"--graph needs TensorFlow, which is not installed: {TENSORFLOW_EXTRA}")
        return
    try:
        from regcheck.graph.merge import merge_findings
        from regcheck.graph.trace import TraceOptions, run_entry
    except ImportError as exc:
        state.problems.append(f"--graph: the graph path is not available ({exc})")
        return
    import importlib.util

    # The graph runs under the Keras the static verdicts assume, where tf-keras is there to run it.
    legacy = settings.keras_version == "2" and importlib.util.find_spec("tf_keras") is not None
    options = TraceOptions(timeout=args.graph_timeout, keras="2" if legacy else None)
    result = run_entry(args.graph, getattr(args, "graph_args", []), args.graph_timeout, options=options)
    builder = next(
        (b for b in result.builders if any(w in b.lower() for w in ("build", "model", "create", "make"))), None
    )
    if result.error and builder:  # a script that needs data it cannot have: its builder can be audited without
        sys.stderr.write(f"regcheck: note: --graph: {args.graph} was not traced; auditing {args.graph}:{builder}\n")
        result = run_entry(f"{args.graph}:{builder}", [], args.graph_timeout, options=options)
    result.findings = [f for f in result.findings if f.code in settings.codes_for(f.path)]
    if result.error:
        state.problems.append(f"{args.graph}: {result.error}")
        return
    kept, dropped = merge_findings(state.findings, result)  # the result's coverage lets it refute
    state.findings = list(kept)
    state.refuted = [
        {"code": f.code, "path": f.path, "line": f.line, "column": f.column, "symbol": f.symbol, "reason": reason}
        for f, reason in dropped
    ]


def _finish(args: argparse.Namespace, settings: Settings, state: RunState) -> int:
    findings = sorted(state.findings, key=Finding.sort_key)
    summary: dict[str, object] = {
        "files": state.files,
        "checked": state.checked,
        "skipped": state.files - state.checked,
        "findings": len(findings),
        "fixable": sum(1 for f in findings if f.fix is not None),
    }
    if state.fixed:
        summary["fixed"] = state.fixed
    if state.refuted:
        summary["refuted"] = state.refuted
    if state.problems:
        summary["errors"] = list(state.problems)
    if state.warnings:
        summary["warnings"] = list(state.warnings)
    if not args.quiet:
        for warning in state.warnings:
            sys.stderr.write(f"regcheck: warning: {warning}\n")
    for problem in state.problems:
        sys.stderr.write(f"regcheck: error: {problem}\n")
    text_format = args.output_format in ("full", "concise")
    if text_format and not args.quiet:
        for item in state.refuted:
            sys.stderr.write(
                f"regcheck: note: {item['path']}:{item['line']}:{item['column']}: {item['code']} dropped, {item['reason']}\n"
            )
    # stdin --fix wrote the fixed source to stdout: the report must not be mixed into it.
    default = sys.stderr if state.stdin_fixed else sys.stdout

    def write(stream: TextIO) -> None:
        for diff in state.diffs:
            stream.write(diff)
        if args.diff and not args.quiet:  # on stderr, as ruff does: stdout stays a patch `git apply` takes
            sys.stderr.write(_would_fix(state.would_fix, 0 if args.unsafe_fixes else _unsafe_only(findings)))
        if args.add_noqa:
            if findings:  # what a comment cannot suppress (RC000, RC001): said, as it decides the exit code
                write_report(
                    findings,
                    args.output_format if text_format else "concise",
                    stream,
                    summary=summary,
                    quiet=True,
                    lines=lambda f: None,
                )
            if not args.quiet:
                stream.write(f"Added {state.noqa_added} noqa directive{'s' if state.noqa_added != 1 else ''}.\n")
        elif args.fix_only:
            if state.fixed and not args.quiet and not args.show_fixes:
                stream.write(f"Fixed {state.fixed} finding{'s' if state.fixed != 1 else ''}.\n")
        elif args.statistics:
            write_statistics(findings, stream, args.output_format)
        elif not (args.diff and text_format):
            write_report(
                findings,
                args.output_format,
                stream,
                summary=summary,
                lines=lambda finding: state.lines.get((finding.path, finding.cell)),
                errors=state.problems,
                warnings=state.warnings,
                quiet=args.quiet,
            )
            if not findings and not state.problems and not args.quiet and text_format and not state.fixed:
                stream.write("All checks passed!\n")
        if args.show_fixes and text_format and not args.diff:
            write_show_fixes(state.fixes_by_file, stream)

    if not write_report_to(args, default, write):
        return EXIT_ERROR
    if state.problems:
        return EXIT_ERROR
    if args.exit_zero:  # wins over --diff and --fix, as in ruff
        return EXIT_OK
    if args.exit_non_zero_on_fix and (state.fixed or state.fixes_by_file):
        return EXIT_FINDINGS
    if args.fix_only or (args.add_noqa and not any(f.code in ("RC000", "RC001") for f in findings)):
        return EXIT_OK
    if args.diff and state.diffs:
        return EXIT_FINDINGS
    return fails(args, settings, findings)
