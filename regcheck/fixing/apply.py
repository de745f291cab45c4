"""Applying fixes: non-overlapping edits in rounds, needed imports, re-check, never a broken file."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from regcheck.files import LINE_END
from regcheck.findings import Applicability, Edit, Finding, Fix

MAX_ROUNDS = 10
_DIGITS = re.compile(r"\d+")


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


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


def _ranges(fix: Fix) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [((e.line, e.column), (e.end_line, e.end_column)) for e in fix.edits]


def _overlaps(a: Fix, b: Fix) -> bool:
    for start_a, end_a in _ranges(a):
        for start_b, end_b in _ranges(b):
            # Touching insertions at one point also conflict: their order would be arbitrary.
            if start_a <= end_b and start_b <= end_a:
                return True
    return False


def _choose(
    findings: Iterable[Finding], unsafe: bool, skip: Callable[[Fix], bool] = lambda fix: False
) -> list[Finding]:
    """Findings whose fixes do not overlap, in file order; the rest wait for the next round."""
    chosen: list[Finding] = []
    for finding in sorted(findings, key=Finding.sort_key):
        fix = finding.fix
        if not applicable(fix, unsafe) or skip(fix):  # type: ignore[arg-type]
            continue
        assert fix is not None
        if any(fix == other.fix or _overlaps(fix, other.fix) for other in chosen):  # type: ignore[arg-type]
            continue
        chosen.append(finding)
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
        elif (
            isinstance(node, cst.ImportFrom) and node.module is not None and not isinstance(node.names, cst.ImportStar)
        ):
            module_name = cst.helpers.get_full_name_for_node(node.module) or ""
            for alias in node.names:
                AddImportsVisitor.add_needed_import(
                    context, module_name, alias.evaluated_name, asname=alias.evaluated_alias
                )
    return AddImportsVisitor(context).transform_module(module).code


def parses(text: str, strict: bool = True) -> bool:
    """libcst and CPython both accept ``text``; ``strict=False`` skips the compiler's checks.

    The compiler also rejects code that parses (``return`` outside a function,
    bad ``nonlocal``); a file that already had such code is held only to parsing,
    so one odd line does not block every fix in it. Top-level ``await`` is
    accepted: notebooks run it.
    """
    import libcst as cst

    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return _compiles(text, strict)


def only_applicable(text: str, findings: list[Finding]) -> list[Finding]:
    """The findings, each fix kept only when it applies on its own: the edited text still compiles
    (held to parsing alone when the file itself does not compile). A fix that cannot apply is not
    advertised as one. CPython's compiler decides here, ten times cheaper than a libcst parse; the
    fix rounds still check libcst before they write."""
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        return findings
    strict = _compiles(text, strict=True)
    kept: list[Finding] = []
    for finding in findings:
        fix = finding.fix
        if fix is not None and not _compiles(apply_edits(text, fix.edits), strict):
            finding = finding.with_changes(fix=None)
        kept.append(finding)
    return kept


def _compiles(text: str, strict: bool) -> bool:
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


def _apply(text: str, fixes: list[Fix], strict: bool = True) -> str | None:
    """The text with ``fixes`` applied, or None when the result would not parse."""
    candidate = apply_edits(text, [edit for fix in fixes for edit in fix.edits])
    if not parses(candidate, strict):
        return None
    imports = [imp for fix in fixes for imp in fix.imports]
    if not imports:
        return candidate
    try:
        candidate = add_imports(candidate, imports)
    except Exception:  # libcst could not place the import: treat like a fix that breaks the file
        return None
    return candidate if parses(candidate, strict) else None


@dataclass
class FixResult:
    text: str
    applied: int = 0
    remaining: list[Finding] = field(default_factory=list)
    reverted: bool = False  # a round produced code that did not parse (or did not converge) and was dropped


def _fix_key(fix: Fix) -> tuple[object, ...]:
    """Identifies a fix across rounds, where its positions shift."""
    return (fix.applicability, fix.message, tuple(edit.content for edit in fix.edits), fix.imports)


def _finding_key(finding: Finding) -> tuple[object, ...]:
    return (finding.code, finding.symbol, _DIGITS.sub("#", finding.message))


def fix_text(
    text: str, lint: Callable[[str], list[Finding]], unsafe: bool, findings: list[Finding] | None = None
) -> FixResult:
    """Fix until nothing applicable is left (or MAX_ROUNDS), re-linting after every round.

    Every round applies non-overlapping fixes together. A round whose result does
    not parse is dropped: the fixes that break the file alone are set aside until
    the text changes, the others are applied one at a time. A round after which a
    fixed finding is still reported, unchanged and in the same place (a fix that
    does not converge), is dropped and that fix is never tried again. So every text
    this returns parses, and a second run changes nothing.
    """
    result = FixResult(text)
    strict = parses(text)
    current = findings if findings is not None else lint(text)
    broken: set[tuple[object, ...]] = set()  # break the current text; retried once it changes
    stuck: set[tuple[object, ...]] = set()  # never converge: dropped for good
    seen = {text}
    for _ in range(MAX_ROUNDS):
        chosen = _choose(current, unsafe, skip=lambda fix: _fix_key(fix) in broken or _fix_key(fix) in stuck)
        if not chosen:
            break
        fixes = [finding.fix for finding in chosen if finding.fix is not None]
        candidate = _apply(result.text, fixes, strict)
        if candidate is None:
            result.reverted = True
            alone = [fix for fix in fixes if _apply(result.text, [fix], strict) is not None]
            broken.update(_fix_key(fix) for fix in fixes if fix not in alone)
            if not alone:
                continue
            # Each works alone but not together: take one now, the rest after re-linting.
            fixes = alone[:1]
            candidate = _apply(result.text, fixes, strict)
            if candidate is None:
                broken.add(_fix_key(fixes[0]))
                continue
        if candidate in seen:
            break  # back to a text we had: stop rather than cycle
        after = lint(candidate)
        not_converging = _not_converging(chosen, fixes, after)
        if not_converging:
            result.reverted = True
            stuck.update(_fix_key(fix) for fix in not_converging)
            continue
        # A fix that broke the old text may fit the new one: a second run would try it, so this one does.
        broken.clear()
        seen.add(candidate)
        result.text = candidate
        result.applied += len(fixes)
        current = after
    result.remaining = current
    return result


def _not_converging(chosen: list[Finding], fixes: list[Fix], after: list[Finding]) -> list[Fix]:
    """Fixes whose finding is reported again, unchanged, at the same place once they are applied.

    Counting would be wrong: another fix in the round may add new instances elsewhere
    (a copied legacy spelling), which the next round fixes.
    """
    still_there = {(_finding_key(f), f.line, f.column) for f in after}
    return [
        finding.fix
        for finding in chosen
        if finding.fix in fixes and (_finding_key(finding), finding.line, finding.column) in still_there
    ]
