"""The Rule and Check base classes: a rule as a small class that reads facts and yields findings.

A rule is one module, ``regcheck/checks/rcNNN_name.py``, whose class declares the
rule's metadata as literal class attributes (``regcheck.config.catalog`` reads them
without importing the module) plus one page, ``rules/RCNNN.md``. Like Fixit's
LintRule, each check keeps its VALID and INVALID code samples beside it; the
test-suite runs every one of them, and an INVALID sample may be an
:class:`Invalid` that also says on which line the rule fires and what the fixed
text is.

A code the pipeline reports itself (RC000, a syntax error) has a :class:`Rule`
without ``run``: the metadata's home.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

import libcst as cst

from regcheck.config.catalog import RULES, FixSafety, RuleInfo
from regcheck.facts import ModuleFacts
from regcheck.findings import Applicability, Edit, Finding, Fix


class Invalid(str):
    """An INVALID sample (the source text itself, so it is used wherever a plain sample is)
    with what the rule must do on it: report a finding on ``line`` (counted in the sample
    as written, the line of its opening quotes being line 1) and, with every fix of the
    rule applied (unsafe ones included), turn it into ``fixed``."""

    line: int | None
    fixed: str | None

    def __new__(cls, source: str, *, line: int | None = None, fixed: str | None = None) -> Invalid:
        sample = super().__new__(cls, source)
        sample.line = line
        sample.fixed = fixed
        return sample


class Rule:
    """A rule's metadata, declared as literals on the class (see ``regcheck.config.catalog``)."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Literal["error", "warning", "info"]]
    summary: ClassVar[str]
    fix_safety: ClassVar[FixSafety | None] = None
    graph: ClassVar[bool] = False  # `regcheck trace` reports it from the graph too
    # The page's Example / Use instead are Python that a lint fires on / is quiet on
    # (False for a code no source text can produce, such as an unreadable file).
    page_examples: ClassVar[bool] = True

    @classmethod
    def info(cls) -> RuleInfo:
        return RULES[cls.code]


class Check(Rule):
    # Byte strings one of which a file must contain for this check to have anything to do.
    triggers: ClassVar[tuple[bytes, ...]] = ()
    # Byte strings that, found in a project module this file imports directly, also make the
    # file worth parsing: for checks whose subject is assembled here from parts defined there
    # (a model built from another module's blocks).
    import_triggers: ClassVar[tuple[bytes, ...]] = ()
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []  # plain samples or Invalid(...)

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(
        self,
        facts: ModuleFacts,
        node: cst.CSTNode,
        message: str,
        *,
        symbol: str | None = None,
        fix: Fix | None = None,
    ) -> Finding:
        info = self.info()
        span = facts.span(node)
        return Finding(
            code=info.code,
            name=info.name,
            severity=info.severity,
            path=facts.path,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
            message=message,
            symbol=symbol,
            fix=fix,
        )

    @staticmethod
    def versioned(facts: ModuleFacts, finding: Finding) -> Finding:
        """A finding whose verdict or fix depends on the Keras version: tagged with the version it was made
        for and why (JSON ``keras`` / ``keras_reason``). Where the version is unknown the check gave the
        form that holds in both (RULES.md, Versions), so nothing is tagged."""
        if facts.keras_version not in ("2", "3"):
            return finding
        return finding.with_changes(
            keras=facts.keras_version, extra={**finding.extra, "keras_reason": facts.keras_reason}
        )


def make_fix(applicability: Applicability, message: str, edits: Iterable[Edit], imports: Iterable[str] = ()) -> Fix:
    return Fix(applicability, message, tuple(sorted(edits)), tuple(imports))


def safe_fix(message: str, *edits: Edit, imports: Iterable[str] = ()) -> Fix:
    return make_fix(Applicability.SAFE, message, edits, imports)


def unsafe_fix(message: str, *edits: Edit, imports: Iterable[str] = ()) -> Fix:
    return make_fix(Applicability.UNSAFE, message, edits, imports)
