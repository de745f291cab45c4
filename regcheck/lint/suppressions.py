"""Suppression comments: ``# noqa``, ``# noqa: RC101``, ``# regcheck: ignore[RC101]``, ``# regcheck: noqa``."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

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


# --- RC002 unused-noqa ------------------------------------------------------------

# A code-looking token in a directive; tokens without digits are prose ("# noqa: RC101 because ...").
_TOKEN = re.compile(r"[A-Za-z]+[0-9][A-Za-z0-9]*")


@dataclass(frozen=True)
class _Directive:
    line: int
    column: int  # 0-based column of the directive's `#` in the line
    text: str  # the directive as written (a noqa list such as "RC101, E501", or regcheck: ignore[...])
    codes_start: int  # offsets in ``text`` of the first and past the last code token
    codes_end: int
    tokens: tuple[str, ...]
    file_level: bool
    whole_comment: bool  # the directive starts its comment
    after: str  # the comment's text after the directive


def _directives(source: str) -> list[_Directive]:
    found: list[_Directive] = []
    for line, column, comment in _comments_with_columns(source):
        file_match = _FILE.match(comment)
        matches = [file_match] if file_match else [*_NOQA.finditer(comment), *_IGNORE.finditer(comment)]
        for match in matches:
            group = match.group("codes")
            if not group:
                continue
            tokens = list(_TOKEN.finditer(group))
            if not tokens:
                continue
            base = match.start("codes") - match.start()
            text = comment[match.start() : match.start("codes") + tokens[-1].end()]
            if match.re is _IGNORE:
                text = comment[match.start() : match.end()]
            found.append(
                _Directive(
                    line,
                    column + match.start(),
                    text,
                    base + tokens[0].start(),
                    base + tokens[-1].end(),
                    tuple(t.group() for t in tokens),
                    file_match is not None,
                    match.start() == 0,
                    comment[match.start() + len(text) :],
                )
            )
    return found


def _comments_with_columns(source: str) -> Iterable[tuple[int, int, str]]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.start[1], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return


def _used(findings: Iterable[Finding], suppressions: Suppressions) -> tuple[set[tuple[int, str]], set[str]]:
    """(line, code) pairs and file-level codes that suppressed at least one finding."""
    lines: set[tuple[int, str]] = set()
    file_codes: set[str] = set()
    for finding in findings:
        if finding.code in suppressions.file_codes:
            file_codes.add(finding.code)
        for line in range(finding.line, finding.end_line + 1):
            codes = suppressions.by_line.get(line)
            if codes is not None and finding.code in codes:
                lines.add((line, finding.code))
    return lines, file_codes


def unused_noqa(path: str, source: str, findings: list[Finding], codes: frozenset[str]) -> list[Finding]:
    """RC002 for each directive that names an unknown RC code, or a selected one that suppressed
    nothing on its line (``findings``: before suppression). Other tools' codes (E501) are theirs."""
    from regcheck.config.catalog import RULES
    from regcheck.findings import Applicability, Edit, Fix

    if "RC002" not in codes or not _mentions_rc(source):
        return []
    suppressions = parse_suppressions(source)
    used_lines, used_file = _used(findings, suppressions)
    info = RULES["RC002"]
    lines = source.splitlines()
    out: list[Finding] = []
    for directive in _directives(source):
        if "RC002" in (t.upper() for t in directive.tokens):
            continue
        stale: list[str] = []
        reasons: list[str] = []
        for token in directive.tokens:
            code = token.upper()
            if not code.startswith("RC"):
                continue
            if code not in RULES:
                stale.append(token)
                reasons.append(f"`{token}` is not a regcheck code")
            elif code in codes and (
                code not in used_file if directive.file_level else (directive.line, code) not in used_lines
            ):
                stale.append(token)
                reasons.append(
                    f"`{code}` suppresses nothing {'in this file' if directive.file_level else 'on this line'}"
                )
        if not stale:
            continue
        kept = [t for t in directive.tokens if t not in stale]
        line_text = lines[directive.line - 1] if directive.line - 1 < len(lines) else ""
        start, end = directive.column, directive.column + len(directive.text)
        if kept:
            new = directive.text[: directive.codes_start] + ", ".join(kept) + directive.text[directive.codes_end :]
            if directive.text.endswith("]") and not new.endswith("]"):
                new += "]"
            edit = Edit(directive.line, start + 1, directive.line, end + 1, new)
            message = "remove the stale code" + ("s" if len(stale) > 1 else "")
        elif directive.after.strip():
            edit = Edit(directive.line, start + 1, directive.line, end + 1, "#")  # keep the comment's own words
            message = "remove the directive"
        else:
            cut = len(line_text[:start].rstrip())
            edit = Edit(directive.line, cut + 1, directive.line, end + 1, "")
            message = "remove the directive"
        out.append(
            Finding(
                info.code,
                info.name,
                info.severity,
                path,
                directive.line,
                start + 1,
                directive.line,
                end + 1,
                f"unused noqa: {'; '.join(reasons)}",
                fix=Fix(Applicability.SAFE, message, (edit,)),
            )
        )
    return [f for f in out if not suppressions.suppresses(f)]


def _mentions_rc(source: str) -> bool:
    return "RC" in source.upper() and ("noqa" in source.lower() or "regcheck:" in source.lower())


# --- --add-noqa -------------------------------------------------------------------


def add_noqa(source: str, findings: Iterable[Finding]) -> tuple[str, int]:
    """Append `# noqa: CODES` to each line with a finding (merged into an existing `# noqa: ...`).
    A line that ends inside a string, or a finding that cannot be suppressed (RC000, RC001), is left alone.
    Returns the new text and the number of lines changed."""
    by_line: dict[int, set[str]] = {}
    for f in findings:
        if f.code not in ("RC000", "RC001"):
            by_line.setdefault(f.line, set()).add(f.code)
    if not by_line:
        return source, 0
    inside_string = _lines_ending_in_strings(source)
    if inside_string is None:
        return source, 0
    comments = {line: (column, text) for line, column, text in _comments_with_columns(source)}
    lines = source.splitlines(keepends=True)
    changed = 0
    for number, codes in sorted(by_line.items()):
        if number > len(lines) or number in inside_string:
            continue
        line = lines[number - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        comment = comments.get(number)
        if comment is not None:
            column, text = comment
            match = _NOQA.search(text)
            if match is not None and not match.group("codes"):
                continue  # a bare noqa already suppresses everything
            if match is not None:
                present = [t.group() for t in _TOKEN.finditer(match.group("codes"))]
                merged = present + sorted(codes - {p.upper() for p in present})
                if merged == present:
                    continue
                codes_end = match.start("codes") + list(_TOKEN.finditer(match.group("codes")))[-1].end()
                new_text = text[: match.start("codes")] + ", ".join(merged) + text[codes_end:]
                body = body[:column] + new_text + body[column + len(text) :]
            else:
                body = f"{body}  # noqa: {', '.join(sorted(codes))}"
        else:
            body = f"{body.rstrip()}  # noqa: {', '.join(sorted(codes))}" if body.strip() else body
        if body + ending != line:
            lines[number - 1] = body + ending
            changed += 1
    return "".join(lines), changed


def _lines_ending_in_strings(source: str) -> set[int] | None:
    """Lines whose end is inside a (multi-line) string token, where a comment cannot go; None if untokenizable."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return inside
