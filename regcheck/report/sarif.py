"""``--output-format sarif``: SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from regcheck.__about__ import __version__
from regcheck.config.catalog import RULES
from regcheck.findings import Finding, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HELP_URI = "https://github.com/regcheck/regcheck/blob/main/rules/{code}.md"


def _uri(path: str) -> str:
    """Repository-relative URI when the file is under the working directory, else a ``file:`` URI;
    percent-encoded either way (RFC 3986: a space, a colon or a newline in a name is not a URI character)."""
    # The folders are resolved, not the entry: a broken symlink is reported under its own name.
    absolute = Path(os.path.abspath(path))
    candidate = absolute.parent.resolve() / absolute.name
    try:
        return quote(candidate.relative_to(Path(os.getcwd()).resolve()).as_posix(), safe="/")
    except ValueError:
        return candidate.as_uri()


def _rule_descriptor(code: str) -> dict[str, Any]:
    from regcheck.report.rule_docs import rule_doc

    info = RULES[code]
    doc = rule_doc(code)
    return {
        "id": code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.summary},
        "help": {"text": doc or info.summary, "markdown": doc or info.summary},
        "helpUri": HELP_URI.format(code=code),
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": {"tags": [info.name]},
    }


def _result(
    finding: Finding, rule_index: dict[str, int], notebook_line: Callable[[Finding], int | None] | None = None
) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
    }
    message = finding.message
    if finding.cell is not None:  # the .ipynb file's line that stores the code line; the cell is named
        stored = notebook_line(finding) if notebook_line is not None else None
        region = {"startLine": stored or 1, "endLine": stored or 1}
        message = f"cell {finding.cell}, line {finding.line}: {message}"
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index[finding.code],
        "level": _LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(finding.path)}, "region": region}}],
        "properties": {"source": finding.source},
    }
    if finding.cell is not None:
        result["properties"]["cell"] = finding.cell
        result["properties"]["cellLine"] = finding.line
        result["properties"]["cellColumn"] = finding.column
        result["locations"][0]["logicalLocations"] = [
            {
                "name": f"cell {finding.cell}",
                "fullyQualifiedName": f"{finding.path}:cell {finding.cell}",
                "kind": "module",
            }
        ]
    if finding.symbol:
        result["properties"]["symbol"] = finding.symbol
    return result


def _notifications(findings: list[Finding], errors: list[str], warnings: list[str]) -> list[dict[str, Any]]:
    """What kept regcheck from checking something: usage and internal errors, and the files
    it could not read (RC001, also a result), so code scanning lists them as tool errors; and
    the folders it skipped (warnings: the run still succeeded)."""
    notes: list[dict[str, Any]] = []
    for finding in findings:
        if finding.code == "RC001":
            location = _result(finding, {"RC001": 0})["locations"][0]
            notes.append(
                {
                    "level": "error",
                    "message": {"text": f"{finding.path}: {finding.message}"},
                    "descriptor": {"id": "RC001"},
                    "locations": [location],
                }
            )
    for error in errors:
        notes.append({"level": "error", "message": {"text": error}})
    for warning in warnings:
        notes.append({"level": "warning", "message": {"text": warning}})
    return notes


def write_sarif(
    findings: list[Finding],
    stream: TextIO,
    errors: list[str] | None = None,
    notebook_line: Callable[[Finding], int | None] | None = None,
    warnings: list[str] | None = None,
) -> None:
    errors = errors or []
    codes = sorted({f.code for f in findings})
    rule_index = {code: index for index, code in enumerate(codes)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "regcheck",
                        "version": __version__,
                        "informationUri": "https://github.com/regcheck/regcheck",
                        "rules": [_rule_descriptor(code) for code in codes],
                    }
                },
                "invocations": [
                    {
                        # False when regcheck itself failed (exit 2): a usage, configuration or internal error.
                        "executionSuccessful": not errors,
                        "toolExecutionNotifications": _notifications(findings, errors, warnings or []),
                    }
                ],
                "results": [_result(f, rule_index, notebook_line) for f in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
