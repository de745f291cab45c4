"""Positions in a source text: lines and their endings, edits applied, whether the text is Python.

Lines and columns are 1-based, as findings count them (``regcheck.findings``); lines end
with ``\n``, ``\r\n`` or ``\r``, as Python's tokenizer and libcst count them.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable

from regcheck.findings import Edit

# Split after \r\n, \r or \n, keeping each line's ending: the way Python's tokenizer and libcst count lines.
LINE_END = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")


def python_syntax_error(text: str) -> tuple[int, int, str] | None:
    """CPython's own (line, column, message) for source that does not parse, else None.

    Its messages ("'(' was never closed", "invalid syntax") and positions are the
    ones users know from running their code, clearer than the parser we lint with.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
        try:
            ast.parse(text)
        except SyntaxError as exc:
            return exc.lineno or 1, exc.offset or 1, exc.msg
        except (RecursionError, MemoryError) as exc:
            return 1, 1, f"too deeply nested for Python's parser ({str(exc) or type(exc).__name__})"
        except ValueError as exc:
            return 1, 1, str(exc) or type(exc).__name__
    return None


# CPython's own limits (nesting depth, indentation levels, recursion): code past them never runs, in any
# Python version, though libcst may parse it (slowly: minutes for a few thousand levels).
_LIMITS = (
    "too many nested parentheses",
    "too many levels of indentation",
    "too many statically nested blocks",
    "too deeply nested",
)


def beyond_limits(message: str) -> bool:
    """Is this CPython syntax error one of its limits, rather than syntax some Python version accepts?"""
    return message.startswith(_LIMITS)


def compiles(text: str, strict: bool = True) -> bool:
    """CPython accepts ``text``: compiles it (``strict``; top-level ``await`` allowed, notebooks run it),
    or only parses it (a file that never compiled is held to parsing alone)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
        try:
            if strict:
                compile(text, "<regcheck-fix>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
            else:
                ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for line in LINE_END.split(text)[:-1]:
        starts.append(starts[-1] + len(line))
    return starts


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    if line - 1 >= len(starts):
        return len(text)
    return min(starts[line - 1] + column - 1, len(text))


def _newline_at(text: str, offset: int) -> str:
    """The line ending of the line holding ``offset`` (mixed files keep each line's own style)."""
    end = text.find("\n", offset)
    cr = text.find("\r", offset)
    if cr != -1 and (end == -1 or cr < end):
        return "\r\n" if text.startswith("\r\n", cr) else "\r"
    if end != -1:
        return "\n"
    # The last line has no ending: use the one before it, or the file's dominant one.
    before = text.rfind("\n", 0, offset)
    if before > 0 and text[before - 1] == "\r":
        return "\r\n"
    if before == -1 and "\r" in text:
        return "\r"
    return "\n"


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (positions refer to ``text``), converting their newlines."""
    starts = _line_starts(text)
    resolved = sorted(
        (
            (_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column), e.content)
            for e in edits
        ),
        reverse=True,
    )
    for start, end, content in resolved:
        newline = _newline_at(text, start)
        if newline != "\n" and "\n" in content:
            content = content.replace("\r\n", "\n").replace("\n", newline)
        text = text[:start] + content + text[end:]
    return text
