"""Command line: `regcheck [check] [PATH...]`, `regcheck rule CODE`, `regcheck trace ...`.

Exit codes: 0 nothing at or above fail-on; 1 findings remain; 2 usage, config or
internal error (reported, after every other file was checked). A file that cannot
be read is a finding (RC001), not an exit 2.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TextIO

from regcheck import __version__
from regcheck.findings import Finding

if TYPE_CHECKING:
    from regcheck.config import Settings
    from regcheck.engine import FileReport
    from regcheck.project import ProjectIndex

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("check", "rule", "trace", "clean")


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regcheck",
        description="Find and fix regularization mistakes in TensorFlow and Keras code.",
        epilog=(
            "Other commands: `regcheck rule [CODE|--all]`, `regcheck trace SCRIPT|module:fn`, `regcheck clean`. "
            "Exit codes: 0 no finding at or above --fail-on (or --exit-zero); 1 findings remain, including "
            "RC001 (a file that cannot be read) and RC000 (a syntax error); 2 usage, configuration or internal error."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories to check (default: .); - reads stdin")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (with --fix or --diff)")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a diff instead of writing them")
    parser.add_argument("--select", type=_csv, help="rules to enable (codes, prefixes, names, ALL)")
    parser.add_argument("--extend-select", type=_csv, default=[], help="rules to enable on top of the selection")
    parser.add_argument("--ignore", type=_csv, default=[], help="rules to disable")
    parser.add_argument("--exclude", type=_csv, help="gitignore-style patterns to skip (replaces the configured ones)")
    parser.add_argument("--extend-exclude", type=_csv, default=[], help="patterns to skip on top of the configured ones")
    parser.add_argument("--fail-on", choices=("info", "warning", "error"), help="lowest severity that fails the run")
    parser.add_argument(
        "--keras", choices=("auto", "3", "2"), help="the Keras the code runs on (default: auto, from the declared dependencies)"
    )
    parser.add_argument(
        "--output-format", choices=("full", "concise", "json", "github", "sarif"), default="full", help="report format"
    )
    parser.add_argument("-o", "--output-file", help="write the report to a file")
    parser.add_argument("--statistics", action="store_true", help="count findings per rule")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--config", type=Path, help="use this regcheck.toml / pyproject.toml")
    parser.add_argument("--stdin-filename", help="the path to report for source read from stdin")
    parser.add_argument("--graph", metavar="ENTRY", help="also trace ENTRY and merge graph findings (needs TensorFlow)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: one per core)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    parser.add_argument("--version", action="version", version=f"regcheck {__version__}")
    return parser


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "rule":
            return _rule_command(args[1:])
        if args and args[0] == "trace":
            from regcheck.graph.cli import main as trace_main

            return trace_main(args[1:])
        if args and args[0] == "clean":
            return _clean_command(args[1:])
        if args and args[0] == "server":
            from regcheck.lsp import serve

            return serve(args[1:])
        if args and args[0] == "check":
            args = args[1:]
        return run_check(_check_parser().parse_args(args))
    except KeyboardInterrupt:
        sys.stderr.write("regcheck: interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # a bug of ours: one line for the user, never a traceback
        sys.stderr.write(f"regcheck: internal error: {type(exc).__name__}: {exc}\n")
        return EXIT_ERROR


def _rule_command(argv: list[str]) -> int:
    from regcheck.catalog import RULES
    from regcheck.rule_docs import rule_doc

    parser = argparse.ArgumentParser(prog="regcheck rule", description="Print a rule's documentation.")
    parser.add_argument("code", nargs="?", help="a rule code (RC101) or name (unregularized-weight)")
    parser.add_argument("--all", action="store_true", help="print every rule")
    args = parser.parse_args(argv)
    if args.all:
        for code in RULES:
            info = RULES[code]
            sys.stdout.write(rule_doc(code) or f"# {code} {info.name}\n\n{info.summary}\n")
            sys.stdout.write("\n")
        return EXIT_OK
    if not args.code:
        parser.error("give a rule code or --all")
    from regcheck.catalog import BY_NAME

    info = RULES.get(args.code.upper()) or BY_NAME.get(args.code)
    if info is None:
        sys.stderr.write(f"regcheck: error: unknown rule {args.code!r}\n")
        return EXIT_ERROR
    sys.stdout.write(rule_doc(info.code) or f"# {info.code} {info.name}\n\n{info.summary}\n")
    return EXIT_OK


def _clean_command(argv: list[str]) -> int:
    import shutil

    from regcheck.config import ConfigError, load_settings

    parser = argparse.ArgumentParser(
        prog="regcheck clean", description="Remove the cache (.regcheck_cache at the settings root and here)."
    )
    parser.add_argument("path", nargs="?", default=".", help="where to look for the settings (default: .)")
    args = parser.parse_args(argv)
    roots = {Path.cwd()}
    try:
        roots.add(load_settings(Path(args.path)).root)
    except ConfigError as exc:
        sys.stderr.write(f"regcheck: error: {exc}\n")
    from regcheck.cache import CACHE_DIR

    for root in sorted(roots):
        cache = root / CACHE_DIR
        if cache.is_dir():
            shutil.rmtree(cache, ignore_errors=True)
            sys.stdout.write(f"removed {cache}\n")
    return EXIT_OK


@dataclass
class RunState:
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: int = 0
    checked: int = 0
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)
    internal_error: bool = False
    # Static findings the graph (--graph) showed to be wrong, with the reason.
    refuted: list[dict] = field(default_factory=list)


def run_check(args: argparse.Namespace) -> int:
    from regcheck.config import ConfigError, Overrides, load_settings

    paths = args.paths or ["."]
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
    try:
        settings = load_settings(start if start.exists() else Path.cwd(), args.config, overrides)
    except ConfigError as exc:
        sys.stderr.write(f"regcheck: error: {exc}\n")
        return EXIT_ERROR
    fixing = args.fix or args.diff
    state = RunState()
    if paths == ["-"]:
        _check_stdin(args, settings, state, fixing)
    else:
        _check_files(paths, args, settings, state, fixing)
    if args.graph:
        _merge_graph(args, state)
    return _finish(args, settings, state)


def _lint_function(
    path: str, codes: frozenset[str], project: "ProjectIndex | None" = None, keras: str | None = None
) -> Callable[[str], list[Finding]]:
    """Re-lint after each fix round, with the same project (and Keras target) so findings stay comparable."""
    from regcheck.engine import lint_text

    return lambda text: lint_text(path, text, codes, project=project, keras=keras).findings


def _check_stdin(args: argparse.Namespace, settings: "Settings", state: RunState, fixing: bool) -> None:
    from regcheck.engine import lint_text
    from regcheck.files import SourceError, decode_source

    path = args.stdin_filename or "<stdin>"
    state.files = 1
    try:
        source = decode_source(path, sys.stdin.buffer.read())
    except SourceError as exc:
        from regcheck.files import unreadable_finding

        if "RC001" in codes:
            state.findings.append(unreadable_finding(exc.problem))
        return
    codes = settings.codes_for(path)
    if path.endswith(".ipynb"):
        from regcheck.notebooks import lint_notebook

        report = lint_notebook(source, codes)
        state.checked += int(report.parsed)
        state.problems.extend(str(p) for p in report.problems)
        if fixing:
            state.problems.append(f"{path}: fixing a notebook read from stdin is not supported; fix the file itself")
        state.findings.extend(report.findings)
        return
    report = lint_text(path, source.text, codes, source.raw, keras=settings.keras_version)
    state.checked += int(report.parsed)
    state.problems.extend(str(p) for p in report.problems)
    findings = report.findings
    if fixing:
        from regcheck.fix import fix_text

        result = fix_text(source.text, _lint_function(path, codes, keras=settings.keras_version), args.unsafe_fixes, findings)
        state.fixed += result.applied
        findings = result.remaining
        if args.diff:
            state.diffs.append(_diff(path, source.text, result.text))
        else:
            sys.stdout.write(result.text)  # ruff's convention: fixed source to stdout
    state.findings.extend(findings)
    state.lines[path] = source.text.splitlines(keepends=True)


def _check_files(paths: list[str], args: argparse.Namespace, settings: "Settings", state: RunState, fixing: bool) -> None:
    from regcheck.engine import lint_files
    from regcheck.files import discover
    from regcheck.project import ProjectIndex

    discovered = discover(paths, settings.root, settings.exclude)
    project: ProjectIndex | None = None  # for re-linting fixed files; built when the first fix comes
    state.problems.extend(str(p) for p in discovered.problems)
    state.files = len(discovered.files) + len(discovered.unreadable)
    for problem in discovered.unreadable:
        if "RC001" in settings.codes_for(problem.path):
            state.findings.append(unreadable_finding(problem))
    for report in lint_files(discovered.files, settings, use_cache=not args.no_cache, jobs=args.jobs):
        state.checked += int(report.parsed)
        state.problems.extend(str(p) for p in report.problems)
        state.internal_error = state.internal_error or report.internal_error
    from regcheck.files import unreadable_finding

        findings = report.findings
        if fixing and report.source is not None and any(f.fix for f in findings) and report.cells is None:
            project = project or ProjectIndex(discovered.files, settings.root)
            findings = _fix_file(report, args, settings, state, project)
        elif fixing and report.cells is not None and any(f.fix for f in findings):
            from regcheck.notebooks import fix_notebook

            findings = fix_notebook(report, args, settings, state)
        if findings and report.source is not None and report.cells is None:
            state.lines[report.path] = report.source.text.splitlines(keepends=True)
        state.findings.extend(findings)


def _fix_file(
    report: "FileReport", args: argparse.Namespace, settings: "Settings", state: RunState, project: "ProjectIndex | None"
) -> list[Finding]:
    from regcheck.files import write_source_atomic
    from regcheck.fix import fix_text

    source = report.source
    assert source is not None
    lint = _lint_function(report.path, settings.codes_for(report.path), project, keras=settings.keras_version)
    result = fix_text(source.text, lint, args.unsafe_fixes, report.findings)
    if result.text != source.text:
        if args.diff:
            state.diffs.append(_diff(report.path, source.text, result.text))
        else:
            try:
                write_source_atomic(source, result.text)
            except OSError as exc:
                state.problems.append(f"{report.path}: cannot write fixes: {exc.strerror or exc}")
                return report.findings
            state.fixed += result.applied
    if args.diff:
        return report.findings
    return result.remaining


def _diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}")
    )


def _merge_graph(args: argparse.Namespace, state: RunState) -> None:
    try:
        from regcheck.graph import run_entry
        from regcheck.graph.merge import merge_findings
    except ImportError as exc:
        state.problems.append(f"--graph: the graph path is not available ({exc})")
        return
    result = run_entry(args.graph, [], 120.0)
    if result.error:
        state.problems.append(f"{args.graph}: {result.error}")
        return
    kept, dropped = merge_findings(state.findings, result)  # the result's coverage lets it refute
    state.findings = list(kept)
    state.refuted = [
        {"code": f.code, "path": f.path, "line": f.line, "column": f.column, "symbol": f.symbol, "reason": reason}
        for f, reason in dropped
    ]


def _finish(args: argparse.Namespace, settings: "Settings", state: RunState) -> int:
    from regcheck.report import write_report
    from regcheck.report.text import write_statistics

    findings = sorted(state.findings, key=Finding.sort_key)
    summary = {
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
    for problem in state.problems:
        sys.stderr.write(f"regcheck: error: {problem}\n")
    if args.output_format in ("full", "concise") and not args.quiet:
        for item in state.refuted:
            sys.stderr.write(f"regcheck: note: {item['path']}:{item['line']}:{item['column']}: {item['code']} dropped, {item['reason']}\n")
    stream: TextIO
    if state.problems:
        summary["errors"] = list(state.problems)
    handle = None
    if args.output_file:
        try:
            handle = open(args.output_file, "w", encoding="utf-8", newline="\n")
        except OSError as exc:
            sys.stderr.write(f"regcheck: error: cannot write {args.output_file}: {exc.strerror or exc}\n")
            return EXIT_ERROR
        stream = handle
    else:
        stream = sys.stdout
    try:
        for diff in state.diffs:
            stream.write(diff)
        if args.statistics:
            write_statistics(findings, stream)
        elif not (args.diff and args.output_format in ("full", "concise")):
            write_report(findings, args.output_format, stream, summary=summary, lines=state.lines.get, errors=state.problems)
            if not findings and not state.problems and not args.quiet and args.output_format in ("full", "concise") and not state.fixed:
                stream.write("All checks passed!\n")
    finally:
        if handle is not None:
            handle.close()
    if state.problems:
        return EXIT_ERROR
    if args.diff and state.diffs:
        return EXIT_FINDINGS
    failing = [f for f in findings if f.severity >= settings.fail_on]
    return EXIT_FINDINGS if failing else EXIT_OK
    if args.exit_zero:  # wins over --diff and --fix, as in ruff
        return EXIT_OK
