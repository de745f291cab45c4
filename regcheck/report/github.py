"""``--output-format github``: workflow commands that GitHub Actions shows as annotations."""

from __future__ import annotations

from typing import TextIO

from regcheck.findings import Finding, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(findings: list[Finding], stream: TextIO) -> None:
    for f in findings:
        where = f"cell {f.cell}: " if f.cell is not None else ""
        properties = ",".join(
            [
                f"file={_escape_property(f.path)}",
                f"line={f.line}",
                f"col={f.column}",
                f"endLine={f.end_line}",
                f"endColumn={f.end_column}",
                f"title={_escape_property(f'{f.code} ({f.name})')}",
            ]
        )
        stream.write(f"::{_LEVEL[f.severity]} {properties}::{_escape_data(f'{where}{f.code} {f.message}')}\n")
