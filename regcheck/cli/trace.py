"""`regcheck trace`: run an entry point up to its first training step and report.

``main(argv)`` gets the arguments after the word ``trace``. Exit codes: 0 no
finding at or above warning, 1 findings, 2 usage error or the user's code
could not be traced (it failed, timed out or never trained).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn, TextIO

from regcheck.findings import Finding, Severity
from regcheck.graph.coverage import render_table
from regcheck.graph.trace import GraphResult, run_entry

_FORMATS = ("full", "concise", "json", "github", "sarif")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2 with one line, as the main CLI does
        self.print_usage(sys.stderr)
        print(f"regcheck trace: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="regcheck trace",
        description="Run a training script up to its first step and report what the minimized loss really penalizes.",
    )
    parser.add_argument("entry", help="script.py or package.module:callable")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before giving up (default 120)")
    parser.add_argument("--coverage", action="store_true", help="print the per-variable coverage table")
    parser.add_argument("--output-format", choices=_FORMATS, default="full")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
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


def write_findings(findings: list[Finding], output_format: str, stream: TextIO) -> None:
    try:
        from regcheck.report import write_report
    except ImportError:  # the shared reporters are not there: minimal json / text output
        pass
    else:
        write_report(findings, output_format, stream, summary=_summary(findings))
        return
    if output_format in ("json", "sarif"):
        json.dump({"version": 1, "findings": [f.to_json() for f in findings], "summary": _summary(findings)}, stream)
        stream.write("\n")
    else:
        for f in findings:
            stream.write(f"{f.path}:{f.line}:{f.column}: {f.code} [{f.name}] {f.message}\n")


def report(result: GraphResult, args: argparse.Namespace, stream: TextIO, err: TextIO) -> int:
    machine = args.output_format in ("json", "sarif", "github")
    write_findings(result.findings, args.output_format, stream)
    if args.coverage:
        # Machine formats keep stdout parseable: the table goes to stderr there.
        (err if machine and not args.output else stream).write(render_table(result.coverage))
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
    result = run_entry(args.entry, script_args, args.timeout)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
