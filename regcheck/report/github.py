"""``--output-format github``: workflow commands that GitHub Actions shows as annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from regcheck.findings import Finding, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(
    findings: list[Finding], stream: TextIO, notebook_line: Callable[[Finding], int | None] | None = None
) -> None:
    for f in findings:
        where = ""
        line, end_line = f.line, f.end_line
        columns = f.end_line == f.line  # GitHub: omit columns on a range that spans lines
        if f.cell is not None:
            # The annotation goes on the .ipynb file's line that stores this code line; the
            # message names the cell and its line.
            where = f"cell {f.cell}, line {f.line}: "
            stored = notebook_line(f) if notebook_line is not None else None
            line = end_line = stored if stored is not None else 1
            columns = False
        fields = [f"file={_escape_property(f.path)}", f"line={line}"]
        if columns:
            fields.append(f"col={f.column}")
        fields.append(f"endLine={end_line}")
        if columns:
            fields.append(f"endColumn={f.end_column}")
        fields.append(f"title={_escape_property(f'{f.code} ({f.name})')}")
        stream.write(f"::{_LEVEL[f.severity]} {','.join(fields)}::{_escape_data(f'{where}{f.code} {f.message}')}\n")
