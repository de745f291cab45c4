"""The rule catalogue: every code, name, severity and one-line meaning.

A rule declares its metadata on its own class, in ``regcheck/checks/rcNNN_name.py``
(``code``, ``name``, ``severity``, ``summary``, ``fix_safety``, ``graph``); this module
collects them into ``RULES``, which selection, reporters, SARIF rule descriptors and
the graph path read. A rule's behaviour lives in ``regcheck/checks``; its user
documentation in ``rules/RCxxx.md``.

The metadata is read from the modules' source, without importing them: importing
the checks costs libcst and every facts module, and a run over files that name no
TF/Keras API must not pay that just to know the rule names. So the attributes are
one-line literals at the top of the class body, before the samples (a test checks
that what is read here is what the imported classes carry).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from regcheck.findings import Severity

FixSafety = Literal["safe", "unsafe"]
_METADATA = ("code", "name", "severity", "summary", "fix_safety", "graph")
_CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    summary: str
    fix_safety: FixSafety | None = None  # the fix the rule offers, if any
    graph: bool = False  # `regcheck trace` reports it from the built graph too
    module: str | None = None  # the module of regcheck.checks whose class declares it


class CatalogError(Exception):
    """A rule module declares its metadata in a way the catalogue cannot read."""


# A class statement, and a metadata assignment in its body (one line, four spaces in).
_CLASS = re.compile(r"^class (\w+)\b[^\n]*:[ \t]*$", re.M)
_ASSIGNMENT = re.compile(rf"^    ({'|'.join(_METADATA)})(?:[ \t]*:[^=\n]+)?[ \t]*=[ \t]*(.+?)[ \t]*$", re.M)
_TOP_LEVEL = re.compile(r"^(?=[^\s#])", re.M)


def declared_rules(directory: Path = _CHECKS_DIR) -> list[RuleInfo]:
    """The rules declared by the classes of ``directory``'s modules, in file order.

    A class declares a rule when its body assigns ``code`` and ``name``; a class that
    assigns only ``code`` is another part of a rule declared elsewhere. Read with regular
    expressions and :func:`ast.literal_eval` (parsing every module would cost more than
    the rest of a small run); the tests check the result against the imported classes."""
    found: list[RuleInfo] = []
    for path in sorted(directory.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in _CLASS.finditer(text):
            following = _TOP_LEVEL.search(text, match.end() + 1)
            body = text[match.end() : following.start() if following else len(text)]
            values: dict[str, object] = {}
            for assignment in _ASSIGNMENT.finditer(body):
                key, literal = assignment.groups()
                try:
                    values.setdefault(key, ast.literal_eval(literal))
                except (ValueError, SyntaxError):
                    raise CatalogError(
                        f"{path.name}, class {match.group(1)}: {key} must be a one-line literal"
                    ) from None
            if "code" in values and "name" in values:
                found.append(_info(values, path))
    return found


def _info(values: dict[str, object], path: Path) -> RuleInfo:
    where = f"{path.name}: {values['code']}"
    try:
        code, name, summary = (str(values[key]) for key in ("code", "name", "summary"))
        severity = Severity.parse(str(values["severity"]))
    except (KeyError, ValueError) as exc:
        raise CatalogError(f"{where}: a rule declares code, name, severity and summary ({exc})") from None
    fix_safety = values.get("fix_safety")
    if fix_safety not in (None, "safe", "unsafe"):
        raise CatalogError(f"{where}: fix_safety is 'safe', 'unsafe' or None")
    return RuleInfo(code, name, severity, summary, fix_safety, bool(values.get("graph", False)), path.stem)


def _catalogue() -> dict[str, RuleInfo]:
    """The declared rules by code (the tests, not the users' runs, complain about a code declared twice)."""
    rules: dict[str, RuleInfo] = {}
    for info in declared_rules():
        rules.setdefault(info.code, info)
    return dict(sorted(rules.items()))


RULES: dict[str, RuleInfo] = _catalogue()

BY_NAME: dict[str, RuleInfo] = {info.name: info for info in RULES.values()}
