"""`regcheck coverage [PATH...]`: per trained model or graph, what each weight's penalty is.

Thin: the settings and files as ``regcheck check`` finds them, the program model of each file
(regcheck.run.programs), and the view (regcheck.report.coverage), as text or JSON
(``schemas/coverage.schema.json``). Exit codes: 0, or 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from regcheck.cli.options import EXIT_ERROR, EXIT_OK, settings_for, write_report_to
from regcheck.config.settings import Overrides
from regcheck.report.coverage import render_text, tables, to_json
from regcheck.run.programs import Located, programs
from regcheck.run.project import ProjectIndex
from regcheck.sources.discover import discover


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regcheck coverage",
        description=(
            "Per trained model or graph: each weight, its role, the penalty and coefficient that reach it "
            "(or none) with its line, then the optimizer and its weight decay."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    parser.add_argument("--output-format", choices=("text", "json"), default="text", help="text (default) or json")
    parser.add_argument("-o", "--output-file", help="write the view to a file")
    parser.add_argument("--keras", choices=("auto", "3", "2"), help="the Keras the code runs on (default: auto)")
    parser.add_argument("--exclude", type=lambda text: [p for p in text.split(",") if p], action="extend")
    parser.add_argument("--config", type=Path, help="use this regcheck.toml / pyproject.toml")
    parser.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the tables only")
    parser.set_defaults(color="auto")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    paths = args.paths or ["."]
    settings = settings_for(args, Path(paths[0]), Overrides(exclude=args.exclude, keras=args.keras))
    if isinstance(settings, str):
        sys.stderr.write(f"regcheck: error: {settings}\n")
        return EXIT_ERROR
    found = discover(paths, settings.root, settings.exclude)
    for problem in found.problems:
        sys.stderr.write(f"regcheck: error: {problem}\n")
    if found.problems:
        return EXIT_ERROR
    if not args.quiet:
        for skipped in found.skipped:
            sys.stderr.write(f"regcheck: warning: {skipped}\n")
    project = ProjectIndex(found.files, settings.root)
    project.keras_target = settings.keras_version
    located = Located()
    view = tables(programs(found.files, project, settings.keras_version, located), located)

    def write(stream):  # type: ignore[no-untyped-def]
        if args.output_format == "json":
            json.dump(to_json(view, len(found.files)), stream, indent=2)
            stream.write("\n")
        else:
            stream.write(render_text(view))

    return EXIT_OK if write_report_to(args, sys.stdout, write) else EXIT_ERROR
