"""``--output-format json``: the versioned object DESIGN.md specifies."""

from __future__ import annotations

import json
from typing import Any, TextIO

from regcheck.findings import Finding

SCHEMA_VERSION = 1


def write_json(findings: list[Finding], stream: TextIO, summary: dict[str, Any]) -> None:
    document = {
        "version": SCHEMA_VERSION,
        "findings": [_with_cells(finding) for finding in findings],
        "summary": summary,
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")


def _with_cells(finding: Finding) -> dict[str, Any]:
    """A notebook finding's edits carry its cell: their lines and columns are the cell's."""
    data = finding.to_json()
    if finding.cell is not None and data.get("fix"):
        for edit in data["fix"]["edits"]:
            edit["cell"] = finding.cell
    return data
