"""What the commands share: exit codes, the report options and how a report ends.

``regcheck check`` and ``regcheck trace`` take the same report options
(``--output-format``, ``-o/--output-file``, ``--fail-on``, ``--exit-zero``,
``--config``, ``--isolated``, ``-q``, ``--color``), print with the same reporters
(regcheck.report) and fail on the same threshold: the ``fail-on`` setting.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from regcheck.config.settings import ConfigError, Overrides, Settings, load_settings
from regcheck.findings import Finding
from regcheck.report import FORMATS

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: the shell's convention for a run stopped by Ctrl-C


def csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reports findings takes, under the same names."""
    parser.add_argument("--output-format", choices=FORMATS, default="full", help="report format")
    parser.add_argument("-o", "--output-file", help="write the report to a file")
    parser.add_argument("--fail-on", choices=("info", "warning", "error"), help="lowest severity that fails the run")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    parser.add_argument("--config", type=Path, help="use this regcheck.toml / pyproject.toml")
    parser.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colored output (default: auto)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only")


def settings_for(args: argparse.Namespace, start: Path, overrides: Overrides) -> Settings | str:
    """The settings in effect (``[tool.regcheck]`` found from ``start``, then the options), or the
    configuration error to report."""
    if args.color != "auto":
        from regcheck.report import text

        text.COLOR = args.color == "always"
    try:
        settings = load_settings(
            start if start.exists() else Path.cwd(), args.config, overrides, isolated=args.isolated
        )
    except ConfigError as exc:
        return str(exc)
    if not args.quiet:
        for warning in settings.config_warnings:
            sys.stderr.write(f"regcheck: warning: {warning}\n")
    return settings


def write_report_to(args: argparse.Namespace, default: TextIO, write: Callable[[TextIO], None]) -> bool:
    """Write the report to ``-o FILE`` (UTF-8, ``\\n`` line endings), else to ``default``; False (after one
    line on stderr) when the file cannot be opened."""
    if not args.output_file:
        write(default)
        return True
    try:
        handle = open(args.output_file, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed below
    except OSError as exc:
        sys.stderr.write(f"regcheck: error: cannot write {args.output_file}: {exc.strerror or exc}\n")
        return False
    with handle:
        write(handle)
    return True


def fails(args: argparse.Namespace, settings: Settings, findings: list[Finding]) -> int:
    """The exit code for findings that remain: 1 when one is at or above ``fail-on`` (unless ``--exit-zero``)."""
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if any(f.severity >= settings.fail_on for f in findings) else EXIT_OK
