"""Human output: ``concise`` (one line each) and ``full`` (with the code frame), ruff style."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TextIO

from regcheck.findings import Applicability, Finding, Severity

# --color always|never sets this; None: decide from the stream and NO_COLOR / FORCE_COLOR.
COLOR: bool | None = None
_SEVERITY_STYLE = {Severity.ERROR: "1;31", Severity.WARNING: "1;33", Severity.INFO: "1;36"}


def location(finding: Finding) -> str:
    """`path:line:col`, or `path:cell N:line:col` in a notebook."""
    if finding.cell is not None:
        return f"{finding.path}:cell {finding.cell}:{finding.line}:{finding.column}"
    return f"{finding.path}:{finding.line}:{finding.column}"


def _use_color(stream: TextIO) -> bool:
    if COLOR is not None:
        return COLOR
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def _marker(finding: Finding) -> str:
    """ruff's marks: [*] a safe fix (applied by --fix), [-] an unsafe one (--fix --unsafe-fixes)."""
    if finding.fix is None:
        return ""
    return "[*]" if finding.fix.applicability is Applicability.SAFE else "[-]"


def _headline(finding: Finding, style: _Style) -> str:
    """`path:line:col: CODE [*] message (severity)`: the severity is what --fail-on compares."""
    marker = _marker(finding)
    marker = f" {marker}" if marker else ""
    severity = style(f"({finding.severity})", _SEVERITY_STYLE[finding.severity])
    return f"{style(location(finding), '1')}: {style(finding.code, _SEVERITY_STYLE[finding.severity])}{marker} {finding.message} {severity}"


def write_concise(
    findings: list[Finding], stream: TextIO, summary: dict[str, Any], fix_hint: bool, quiet: bool = False
) -> None:
    style = _Style(_use_color(stream))
    for finding in findings:
        stream.write(_headline(finding, style) + "\n")
    if not quiet:
        _footer(findings, stream, summary, fix_hint)


def write_full(
    findings: list[Finding],
    stream: TextIO,
    summary: dict[str, Any],
    lines: Callable[[Finding], list[str] | None] | None,
    fix_hint: bool,
    quiet: bool = False,
) -> None:
    style = _Style(_use_color(stream))
    for finding in findings:
        stream.write(_headline(finding, style) + "\n")
        source = lines(finding) if lines is not None else None
        if source:
            stream.write(_frame(finding, source, style))
        if finding.fix is not None:
            kind = "Safe fix" if finding.fix.applicability is Applicability.SAFE else "Unsafe fix"
            stream.write(f"  {style('help', '1;36')}: {finding.fix.message} ({kind.lower()})\n")
        stream.write("\n")
    if not quiet:
        _footer(findings, stream, summary, fix_hint)


def _frame(finding: Finding, source: list[str], style: _Style) -> str:
    first = max(finding.line - 1, 1)
    last = min(finding.end_line if finding.end_line - finding.line < 4 else finding.line, len(source))
    width = len(str(last + 1))
    out = []
    for number in range(first, min(last + 1, len(source)) + 1):
        text = source[number - 1].rstrip("\r\n").expandtabs(4)
        out.append(f" {str(number).rjust(width)} | {text}\n")
        if number == finding.line:
            start = finding.column - 1
            end = finding.end_column - 1 if finding.end_line == finding.line else len(text)
            carets = "^" * max(end - start, 1)
            out.append(f" {' ' * width} | {' ' * start}{style(carets, '1;31')} {style(finding.code, '1;31')}\n")
    return "".join(out)


def _footer(findings: list[Finding], stream: TextIO, summary: dict[str, Any], fix_hint: bool) -> None:
    """ruff's summary: ``Found 5 findings.``; after fixes ``Found 8 findings (5 fixed, 3 remaining).``, where
    what was found is what was fixed plus what remains."""
    fixed = int(summary.get("fixed") or 0)
    found = len(findings) + fixed
    if not found:
        return
    stream.write(f"Found {found} finding{'s' if found != 1 else ''}")
    if fixed:
        stream.write(f" ({fixed} fixed, {len(findings)} remaining)")
    stream.write(".\n")
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    if fix_hint and safe:
        stream.write(f"[*] {safe} fixable with `regcheck --fix`.\n")
    if fix_hint and unsafe:
        stream.write(f"[-] {unsafe} more fixable with `regcheck --fix --unsafe-fixes`.\n")


def statistics(findings: list[Finding]) -> list[dict[str, Any]]:
    """Per rule: count, severity and how many findings have a safe / an unsafe fix; most frequent first."""
    rows: dict[str, dict[str, Any]] = {}
    for f in findings:
        row = rows.setdefault(
            f.code,
            {
                "code": f.code,
                "name": f.name,
                "severity": str(f.severity),
                "count": 0,
                "fixable": {"safe": 0, "unsafe": 0},
            },
        )
        row["count"] += 1
        if f.fix is not None:
            row["fixable"][str(f.fix.applicability)] += 1
    return sorted(rows.values(), key=lambda row: (-row["count"], row["code"]))


def write_statistics(findings: list[Finding], stream: TextIO, output_format: str = "full") -> None:
    rows = statistics(findings)
    if output_format == "json":
        import json

        json.dump(rows, stream, indent=2)
        stream.write("\n")
        return
    for row in rows:
        safe, unsafe = row["fixable"]["safe"], row["fixable"]["unsafe"]
        marker = "[*]" if safe else "[-]" if unsafe else "   "
        stream.write(f"{row['count']:>5}\t{row['code']}\t{row['severity']:<7}\t{marker} {row['name']}\n")


def write_show_fixes(fixes_by_file: dict[str, dict[str, int]], stream: TextIO) -> None:
    """--show-fixes, ruff style: what the fixes removed, per file and rule."""
    from regcheck.config.catalog import RULES

    total = sum(sum(codes.values()) for codes in fixes_by_file.values())
    if not total:
        stream.write("No findings were fixed.\n")
        return
    stream.write(f"Fixed {total} finding{'s' if total != 1 else ''}:\n")
    for path in sorted(fixes_by_file):
        stream.write(f"- {path}:\n")
        for code, count in fixes_by_file[path].items():
            name = RULES[code].name if code in RULES else code
            stream.write(f"    {count} \N{MULTIPLICATION SIGN} {code} ({name})\n")
