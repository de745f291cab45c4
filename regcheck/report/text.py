"""Human output: ``concise`` (one line each) and ``full`` (with the code frame), ruff style."""

from __future__ import annotations

import os
from collections import Counter
from typing import Callable, TextIO

from regcheck.findings import Applicability, Finding


def _use_color(stream: TextIO) -> bool:
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


def _headline(finding: Finding, style: _Style) -> str:
    from regcheck.report import location

    marker = ""
    if finding.fix is not None:
        marker = " [*]" if finding.fix.applicability is Applicability.SAFE else " [-]"
    return f"{style(location(finding), '1')}: {style(finding.code, '1;31')}{marker} {finding.message}"


def write_concise(findings: list[Finding], stream: TextIO, summary: dict, fix_hint: bool) -> None:
    style = _Style(_use_color(stream))
    for finding in findings:
        stream.write(_headline(finding, style) + "\n")
    _footer(findings, stream, summary, fix_hint)


def write_full(
    findings: list[Finding],
    stream: TextIO,
    summary: dict,
    lines: Callable[[str], "list[str] | None"] | None,
    fix_hint: bool,
) -> None:
    style = _Style(_use_color(stream))
    for finding in findings:
        stream.write(_headline(finding, style) + "\n")
        source = lines(finding.path) if lines is not None and finding.cell is None else None
        if source:
            stream.write(_frame(finding, source, style))
        if finding.fix is not None:
            kind = "Safe fix" if finding.fix.applicability is Applicability.SAFE else "Unsafe fix"
            stream.write(f"  {style('help', '1;36')}: {finding.fix.message} ({kind.lower()})\n")
        stream.write("\n")
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


def _footer(findings: list[Finding], stream: TextIO, summary: dict, fix_hint: bool) -> None:
    if not findings:
        if summary.get("fixed"):
            stream.write(f"Fixed {summary['fixed']} finding(s); nothing left.\n")
        return
    stream.write(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}")
    if summary.get("fixed"):
        stream.write(f" ({summary['fixed']} fixed, {len(findings)} remaining)")
    stream.write(".\n")
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    if fix_hint and safe:
        stream.write(f"[*] {safe} fixable with `regcheck --fix`.\n")
    if fix_hint and unsafe:
        stream.write(f"[-] {unsafe} more fixable with `regcheck --fix --unsafe-fixes`.\n")


def write_statistics(findings: list[Finding], stream: TextIO) -> None:
    counts = Counter((f.code, f.name) for f in findings)
    fixable = Counter(f.code for f in findings if f.fix is not None)
    for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if fixable[code] else "   "
        stream.write(f"{count:>5}\t{code}\t{marker} {name}\n")
