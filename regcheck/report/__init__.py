"""Reporters: turn findings into text for people (full, concise), machines (json, sarif) and CI (github)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from regcheck.findings import Finding

FORMATS = ("full", "concise", "json", "github", "sarif")

# The lines a finding's code frame is drawn from (a module's, or a notebook cell's); None: no frame.
LineSource = Callable[[Finding], "list[str] | None"]


def write_report(
    findings: list[Finding],
    output_format: str,
    stream: TextIO,
    *,
    summary: dict[str, Any],
    lines: LineSource | None = None,
    fix_hint: bool = True,
    errors: list[str] | None = None,
    quiet: bool = False,
    warnings: list[str] | None = None,
) -> None:
    """Write findings in one of FORMATS. ``summary`` is the JSON summary object; ``errors`` are
    the run's usage and internal errors (one line each), ``warnings`` what it skipped without failing
    (an unreadable folder, a link loop): SARIF records both as tool notifications."""
    findings = sorted(findings, key=Finding.sort_key)
    if output_format == "json":
        from regcheck.report.json_format import write_json

        write_json(findings, stream, summary)
    elif output_format == "sarif":
        from regcheck.report.sarif import write_sarif

        write_sarif(findings, stream, errors or [], notebook_line, warnings or [])
    elif output_format == "github":
        from regcheck.report.github import write_github

        write_github(findings, stream, notebook_line)
    elif output_format == "concise":
        from regcheck.report.text import write_concise

        write_concise(findings, stream, summary, fix_hint, quiet)
    elif output_format == "full":
        from regcheck.report.text import write_full

        write_full(findings, stream, summary, lines, fix_hint, quiet)
    else:
        raise ValueError(f"unknown output format {output_format!r}")


def notebook_line(finding: Finding) -> int | None:
    """The line of the .ipynb file that stores a notebook finding's code line, so a CI annotation
    lands on it in a pull request's diff; None when it cannot be found."""
    if finding.cell is None:
        return None
    return _notebook_lines(finding.path).get((finding.cell, finding.line))


_NOTEBOOK_LINES: dict[str, dict[tuple[int, int], int]] = {}


def _notebook_lines(path: str) -> dict[tuple[int, int], int]:
    """(cell number among all cells, line in cell) -> line in the file, found by looking for each
    source line's JSON spelling in order (nbformat writes one source line per file line)."""
    if path in _NOTEBOOK_LINES:
        return _NOTEBOOK_LINES[path]
    import json

    found: dict[tuple[int, int], int] = {}
    _NOTEBOOK_LINES[path] = found
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
        data = json.loads(text)
    except (OSError, ValueError):
        return found
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return found
    cursor = 0
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source") if isinstance(cell, dict) else None
        if isinstance(source, str):
            source = [source]  # one JSON string: every code line is on that file line
            single = True
        else:
            single = False
        if not isinstance(source, list):
            continue
        line_in_cell = 1
        for part in source:
            if not isinstance(part, str):
                break
            position = -1
            for ascii_only in (False, True):
                position = text.find(json.dumps(part, ensure_ascii=ascii_only), cursor)
                if position >= 0:
                    break
            if position < 0:
                break
            file_line = text.count("\n", 0, position) + 1
            count = max(part.count("\n") + (0 if part.endswith("\n") else 1), 1) if single else 1
            for offset in range(count):
                found[(number, line_in_cell + offset)] = file_line
            line_in_cell += count
            cursor = position + 1
    return found
