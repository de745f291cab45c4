"""Text edits an editor applies: a fixed text as small line edits, and ``# noqa`` comments.

Positions here are 0-based lines and code-point columns within lines split the way
Python and the LSP count them (``\\n``, ``\\r\\n``, ``\\r``); the server converts
columns to the client's position encoding. No LSP library is needed here.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass

from regcheck.findings import Finding
from regcheck.sources.text import LINE_END

# The codes part of a noqa comment listing RC101 and RC102 (as regcheck.lint.suppressions reads it).
_NOQA_CODES = re.compile(r"#\s*noqa(?P<colon>:\s*(?P<codes>[A-Za-z0-9_,\s-]*[A-Za-z0-9_]))?", re.IGNORECASE)


@dataclass(frozen=True)
class TextChange:
    """Replace (line, column)..(end_line, end_column), 0-based and end-exclusive, with ``content``."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


def split_lines(text: str) -> list[str]:
    """Lines with their endings; a final empty string when the text ends with a line ending."""
    return LINE_END.split(text)


def diff_changes(before: str, after: str) -> list[TextChange]:
    """Whole-line replacements that turn ``before`` into ``after`` (few, and never overlapping)."""
    old, new = split_lines(before), split_lines(after)
    changes: list[TextChange] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        end_line, end_column = _line_start(old, i2)
        changes.append(TextChange(i1, 0, end_line, end_column, "".join(new[j1:j2])))
    return changes


def _line_start(lines: list[str], index: int) -> tuple[int, int]:
    """The position where line ``index`` starts; past the last line, the end of the text."""
    if index < len(lines):
        return index, 0
    last = len(lines) - 1
    return last, len(lines[last])


def noqa_change(text: str, finding: Finding) -> TextChange | None:
    """The edit that suppresses ``finding`` with ``# noqa: CODE`` (None if a bare ``# noqa`` already does).

    The comment goes on the first line of the finding where a comment can end the line
    (not inside a multi-line string); an existing ``# noqa: ...`` there gets the code added.
    """
    lines = split_lines(text)
    comment_lines, comments = _comment_places(text)
    target = next((n for n in range(finding.line, finding.end_line + 1) if n in comment_lines), finding.line)
    if target - 1 >= len(lines):
        return None
    raw = lines[target - 1]
    body = raw.rstrip("\r\n")
    comment = comments.get(target)
    if comment is not None:
        start = body.rfind(comment)
        match = _NOQA_CODES.search(comment)
        if match is not None and not match.group("colon"):
            return None  # a bare noqa comment already suppresses every code on the line
        if match is not None and start >= 0:
            if finding.code in re.findall(r"[A-Z]+[0-9]+", match.group("codes").upper()):
                return None
            at = start + match.end("codes")
            return TextChange(target - 1, at, target - 1, at, f", {finding.code}")
    stripped = body.rstrip()
    return TextChange(target - 1, len(stripped), target - 1, len(body), f"  # noqa: {finding.code}")


def _comment_places(text: str) -> tuple[set[int], dict[int, str]]:
    """Lines (1-based) that end outside a string, and the comment on each line that has one."""
    ends: set[int] = set()
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                ends.add(token.start[0])
            elif token.type == tokenize.COMMENT:
                ends.add(token.start[0])
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # A file that does not tokenize: every line may take a comment, as far as we can tell.
        ends = set(range(1, text.count("\n") + 2))
    return ends, comments
