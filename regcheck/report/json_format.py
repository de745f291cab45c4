"""``--output-format json``: the versioned object DESIGN.md specifies."""

from __future__ import annotations

import json
from typing import Any, TextIO

from regcheck.findings import Finding

SCHEMA_VERSION = 1


def write_json(findings: list[Finding], stream: TextIO, summary: dict[str, Any]) -> None:
    document = {
        "version": SCHEMA_VERSION,
        "findings": [finding.to_json() for finding in findings],
        "summary": summary,
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
