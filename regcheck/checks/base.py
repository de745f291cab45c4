"""The Check base class: a rule as a small class that reads facts and yields findings.

Like Fixit's LintRule, each check keeps its VALID and INVALID code samples
beside it; the test-suite runs every one of them.
"""

from __future__ import annotations

from typing import ClassVar, Iterable, Iterator

import libcst as cst

from regcheck.catalog import RULES, RuleInfo
from regcheck.facts import ModuleFacts
from regcheck.findings import Applicability, Edit, Finding, Fix


class Check:
    code: ClassVar[str]
    # Byte strings one of which a file must contain for this check to have anything to do.
    triggers: ClassVar[tuple[bytes, ...]] = ()
    # Byte strings that, found in a project module this file imports directly, also make the
    # file worth parsing: for checks whose subject is assembled here from parts defined there
    # (a model built from another module's blocks).
    import_triggers: ClassVar[tuple[bytes, ...]] = ()
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []

    @classmethod
    def info(cls) -> RuleInfo:
        return RULES[cls.code]

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


def make_fix(applicability: Applicability, message: str, edits: Iterable[Edit], imports: Iterable[str] = ()) -> Fix:
    return Fix(applicability, message, tuple(sorted(edits)), tuple(imports))


def safe_fix(message: str, *edits: Edit, imports: Iterable[str] = ()) -> Fix:
    return make_fix(Applicability.SAFE, message, edits, imports)


def unsafe_fix(message: str, *edits: Edit, imports: Iterable[str] = ()) -> Fix:
    return make_fix(Applicability.UNSAFE, message, edits, imports)


def iter_checks(checks: Iterable[type[Check]], selected: frozenset[str]) -> Iterator[Check]:
    for check in checks:
        if check.code in selected:
            yield check()
