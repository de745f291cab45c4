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

import traceback
from dataclasses import dataclass, field

from regcheck.config.catalog import RULES
from regcheck.config.keras_target import UNKNOWN
from regcheck.findings import Finding
from regcheck.lint.prefilter import FILE_NOQA, imports_tf_trigger, imports_trigger, names_tf, wants_parse
from regcheck.lint.project import Project
from regcheck.sources.files import Problem, SourceFile
from regcheck.sources.text import apply_edits, beyond_limits, compiles, python_syntax_error


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

    try:
        module = cst.parse_module(text)
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
        findings = only_applicable(text, findings)
    stale: list[Finding] = []
    if "RC002" in codes and not report.internal_error:  # RC002: judged on the findings before suppression
        from regcheck.lint.suppressions import unused_noqa

        stale = unused_noqa(path, text, findings, codes)
    if findings:
        from regcheck.lint.suppressions import parse_suppressions

        findings = parse_suppressions(text).filter(findings)
    report.findings = sorted(findings + stale, key=Finding.sort_key)
    return report


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

    try:
        cst.parse_module(text)
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
    fix rounds (regcheck.fixing) still check libcst before they write."""
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        return findings
    strict = compiles(text, strict=True)
    kept: list[Finding] = []
    for finding in findings:
        fix = finding.fix
        if fix is not None and not compiles(apply_edits(text, fix.edits), strict):
            finding = finding.with_changes(fix=None)
        kept.append(finding)
    return kept
