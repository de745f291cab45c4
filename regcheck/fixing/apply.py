"""Applying fixes: non-overlapping edits in rounds, needed imports, re-check, never a broken file.

The one place where fixes are applied: ``regcheck --fix`` (through ``regcheck.fixing.unit``),
``regcheck.apply_fixes`` and the language server's code actions all come here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from regcheck.findings import Applicability, Finding, Fix
from regcheck.sources.text import apply_edits, compiles

MAX_ROUNDS = 10
_DIGITS = re.compile(r"\d+")


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def _ranges(fix: Fix) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [((e.line, e.column), (e.end_line, e.end_column)) for e in fix.edits]


def _overlaps(a: Fix, b: Fix) -> bool:
    for start_a, end_a in _ranges(a):
        for start_b, end_b in _ranges(b):
            # Touching insertions at one point also conflict: their order would be arbitrary.
            if start_a <= end_b and start_b <= end_a:
                return True
    return False


def choose(findings: Iterable[Finding], unsafe: bool, skip: Callable[[Fix], bool] = lambda fix: False) -> list[Finding]:
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
    return compiles(text, strict)


def applied(text: str, fixes: list[Fix], strict: bool = True) -> str | None:
    """The text with ``fixes`` applied (edits, then the imports they need), or None when the result
    would not parse (``strict``: nor compile)."""
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
class Round:
    """One round of fixes: the text after it, the fixes it applied, and those that break the text alone."""

    text: str
    applied: list[Fix]
    broken: list[Fix]


def apply_round(text: str, fixes: list[Fix], strict: bool = True) -> Round:
    """Apply non-overlapping ``fixes`` (positions in ``text``) together; when the result would not parse,
    the largest set that does, taken in order. A fix that breaks the text on its own is ``broken``;
    one that only clashes with the others waits for the next round."""
    together = applied(text, fixes, strict) if fixes else text
    if together is not None:
        return Round(together, list(fixes), [])
    accepted: list[Fix] = []
    broken: list[Fix] = []
    current = text
    for fix in fixes:
        candidate = applied(text, [*accepted, fix], strict)
        if candidate is not None:
            accepted.append(fix)
            current = candidate
        elif not accepted or applied(text, [fix], strict) is None:
            broken.append(fix)
    return Round(current, accepted, broken)


def apply_once(text: str, findings: Iterable[Finding], unsafe: bool = False) -> str:
    """``text`` with one round of the fixes of ``findings`` (findings of this very text): safe ones, and
    unsafe ones with ``unsafe``. Overlapping fixes after the first, and fixes that would leave code
    that does not parse, are left out; linting the result again finds what is left."""
    fixes = [f.fix for f in choose(findings, unsafe) if f.fix is not None]
    if not fixes:
        return text
    return apply_round(text, fixes, parses(text)).text


def fixed_by(text: str, fix: Fix) -> str | None:
    """``text`` with one fix applied (an editor's quick fix), or None when it changes nothing or would
    leave code that does not parse."""
    done = apply_round(text, [fix], parses(text))
    return done.text if done.applied and done.text != text else None


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

    Every round applies non-overlapping fixes together (:func:`apply_round`): when the
    result would not parse, the fixes that break the file alone are set aside until
    the text changes, and the largest set of the others that parses is applied. A round after which a
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
        chosen = choose(current, unsafe, skip=lambda fix: _fix_key(fix) in broken or _fix_key(fix) in stuck)
        if not chosen:
            break
        fixes = [finding.fix for finding in chosen if finding.fix is not None]
        done = apply_round(result.text, fixes, strict)
        broken.update(_fix_key(fix) for fix in done.broken)
        if not done.applied:
            result.reverted = True
            continue
        if len(done.applied) < len(fixes):
            result.reverted = True
        fixes, candidate = done.applied, done.text
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
