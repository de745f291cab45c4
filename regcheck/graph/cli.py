"""`regcheck trace`: run an entry point up to its training steps and report.

``main(argv)`` gets the arguments after the word ``trace``. Exit codes: 0 no
finding at or above warning, 1 findings, 2 usage error or the user's code
could not be traced (it failed, timed out or never trained).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from typing import NoReturn, TextIO

from regcheck.findings import Finding, Severity
from regcheck.graph.coverage import CoverageRow, render_table
from regcheck.graph.trace import GraphResult, TraceOptions, run_entry

_FORMATS = ("full", "concise", "json", "github", "sarif")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2 with one line, as the main CLI does
        self.print_usage(sys.stderr)
        if message.startswith("unrecognized arguments"):
            message += " (arguments for the script go after `--`: regcheck trace train.py -- --epochs 1)"
        print(f"regcheck trace: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="regcheck trace",
        description="Run a training script up to its training steps (or call a function that builds a model) "
        "and report what each minimized loss really penalizes.",
        epilog="Arguments after `--` go to the script. A function entry (module:function or file.py:function) "
        "is called without arguments; a model it returns is audited without data or training.",
        allow_abbrev=False,  # `--out` is the script's flag, not an abbreviation of --output
    )
    parser.add_argument("entry", help="script.py, package.module:function or file.py:function")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds the script may run before giving up (default 120; TensorFlow's start-up not counted)",
    )
    parser.add_argument("--coverage", action="store_true", help="print the per-variable coverage table")
    parser.add_argument("--output-format", choices=_FORMATS, default="full")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="run in the current directory (default: a scratch directory that links to its files, so what the "
        "script writes is thrown away)",
    )
    parser.add_argument("--gpu", action="store_true", help="let the script see the GPUs (hidden by default)")
    return parser


def _summary(findings: list[Finding]) -> dict[str, int]:
    paths = {f.path for f in findings}
    return {
        "files": len(paths),
        "checked": len(paths),
        "skipped": 0,
        "findings": len(findings),
        "fixable": sum(1 for f in findings if f.fixable),
    }


def _lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return None


def write_findings(findings: list[Finding], output_format: str, stream: TextIO) -> None:
    from regcheck.report import write_report

    write_report(findings, output_format, stream, summary=_summary(findings), lines=_lines, fix_hint=False)


def _json(result: GraphResult, coverage: bool) -> str:
    """The shared JSON report, plus the steps, the notes and (with --coverage) the coverage rows."""
    buffer = io.StringIO()
    write_findings(result.findings, "json", buffer)
    document = json.loads(buffer.getvalue())
    document["steps"] = result.steps
    document["notes"] = result.notes
    if coverage:
        document["coverage"] = [dict(row.to_json()) for row in result.coverage]
    return json.dumps(document, indent=2) + "\n"


def _tables(result: GraphResult) -> str:
    if len(result.steps) <= 1:
        return render_table(result.coverage)
    out = []
    for step in result.steps:
        rows = [r for r in result.coverage if r.step == step["step"]]
        where = f" at {step['path']}:{step['line']}" if step.get("path") else ""
        by = f", applied by {step['optimizer']}" if step.get("optimizer") else ""
        out.append(f"step {step['step']}: {step['hook']}{where}{by}\n" + render_table(rows))
    return "\n".join(out)


def report(result: GraphResult, args: argparse.Namespace, stream: TextIO, err: TextIO) -> int:
    if args.output_format == "json":
        stream.write(_json(result, args.coverage))
    else:
        write_findings(result.findings, args.output_format, stream)
        machine = args.output_format in ("sarif", "github")
        if not result.findings and not machine:
            stream.write("All checks passed!\n")
        if args.coverage:
            # SARIF and GitHub keep stdout parseable: the table goes to stderr there.
            (err if machine else stream).write(_tables(result))
    if args.output_format != "json":
        for note in result.notes:
            err.write(f"regcheck trace: note: {note}\n")
    failing = any(f.severity >= Severity.WARNING for f in result.findings)
    return 1 if failing and not args.exit_zero else 0


def main(argv: list[str]) -> int:
    if "--" in argv:
        cut = argv.index("--")
        own, script_args = argv[:cut], argv[cut + 1 :]
    else:
        own, script_args = argv, []
    try:
        args = build_parser().parse_args(own)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.timeout <= 0:
        print("regcheck trace: error: --timeout must be positive", file=sys.stderr)
        return 2
    options = TraceOptions(timeout=args.timeout, in_place=args.in_place, gpu=args.gpu)
    result = run_entry(args.entry, script_args, args.timeout, options=options)
    if result.error is not None:
        print(f"regcheck trace: {result.error}", file=sys.stderr)
        return 2
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                return report(result, args, handle, sys.stderr)
        except OSError as exc:
            print(f"regcheck trace: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    return report(result, args, sys.stdout, sys.stderr)


__all__ = ["CoverageRow", "build_parser", "main", "report", "write_findings"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
