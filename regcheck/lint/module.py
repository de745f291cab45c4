"""Lint one module's text: prefilter -> parse -> facts -> checks -> suppressions.

Nothing here imports TensorFlow; libcst, the facts and the checks are imported only
when a file survives the prefilter, so linting files without TF code stays cheap:

- a file that names no TF/Keras API is never parsed at all, and a TF/Keras file
  without any selected rule's trigger word is only syntax checked (RC000) with
  CPython's parser, which is ten times cheaper than libcst (regcheck.lint.prefilter);
- a fix a check offers is kept only when it applies on its own (:func:`only_applicable`).

:func:`lint_text` is the lint of one module, for every source unit (regcheck.lint.unit).
"""

from __future__ import annotations

import ast
import bisect
import traceback
import warnings
from dataclasses import dataclass, field

from regcheck.config.catalog import RULES
from regcheck.config.keras_target import UNKNOWN
from regcheck.findings import Edit, Finding
from regcheck.lint.prefilter import FILE_NOQA, imports_tf_trigger, imports_trigger, names_tf, wants_parse
from regcheck.lint.project import Project
from regcheck.sources.files import Problem, SourceFile
from regcheck.sources.text import (
    LINE_END,
    apply_edits,
    beyond_limits,
    compiles,
    python_syntax_error,
)


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parsed: bool = False  # parsed (by libcst, or by CPython for the syntax check only)
    internal_error: bool = False
    source: SourceFile | None = None  # kept only when there are findings (fixes and context lines)
    # Notebooks: the code cells' sources, in order (None for plain modules).
    cells: list[str] | None = None
    analysed: bool = False  # parsed with libcst and run through the facts pass and checks


def lint_text(
    path: str,
    text: str,
    codes: frozenset[str],
    data: bytes | None = None,
    project: Project | None = None,
    keras: str | None = None,
) -> FileReport:
    """Lint one module's source text with the selected codes.

    ``keras``: the Keras version the project targets ("3", "2" or "unknown"; Settings.keras_version);
    by default the run's (``project.keras_target``), else unknown (the file's code may decide it)."""
    report = FileReport(path)
    data = data if data is not None else text.encode("utf-8", "surrogatepass")
    # A script that names no TensorFlow itself may train what the project modules it imports build.
    if not names_tf(data) and not imports_tf_trigger(data, codes, path, project):
        return report
    file_codes: frozenset[str] = frozenset()
    if FILE_NOQA.search(text):  # tokenizing for comments is slow: only when it can matter
        from regcheck.lint.suppressions import parse_suppressions

        file_codes = parse_suppressions(text).file_codes
        if "*" in file_codes:
            return report
    if not wants_parse(data, codes) and not imports_trigger(data, codes, path, project):
        if "RC000" in codes:
            _syntax_check(path, text, report)
        if not report.findings and "RC002" in codes:  # no rule fires here: a `noqa` naming a code is stale
            from regcheck.lint.suppressions import unused_noqa

            report.findings = unused_noqa(path, text, [], codes)
        return report
    # CPython first: code past its limits (500 nested calls) is RC000 even where libcst would parse it, and
    # never reaches libcst, which takes minutes on such input. ast.parse costs a tenth of a libcst parse.
    cpython = python_syntax_error(text)
    if cpython is not None and beyond_limits(cpython[2]):
        report.parsed = True
        if "RC000" in codes:
            report.findings.append(_rc000(path, cpython))
        return report
    import libcst as cst

    from regcheck.lint.parse import parse_module

    try:
        module = parse_module(text)
    except cst.ParserSyntaxError as exc:
        report.parsed = True
        if "RC000" in codes:
            report.findings.append(_syntax_finding(path, exc, cpython))
        return report
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested for libcst to parse", 1, 1))
        return report
    report.parsed = report.analysed = True
    from regcheck.checks import checks_for
    from regcheck.facts import build_facts

    try:
        facts = build_facts(path, text, module, project)
        facts.keras_target = keras or (project.keras_target if project is not None else None) or UNKNOWN
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested to analyse"))
        return report
    except Exception as exc:  # an internal error must not cost the other files their findings
        report.problems.append(Problem(path, f"internal error while collecting facts: {_describe(exc)}"))
        report.internal_error = True
        return report
    findings: list[Finding] = []
    for check_class in checks_for(codes):
        try:
            findings.extend(check_class().run(facts))
        except Exception as exc:
            report.problems.append(Problem(path, f"internal error in {check_class.code}: {_describe(exc)}"))
            report.internal_error = True
    if findings:
        findings = only_applicable(text, _distinct(findings))
    stale: list[Finding] = []
    if "RC002" in codes and not report.internal_error:  # RC002: judged on the findings before suppression
        from regcheck.lint.suppressions import unused_noqa

        stale = unused_noqa(path, text, findings, codes)
    if findings:
        from regcheck.lint.suppressions import parse_suppressions

        findings = parse_suppressions(text).filter(findings)
    report.findings = sorted(findings + stale, key=Finding.sort_key)
    return report


def _distinct(findings: list[Finding]) -> list[Finding]:
    """One finding per defect: a step the program reaches twice (a training function two entries
    call) is judged twice, and says the same thing at the same place."""
    seen: set[tuple[object, ...]] = set()
    kept: list[Finding] = []
    for finding in findings:
        key = (finding.code, finding.line, finding.column, finding.end_line, finding.end_column, finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _syntax_check(path: str, text: str, report: FileReport) -> None:
    """RC000 for a file no other selected rule needs parsed: CPython's parser decides, and
    libcst confirms a failure, so the verdict matches that of a file parsed for its rules."""
    report.parsed = True
    cpython = python_syntax_error(text)
    if cpython is None:
        return
    if beyond_limits(cpython[2]):  # past CPython's limits: no Python runs it, whatever libcst says
        report.findings.append(_rc000(path, cpython))
        return
    import libcst as cst

    from regcheck.lint.parse import parse_module

    try:
        parse_module(text)
    except cst.ParserSyntaxError as exc:
        report.findings.append(_syntax_finding(path, exc, cpython))
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested for libcst to parse", 1, 1))


def _describe(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _syntax_finding(path: str, exc: Exception, cpython: tuple[int, int, str] | None) -> Finding:
    """RC000 for a file libcst rejects: with CPython's message and position when it rejects it too
    (the ones users know from running their code)."""
    if cpython is not None:
        return _rc000(path, cpython)
    line = getattr(exc, "raw_line", 1) or 1
    column = (getattr(exc, "raw_column", 0) or 0) + 1
    return _rc000(path, (line, column, getattr(exc, "message", str(exc)).splitlines()[0]))


def _rc000(path: str, error: tuple[int, int, str]) -> Finding:
    info = RULES["RC000"]
    line, column, message = error
    return Finding(info.code, info.name, info.severity, path, line, column, line, column, f"syntax error: {message}")


def only_applicable(text: str, findings: list[Finding]) -> list[Finding]:
    """The findings, each fix kept only when it applies on its own: the edited text still compiles
    (held to parsing alone when the file itself does not compile). A fix that cannot apply is not
    advertised as one. CPython's compiler decides here, ten times cheaper than a libcst parse; the
    fix rounds (regcheck.fixing) still check libcst before they write.

    Each fix is judged on the top-level statements its edits touch, not on the whole file: a module
    compiles when each of its top-level statements does, so a file with a fix per weight costs one
    compile of a few lines per fix instead of one of the whole file (quadratic in the file's size)."""
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        return findings
    statements = TopLevelStatements.of(text)
    strict = statements.compiles if statements is not None else compiles(text, strict=True)
    kept: list[Finding] = []
    verdicts: dict[tuple[Edit, ...], bool] = {}
    for finding in findings:
        fix = finding.fix
        if fix is not None:
            verdict = verdicts.get(fix.edits)
            if verdict is None:
                edited = statements.edited(fix.edits) if statements is not None else None
                # A segment that does not compile may still compile in place (a backslash joining the
                # next line): the whole file decides then, as it does when the segment cannot tell.
                verdict = edited is not None and compiles(edited, strict)
                if not verdict:
                    verdict = compiles(apply_edits(text, fix.edits), strict)
                verdicts[fix.edits] = verdict
            if not verdict:
                finding = finding.with_changes(fix=None)
        kept.append(finding)
    return kept


# Fix contents that only the whole file can judge.
_WHOLE_FILE_WORDS = ("__future__", "global", "nonlocal")


class TopLevelStatements:
    """The line spans of a module's top-level statements (CPython's parse), to judge an edit on the
    statements it touches: top-level statements compile independently of each other, given the
    module's ``from __future__`` imports (which ``prefix`` repeats)."""

    def __init__(self, text: str, spans: list[tuple[int, int]], compiles: bool, prefix: str, after: int) -> None:
        self.lines = LINE_END.split(text)
        self.spans = spans  # (first line, last line) of each top-level statement, in order, 1-based
        self.starts = [start for start, _end in spans]
        self.compiles = compiles
        self.prefix = prefix  # the module's `from __future__` imports, one a line
        self.after = after  # the last line of those imports: edits at or before it are judged on the whole file

    @classmethod
    def of(cls, text: str) -> TopLevelStatements | None:
        """None when CPython cannot parse ``text``: every fix is then judged on the whole file."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
            try:
                compile(tree, "<regcheck-fix>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
                strict = True
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                strict = False
        spans: list[tuple[int, int]] = []
        future: list[str] = []
        after = 0
        for node in tree.body:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
            last = node.end_lineno or node.lineno
            spans.append((first, last))
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                names = ", ".join(alias.name for alias in node.names)
                future.append(f"from __future__ import {names}\n")
                after = last
        return cls(text, spans, strict, "".join(future), after)

    def segment(self, edits: tuple[Edit, ...]) -> tuple[str, list[Edit]] | None:
        """The text of the whole lines of the top-level statements ``edits`` touch, with the edits moved
        into it; None when an edit touches no statement (a blank or comment line) or the future imports."""
        if not edits:
            return None
        first = min(edit.line for edit in edits)
        # An edit that ends at the start of a line (a whole line removed) does not touch that line.
        last = max(
            edit.end_line - 1 if edit.end_column == 1 and edit.end_line > edit.line else edit.end_line for edit in edits
        )
        if first <= self.after or any(word in edit.content for edit in edits for word in _WHOLE_FILE_WORDS):
            return None  # a future import must come first, a global name be declared before use: the file tells
        # The statements that overlap [first, last]: the first one ending at or after `first` ...
        index = bisect.bisect_right(self.starts, first) - 1
        if index < 0 or self.spans[index][1] < first:
            index += 1
            if index >= len(self.spans) or self.spans[index][0] > first:
                return None  # the first edited line belongs to no statement
        end = index
        while end + 1 < len(self.spans) and self.spans[end + 1][0] <= last:
            end += 1
        if self.spans[end][1] < last:
            return None  # the last edited line belongs to no statement
        # Statements sharing a line (`a = 1; b = (2,\n 3); c = 4`) come along.
        while index > 0 and self.spans[index - 1][1] >= self.spans[index][0]:
            index -= 1
        while end + 1 < len(self.spans) and self.spans[end + 1][0] <= self.spans[end][1]:
            end += 1
        start_line, end_line = self.spans[index][0], self.spans[end][1]
        width = len(self.lines[end_line - 1])
        if any(line == end_line and column > width for edit in edits for line, column in _positions(edit)):
            return None  # a column past the end of the segment's last line reaches into the next one
        shift = start_line - 1
        moved = [
            Edit(edit.line - shift, edit.column, edit.end_line - shift, edit.end_column, edit.content) for edit in edits
        ]
        return "".join(self.lines[start_line - 1 : end_line]), moved

    def edited(self, edits: tuple[Edit, ...]) -> str | None:
        """The segment of :meth:`segment` with ``edits`` applied, ready to compile; None when only
        the whole file can tell."""
        segment = self.segment(edits)
        if segment is None:
            return None
        text, moved = segment
        result = apply_edits(text, moved)
        if text.endswith(("\n", "\r")) and not result.endswith(("\n", "\r")):
            return None  # the edit joins the segment's last line with the next one
        if result.rstrip("\r\n").endswith("\\"):
            return None  # ... or continues it onto the next one
        return self.prefix + result


def _positions(edit: Edit) -> tuple[tuple[int, int], tuple[int, int]]:
    return (edit.line, edit.column), (edit.end_line, edit.end_column)
