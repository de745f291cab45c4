"""Checks read facts: no module in regcheck/checks/ walks the tree or queries scopes itself.

The facts pass (regcheck/facts/) is the one walk over a module, and name resolution
is regcheck.facts.names; a check that needs to look inside a node asks a fact
(regcheck.facts.subtrees and the others). Each check module is parsed with ``ast``
and these are looked for:

- ``x.visit(...)``, a class deriving from libcst's ``CSTVisitor``, ``CSTTransformer``,
  ``BatchableCSTVisitor`` (or the matchers' decoratable ones);
- ``node.children``;
- ``MetadataWrapper``, ``ScopeProvider``, ``GlobalScope`` (imported or named);
- ``x.scope(...)``, ``facts.scopes``;
- iterating ``facts.parents`` (every node of the module): looking one node's parent up is fine.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

CHECKS = Path(__file__).resolve().parents[2] / "regcheck" / "checks"

VISITOR_BASES = {
    "CSTVisitor",
    "CSTTransformer",
    "BatchableCSTVisitor",
    "MatcherDecoratableVisitor",
    "MatcherDecoratableTransformer",
}
FORBIDDEN_NAMES = {"MetadataWrapper", "ScopeProvider", "GlobalScope"}
# What turns `facts.parents` into a walk of every node.
_ITERATING_CALLS = {"list", "tuple", "set", "sorted", "iter", "reversed", "enumerate", "frozenset"}


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_parents(node: ast.expr) -> bool:
    """``x.parents``, or ``x.parents.keys()`` / ``.values()`` / ``.items()``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("keys", "values", "items")
    ):
        node = node.func.value
    return isinstance(node, ast.Attribute) and node.attr == "parents"


def violations(source: str) -> list[tuple[int, str]]:
    """(line, what) for every way the module walks the tree or queries scopes itself."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "visit":
                found.append((node.lineno, ".visit("))
            elif node.func.attr == "scope":
                found.append((node.lineno, ".scope("))
        if (
            isinstance(node, ast.Call)
            and _name_of(node.func) in _ITERATING_CALLS
            and any(_is_parents(a) for a in node.args)
        ):
            found.append((node.lineno, "facts.parents iteration"))
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if _name_of(base) in VISITOR_BASES:
                    found.append((node.lineno, f"{_name_of(base)} subclass"))
        if isinstance(node, ast.Attribute):
            if node.attr == "children":
                found.append((node.lineno, ".children"))
            elif node.attr == "scopes":
                found.append((node.lineno, "facts.scopes"))
            elif node.attr in FORBIDDEN_NAMES:
                found.append((node.lineno, node.attr))
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append((node.lineno, node.id))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name.rsplit(".", 1)[-1] in FORBIDDEN_NAMES:
                    found.append((node.lineno, alias.name.rsplit(".", 1)[-1]))
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and _is_parents(node.iter):
            found.append((getattr(node, "lineno", getattr(node.iter, "lineno", 0)), "facts.parents iteration"))
    return sorted(set(found))


def _check_modules() -> list[Path]:
    return sorted(CHECKS.glob("*.py"))


def test_the_checks_package_is_found() -> None:
    names = {path.name for path in _check_modules()}
    assert "base.py" in names and "rc203_penalty_outside_tape.py" in names


@pytest.mark.parametrize("path", _check_modules(), ids=lambda path: path.name)
def test_check_module_reads_facts(path: Path) -> None:
    found = violations(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.name} walks the tree or queries scopes itself; ask a fact in regcheck/facts/ instead"


# The detector itself: each way in is seen, and what a check may do is not flagged.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("node.body.visit(collector)", [(1, ".visit(")]),
        ("class C(cst.CSTVisitor):\n    pass", [(1, "CSTVisitor subclass")]),
        ("class C(CSTTransformer):\n    pass", [(1, "CSTTransformer subclass")]),
        ("class C(m.MatcherDecoratableVisitor):\n    pass", [(1, "MatcherDecoratableVisitor subclass")]),
        ("class C(BatchableCSTVisitor):\n    pass", [(1, "BatchableCSTVisitor subclass")]),
        ("for child in node.children:\n    pass", [(1, ".children")]),
        ("from libcst.metadata import MetadataWrapper", [(1, "MetadataWrapper")]),
        ("import libcst.metadata\nw = libcst.metadata.MetadataWrapper(m)", [(2, "MetadataWrapper")]),
        ("from libcst.metadata import ScopeProvider as S", [(1, "ScopeProvider")]),
        ("ok = isinstance(s, GlobalScope)", [(1, "GlobalScope")]),
        ("s = facts.scope(node)", [(1, ".scope(")]),
        ("s = facts.scopes[node]", [(1, "facts.scopes")]),
        ("for node in facts.parents:\n    pass", [(1, "facts.parents iteration")]),
        ("found = [n for n in f.parents.keys()]", [(1, "facts.parents iteration")]),
        ("nodes = list(facts.parents)", [(1, "facts.parents iteration")]),
        ("p = facts.parents.get(node)\nq = facts.parent(node)\nr = list(facts.ancestors(node))", []),
        ("from regcheck.facts.subtrees import names_read\nnames = list(names_read(value))", []),
    ],
)
def test_detector(source: str, expected: list[tuple[int, str]]) -> None:
    assert violations(textwrap.dedent(source)) == expected
