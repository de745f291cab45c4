"""Reporters: turn findings into text for people (full, concise), machines (json, sarif) and CI (github)."""

from __future__ import annotations

from typing import Callable, TextIO

from regcheck.findings import Finding

FORMATS = ("full", "concise", "json", "github", "sarif")

# Reads a file's lines for code frames; None when the file is not available (stdin, deleted).
LineSource = Callable[[str], "list[str] | None"]


def write_report(
    findings: list[Finding],
    output_format: str,
    stream: TextIO,
    *,
    summary: dict,
    lines: LineSource | None = None,
    fix_hint: bool = True,
    errors: list[str] | None = None,
    quiet: bool = False,
) -> None:
    """Write findings in one of FORMATS. ``summary`` is the JSON summary object; ``errors`` are
    the run's usage and internal errors (one line each), which SARIF records as tool notifications."""
    findings = sorted(findings, key=Finding.sort_key)
    if output_format == "json":
        from regcheck.report.json_format import write_json

        write_json(findings, stream, summary)
    elif output_format == "sarif":
        from regcheck.report.sarif import write_sarif

        write_sarif(findings, stream, errors or [])
    elif output_format == "github":
        from regcheck.report.github import write_github

        write_github(findings, stream)
    elif output_format == "concise":
        from regcheck.report.text import write_concise

        write_concise(findings, stream, summary, fix_hint, quiet)
    elif output_format == "full":
        from regcheck.report.text import write_full

        write_full(findings, stream, summary, lines, fix_hint, quiet)
    else:
        raise ValueError(f"unknown output format {output_format!r}")


def location(finding: Finding) -> str:
    """`path:line:col`, or `path:cell N:line:col` in a notebook."""
    if finding.cell is not None:
        return f"{finding.path}:cell {finding.cell}:{finding.line}:{finding.column}"
    return f"{finding.path}:{finding.line}:{finding.column}"
