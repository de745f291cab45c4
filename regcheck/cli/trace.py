"""`regcheck trace`: run an entry point up to its training steps (or build its model) and report.

``main(argv)`` gets the arguments after the word ``trace``. It takes the report options
of ``regcheck check`` (regcheck.cli.options: ``--output-format``, ``-o/--output-file``,
``--fail-on``, ``--exit-zero``, ``--config``, ``--isolated``, ``-q``, ``--color``), prints
with the same reporters and fails on the same ``fail-on`` setting. Exit codes: 0 no
finding at or above fail-on, 1 findings, 2 usage or configuration error, or the user's
code could not be traced (it failed, timed out or never trained).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import NoReturn, TextIO

from regcheck.cli.options import EXIT_ERROR, add_report_options, fails, settings_for, write_report_to
from regcheck.config.settings import Overrides
from regcheck.findings import Finding
from regcheck.graph import TENSORFLOW_EXTRA, tensorflow_missing
from regcheck.graph.coverage import render_table
from regcheck.graph.trace import GraphResult, TraceOptions, run_entry
from regcheck.report import write_report


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2 with one line, as `regcheck check` does
        self.print_usage(sys.stderr)
        if message.startswith("unrecognized arguments"):
            message += " (arguments for the script go after `--`: regcheck trace train.py -- --epochs 1)"
        print(f"regcheck trace: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="regcheck trace",
        description="Run a training script up to its training steps (or call a function that builds a model) "
        "and report what each minimized loss really penalizes.",
        epilog="Arguments after `--` go to the script. A function entry (module:function or file.py:function) "
        "is called without arguments; a model it returns is audited without data or training.",
        allow_abbrev=False,  # `--out` is the script's flag, not an abbreviation of --output-file
    )
    parser.add_argument("entry", help="script.py, package.module:function or file.py:function")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds the script may run before giving up (default 120; TensorFlow's start-up not counted)",
    )
    parser.add_argument("--coverage", action="store_true", help="print the per-variable coverage table")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="run in the current directory (default: a scratch directory that links to its files, so what the "
        "script writes is thrown away)",
    )
    parser.add_argument("--gpu", action="store_true", help="let the script see the GPUs (hidden by default)")
    add_report_options(parser)
    parser.add_argument("--output", dest="output_file", help=argparse.SUPPRESS)  # the name before -o/--output-file
    return parser


def refusal(argv: list[str]) -> str | None:
    """Tracing without TensorFlow, or something it cannot run: one line instead of a traceback."""
    entry = next((a for a in argv if not a.startswith("-")), None)
    if entry is not None and ":" not in entry:
        if entry.endswith(".ipynb"):
            return f"{entry}: regcheck trace runs Python scripts, not notebooks; export it first (jupyter nbconvert --to script)"
        if Path(entry).is_file() and not entry.endswith(".py"):
            return f"{entry}: regcheck trace runs a Python script (.py) or module:function"
    if "-h" in argv or "--help" in argv:
        return None
    if tensorflow_missing():
        return f"regcheck trace needs TensorFlow, which is not installed: {TENSORFLOW_EXTRA}"
    return None


def _summary(findings: list[Finding]) -> dict[str, object]:
    paths = {f.path for f in findings}
    return {
        "files": len(paths),
        "checked": len(paths),
        "skipped": 0,
        "findings": len(findings),
        "fixable": sum(1 for f in findings if f.fixable),
    }


def _json(result: GraphResult, findings: list[Finding], coverage: bool) -> str:
    """The shared JSON report, plus the training steps, the notes and (with --coverage) the coverage rows."""
    buffer = io.StringIO()
    write_report(findings, "json", buffer, summary=_summary(findings))
    document = json.loads(buffer.getvalue())
    document["steps"] = result.steps
    document["notes"] = result.notes
    if coverage:
        document["coverage"] = [dict(row.to_json()) for row in result.coverage]
    return json.dumps(document, indent=2) + "\n"


def _tables(result: GraphResult) -> str:
    """One coverage table, or one per training step when the script took several."""
    if len(result.steps) <= 1:
        return render_table(result.coverage)
    out = []
    for step in result.steps:
        rows = [r for r in result.coverage if r.step == step["step"]]
        where = f" at {step['path']}:{step['line']}" if step.get("path") else ""
        by = f", applied by {step['optimizer']}" if step.get("optimizer") else ""
        out.append(f"step {step['step']}: {step['hook']}{where}{by}\n" + render_table(rows))
    return "\n".join(out)


def report(result: GraphResult, args: argparse.Namespace, stream: TextIO, err: TextIO) -> None:
    findings = sorted(result.findings, key=Finding.sort_key)
    if args.output_format == "json":
        stream.write(_json(result, findings, args.coverage))
        return
    write_report(findings, args.output_format, stream, summary=_summary(findings), quiet=args.quiet, fix_hint=False)
    text_format = args.output_format in ("full", "concise")
    if not findings and text_format and not args.quiet:
        stream.write("All checks passed!\n")
    if args.coverage:
        # Machine formats keep stdout parseable: the table goes to stderr there.
        (stream if text_format or args.output_file else err).write(_tables(result))


def main(argv: list[str]) -> int:
    refused = refusal(argv)
    if refused:
        sys.stderr.write(f"regcheck: error: {refused}\n")
        return EXIT_ERROR
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
        return EXIT_ERROR
    entry = Path(args.entry)
    settings = settings_for(
        args, entry.parent if ":" not in args.entry else Path.cwd(), Overrides(fail_on=args.fail_on)
    )
    if isinstance(settings, str):
        sys.stderr.write(f"regcheck: error: {settings}\n")
        return EXIT_ERROR
    options = TraceOptions(timeout=args.timeout, in_place=args.in_place, gpu=args.gpu)
    result = run_entry(args.entry, script_args, args.timeout, options=options)
    if result.error is not None:
        print(f"regcheck trace: {result.error}", file=sys.stderr)
        return EXIT_ERROR
    if not write_report_to(args, sys.stdout, lambda stream: report(result, args, stream, sys.stderr)):
        return EXIT_ERROR
    if args.output_format != "json":
        for note in result.notes:
            sys.stderr.write(f"regcheck trace: note: {note}\n")
    return fails(args, settings, result.findings)
