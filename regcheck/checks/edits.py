"""Text edits expressed against CST nodes, for checks that build fixes."""

from __future__ import annotations

import libcst as cst

from regcheck.facts import ModuleFacts
from regcheck.findings import Edit


def replace(facts: ModuleFacts, node: cst.CSTNode, content: str) -> Edit:
    span = facts.span(node)
    return Edit(span.line, span.column, span.end_line, span.end_column, content)


def _outer(facts: ModuleFacts, node: cst.CSTNode) -> tuple[int, int, int, int]:
    """A node's span with its own parentheses: libcst's positions leave them out (``(3, 3)`` is the
    tuple ``3, 3``), so an insertion after the node would land inside them."""
    span = facts.span(node)
    start, end = (span.line, span.column), (span.end_line, span.end_column)
    lpar, rpar = getattr(node, "lpar", ()), getattr(node, "rpar", ())
    if lpar and rpar:
        first, last = facts.span(lpar[0]), facts.span(rpar[-1])
        start, end = (first.line, first.column), (last.end_line, last.end_column)
    return (*start, *end)


def insert_after(facts: ModuleFacts, node: cst.CSTNode, content: str) -> Edit:
    _, _, end_line, end_column = _outer(facts, node)
    return Edit(end_line, end_column, end_line, end_column, content)


def insert_before(facts: ModuleFacts, node: cst.CSTNode, content: str) -> Edit:
    line, column, _, _ = _outer(facts, node)
    return Edit(line, column, line, column, content)


def delete_between(
    facts: ModuleFacts,
    start_after: cst.CSTNode | None,
    start_at: cst.CSTNode | None,
    end_before: cst.CSTNode | None,
    end_at: cst.CSTNode | None,
) -> Edit:
    """Delete from the end of ``start_after`` (or start of ``start_at``) to the start of
    ``end_before`` (or end of ``end_at``)."""
    if start_after is not None:
        s = facts.span(start_after)
        line, column = s.end_line, s.end_column
    else:
        assert start_at is not None
        s = facts.span(start_at)
        line, column = s.line, s.column
    if end_before is not None:
        e = facts.span(end_before)
        end_line, end_column = e.line, e.column
    else:
        assert end_at is not None
        e = facts.span(end_at)
        end_line, end_column = e.end_line, e.end_column
    return Edit(line, column, end_line, end_column, "")


def add_keyword(facts: ModuleFacts, call: cst.Call, keyword: str, value: str) -> Edit:
    """Append ``keyword=value`` to a call's arguments."""
    if call.args:
        last = call.args[-1]
        return insert_after(facts, last.value, f", {keyword}={value}")
    span = facts.span(call)
    # Just before the closing parenthesis.
    return Edit(span.end_line, span.end_column - 1, span.end_line, span.end_column - 1, f"{keyword}={value}")


def remove_argument(facts: ModuleFacts, call: cst.Call, arg: cst.Arg) -> Edit:
    """Remove one argument together with the comma that separates it from its neighbour."""
    args = list(call.args)
    index = next(i for i, a in enumerate(args) if a is arg)
    if index > 0:
        return delete_between(facts, args[index - 1].value, None, None, arg.value)
    if len(args) > 1:
        return delete_between(facts, None, arg, args[1], None)
    return replace(facts, arg, "")


def remove_operand(facts: ModuleFacts, node: cst.BaseExpression) -> Edit | None:
    """Remove ``node`` from a ``+`` chain or a list, with its operator or comma."""
    parent = facts.parent(node)
    if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add):
        if parent.right is node:
            return delete_between(facts, parent.left, None, None, node)
        return delete_between(facts, None, node, parent.right, None)
    if isinstance(parent, cst.Element):
        holder = facts.parent(parent)
        if isinstance(holder, (cst.List, cst.Tuple)) and len(holder.elements) > 1:
            elements = list(holder.elements)
            index = next(i for i, e in enumerate(elements) if e is parent)
            if index > 0:
                return delete_between(facts, elements[index - 1].value, None, None, node)
            return delete_between(facts, None, node, elements[1].value, None)
    return None
