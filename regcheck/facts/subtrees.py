"""What lies inside an expression or a function body, for the checks that ask.

Checks never walk the tree or query scopes themselves (tests/house/test_checks_read_facts.py);
these are the small looks inside one node that some of them need. Module-wide
answers are cached on the ModuleFacts (``facts.cached``), per-function ones in
``facts.derived`` by the function node's id.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from regcheck.facts.module import ModuleFacts


def nodes_in(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and every node below it, in source order (pre-order)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def names_read(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The ``Name`` nodes an expression reads, in source order: not the ``attr`` of ``a.attr``
    (``layer.kernel`` reads ``layer``) and not the keyword of an argument (``f(x=v)`` reads ``f``, ``v``)."""
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, (cst.Attribute, cst.Arg)):
        yield from names_read(node.value)
    else:
        for child in node.children:
            yield from names_read(child)


def additions(facts: ModuleFacts) -> list[cst.BinaryOperation | cst.AugAssign]:
    """Every ``a + b`` and ``a += b`` in the module (cached)."""
    found: list[cst.BinaryOperation | cst.AugAssign] = facts.cached("additions", _additions)
    return found


def _additions(facts: ModuleFacts) -> list[cst.BinaryOperation | cst.AugAssign]:
    found: list[cst.BinaryOperation | cst.AugAssign] = []
    for node in facts.parents:
        plus = isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add)
        if plus or (isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign)):
            found.append(node)  # type: ignore[arg-type]
    return found


def discarded_arithmetic(facts: ModuleFacts, function: cst.FunctionDef) -> list[cst.BinaryOperation]:
    """Arithmetic used as a statement (``a + b`` on its own line) in a function's body, its
    nested functions left out (cached per function)."""
    cache: dict[int, list[cst.BinaryOperation]] = facts.derived.setdefault("discarded_arithmetic", {})
    if id(function) not in cache:
        cache[id(function)] = list(_statements_of_arithmetic(function.body))
    return cache[id(function)]


def _statements_of_arithmetic(node: cst.CSTNode) -> Iterator[cst.BinaryOperation]:
    if isinstance(node, cst.Expr) and isinstance(node.value, cst.BinaryOperation):
        yield node.value
    for child in node.children:
        if not isinstance(child, cst.FunctionDef):
            yield from _statements_of_arithmetic(child)
