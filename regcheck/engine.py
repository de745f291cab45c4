"""The static pipeline for one file: prefilter -> parse -> facts -> checks -> suppressions.

Nothing here imports TensorFlow; libcst is imported only when a file survives
the prefilter, so `regcheck` on a tree without TF code stays cheap.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from regcheck.catalog import RULES
from regcheck.files import Problem, SourceError, SourceFile, read_source
from regcheck.findings import Finding
from regcheck.suppress import parse_suppressions

if TYPE_CHECKING:
    from regcheck.config import Settings
    from regcheck.project import ProjectIndex

# A file that names none of these cannot contain TF/Keras code worth parsing.
TF_MARKERS = (b"tensorflow", b"keras", b"tf_slim", b"slim")


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parsed: bool = False
    internal_error: bool = False
    source: SourceFile | None = None
    # Notebooks: the code cells' sources, in order (None for plain modules).
    cells: list[str] | None = None


def wants_parse(data: bytes, codes: frozenset[str]) -> bool:
    """The bytes prefilter: TF/Keras is named and some selected rule's trigger word occurs."""
    if not any(marker in data for marker in TF_MARKERS):
        return False
    if "RC000" in codes:
        return True  # syntax errors are reported in every TF/Keras file
    from regcheck.checks import checks_for

    for check in checks_for(codes):
        if not check.triggers or any(trigger in data for trigger in check.triggers):
            return True
    return False


def lint_text(
    path: str, text: str, codes: frozenset[str], data: bytes | None = None, project: "ProjectIndex | None" = None
) -> FileReport:
    """Lint one module's source text with the selected codes."""
    report = FileReport(path)
    data = data if data is not None else text.encode("utf-8", "surrogatepass")
    suppressions = parse_suppressions(text)
    if "*" in suppressions.file_codes or not wants_parse(data, codes):
        return report
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        report.parsed = True
        if "RC000" in codes:
            report.findings.append(_syntax_finding(path, exc))
        return report
    except RecursionError:
        report.problems.append(Problem(path, "skipped: too deeply nested to parse"))
        return report
    report.parsed = True
    from regcheck.checks import checks_for
    from regcheck.facts import build_facts

    try:
        facts = build_facts(path, text, module, project)
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
    report.findings = sorted(suppressions.filter(findings), key=Finding.sort_key)
    return report


def _describe(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _syntax_finding(path: str, exc: "Exception") -> Finding:
    info = RULES["RC000"]
    line = getattr(exc, "raw_line", 1) or 1
    column = (getattr(exc, "raw_column", 0) or 0) + 1
    message = getattr(exc, "message", str(exc)).splitlines()[0]
    return Finding(info.code, info.name, info.severity, path, line, column, line, column, f"syntax error: {message}")


def lint_file(path: str, settings: "Settings", project: "ProjectIndex | None" = None) -> FileReport:
    codes = settings.codes_for(path)
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileReport(path, problems=[exc.problem])
    if path.endswith(".ipynb"):
        from regcheck.notebooks import lint_notebook

        return lint_notebook(source, codes)
    report = lint_text(path, source.text, codes, source.raw, project)
    report.source = source
    return report


def lint_files(paths: Iterable[str], settings: "Settings", use_cache: bool = True, jobs: int = 0) -> Iterator[FileReport]:
    """Lint files in order, streaming one report per file."""
    from regcheck.project import ProjectIndex

    files = list(paths)
    project = ProjectIndex(files, settings.root)
    for path in files:
        yield lint_file(path, settings, project)
