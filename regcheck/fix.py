"""Applying fixes: non-overlapping edits in rounds, needed imports, re-check, never a broken file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from regcheck.findings import Applicability, Edit, Finding, Fix

MAX_ROUNDS = 10
_LINE_END = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for line in _LINE_END.split(text)[:-1]:
        starts.append(starts[-1] + len(line))
    return starts


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    if line - 1 >= len(starts):
        return len(text)
    return min(starts[line - 1] + column - 1, len(text))


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (positions refer to ``text``), converting their newlines."""
    newline = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
    starts = _line_starts(text)
    resolved = sorted(
        ((_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column), e.content) for e in edits),
        reverse=True,
    )
    for start, end, content in resolved:
        if newline != "\n":
            content = content.replace("\r\n", "\n").replace("\n", newline)
        text = text[:start] + content + text[end:]
    return text


def _ranges(fix: Fix) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [((e.line, e.column), (e.end_line, e.end_column)) for e in fix.edits]


def _overlaps(a: Fix, b: Fix) -> bool:
    for start_a, end_a in _ranges(a):
        for start_b, end_b in _ranges(b):
            # Touching insertions at one point also conflict: their order would be arbitrary.
            if start_a <= end_b and start_b <= end_a:
                return True
    return False


def choose_fixes(findings: Iterable[Finding], unsafe: bool) -> list[Fix]:
    """A set of fixes with no overlapping edits, in file order; the rest wait for the next round."""
    chosen: list[Fix] = []
    for finding in sorted(findings, key=Finding.sort_key):
        fix = finding.fix
        if not applicable(fix, unsafe):
            continue
        assert fix is not None
        if fix in chosen or any(_overlaps(fix, other) for other in chosen):
            continue
        chosen.append(fix)
    return chosen


def add_imports(text: str, imports: Iterable[str]) -> str:
    """Add import statements with libcst's AddImportsVisitor (keeps formatting, skips existing ones)."""
    wanted = sorted(set(imports))
    if not wanted:
        return text
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    module = cst.parse_module(text)
    context = CodemodContext()
    for statement in wanted:
        parsed = cst.parse_statement(statement)
        assert isinstance(parsed, cst.SimpleStatementLine)
        node = parsed.body[0]
        if isinstance(node, cst.Import):
            for alias in node.names:
                AddImportsVisitor.add_needed_import(context, alias.evaluated_name, asname=alias.evaluated_alias)
        elif isinstance(node, cst.ImportFrom) and node.module is not None and not isinstance(node.names, cst.ImportStar):
            module_name = cst.helpers.get_full_name_for_node(node.module) or ""
            for alias in node.names:
                AddImportsVisitor.add_needed_import(context, module_name, alias.evaluated_name, asname=alias.evaluated_alias)
    return AddImportsVisitor(context).transform_module(module).code


def parses(text: str) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    try:
        compile(text, "<regcheck-fix>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _apply(text: str, fixes: list[Fix]) -> str | None:
    """The text with ``fixes`` applied, or None when the result would not parse."""
    candidate = apply_edits(text, [edit for fix in fixes for edit in fix.edits])
    if not parses(candidate):
        return None
    imports = [imp for fix in fixes for imp in fix.imports]
    return add_imports(candidate, imports) if imports else candidate


@dataclass
class FixResult:
    text: str
    applied: int = 0
    remaining: list[Finding] = field(default_factory=list)
    reverted: bool = False  # a round produced code that did not parse and was dropped


def fix_text(text: str, lint: Callable[[str], list[Finding]], unsafe: bool, findings: list[Finding] | None = None) -> FixResult:
    """Fix until nothing applicable is left (or MAX_ROUNDS), re-linting after every round."""
    result = FixResult(text)
    current = findings if findings is not None else lint(text)
    broken: list[Fix] = []
    for _ in range(MAX_ROUNDS):
        fixes = [fix for fix in choose_fixes(current, unsafe) if fix not in broken]
        if not fixes:
            break
        candidate = _apply(result.text, fixes)
        if candidate is None:
            # Some fix in this round breaks the file: fall back to the ones that work alone.
            result.reverted = True
            fixes = [fix for fix in fixes if _apply(result.text, [fix]) is not None]
            broken.extend(fix for fix in choose_fixes(current, unsafe) if fix not in fixes)
            candidate = _apply(result.text, fixes[:1]) if fixes else None
            fixes = fixes[:1]
        if candidate is None or candidate == result.text:
            break
        result.text = candidate
        result.applied += len(fixes)
        current = lint(candidate)
    result.remaining = current
    return result
