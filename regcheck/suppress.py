"""Suppression comments: ``# noqa``, ``# noqa: RC101``, ``# regcheck: ignore[RC101]``, ``# regcheck: noqa``."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Iterable

from regcheck.findings import Finding

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_,\s-]+))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*regcheck:\s*ignore\[(?P<codes>[^\]]*)\]", re.IGNORECASE)
_FILE = re.compile(r"^#\s*regcheck:\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_,\s-]+))?\s*$", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+")

ALL = frozenset({"*"})


@dataclass
class Suppressions:
    by_line: dict[int, frozenset[str]] = field(default_factory=dict)
    file_codes: frozenset[str] = frozenset()

    def suppresses(self, finding: Finding) -> bool:
        if _matches(self.file_codes, finding.code):
            return True
        for line in range(finding.line, finding.end_line + 1):
            codes = self.by_line.get(line)
            if codes is not None and _matches(codes, finding.code):
                return True
        return False

    def filter(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if not self.suppresses(f)]


def _matches(codes: frozenset[str], code: str) -> bool:
    return "*" in codes or code in codes


def _codes(text: str | None) -> frozenset[str]:
    if not text:
        return ALL
    codes = frozenset(_CODE.findall(text.upper()))
    return codes or ALL


def _comments(source: str) -> Iterable[tuple[int, str]]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Unparsable files still honour comments; a plain scan is good enough for them.
        for number, line in enumerate(source.splitlines(), start=1):
            index = line.find("#")
            if index >= 0:
                yield number, line[index:]


def parse_suppressions(source: str) -> Suppressions:
    result = Suppressions()
    if "#" not in source:
        return result
    file_codes: set[str] = set()
    for line, comment in _comments(source):
        file_match = _FILE.match(comment)
        if file_match:
            file_codes |= _codes(file_match.group("codes"))
            continue
        codes: set[str] = set()
        for match in _NOQA.finditer(comment):
            codes |= _codes(match.group("codes"))
        for match in _IGNORE.finditer(comment):
            codes |= _codes(match.group("codes"))
        if codes:
            result.by_line[line] = result.by_line.get(line, frozenset()) | frozenset(codes)
    result.file_codes = frozenset(file_codes)
    return result
