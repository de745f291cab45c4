"""Flow-insensitive value tracking over the module's name bindings.

``values_of`` answers "which expressions can this name hold?" using the
bindings regcheck.facts.names found; ``closure`` collects every
expression a value is built from, following names and calls to functions of
the same module. Both give up (``unknown``) rather than guess when a value comes
from a parameter or another module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # annotations only: regcheck.facts.module imports this module (through facts.keras_version)
    from regcheck.facts.module import LoopSource, ModuleFacts


@dataclass
class Resolved:
    values: list[cst.BaseExpression] = field(default_factory=list)
    loops: list[LoopSource] = field(default_factory=list)
    functions: list[cst.FunctionDef] = field(default_factory=list)
    params: list[tuple[cst.Param, cst.FunctionDef | None]] = field(default_factory=list)
    external: bool = False  # imported from outside, or not bound anywhere we can see
    imported: bool = False  # bound by an import: its value lives in another module

    @property
    def known(self) -> bool:
        return not self.external and not self.params


def values_of(facts: ModuleFacts, node: cst.BaseExpression) -> Resolved:
    """What a Name (or `self.x` / `d["k"]` expression) may be bound to in this module."""
    result = Resolved()
    if isinstance(node, cst.Name):
        assignments = facts.assignments(node)
        if not assignments:
            result.external = True  # unbound here, or a builtin
        for assignment in assignments:
            target = assignment.node
            if target in facts.bound_values:
                result.values.extend(facts.bound_values[target])
            elif target in facts.loop_sources:
                result.loops.append(facts.loop_sources[target])
            elif isinstance(target, cst.FunctionDef):
                result.functions.append(target)
            elif isinstance(target, cst.Param):
                result.params.append((target, _enclosing_function(facts, target)))
            elif isinstance(target, cst.Name) and isinstance(facts.parent(target), cst.Param):
                param = facts.parent(target)
                assert isinstance(param, cst.Param)
                result.params.append((param, _enclosing_function(facts, param)))
            elif isinstance(target, (cst.Import, cst.ImportFrom)):
                result.external = True
                result.imported = True
            else:
                # Class definitions, with-as targets, global statements ...
                result.external = True
    elif isinstance(node, cst.Attribute):
        spelled = facts.code(node)
        values = facts.cached("attribute_bindings", _attribute_bindings).get(spelled)
        if values:
            result.values.extend(values)
        else:
            result.external = True
    elif isinstance(node, cst.Subscript):
        key = _subscript_key(node)
        base = values_of(facts, node.value)
        for value in base.values:
            if isinstance(value, cst.Dict) and key is not None:
                for element in value.elements:
                    if isinstance(element, cst.DictElement) and _literal(element.key) == key:
                        result.values.append(element.value)
            elif isinstance(value, (cst.List, cst.Tuple)) and isinstance(key, int):
                # `weights[2]` of a literal list (a negative index counts from its end)
                if -len(value.elements) <= key < len(value.elements) and not any(
                    isinstance(e, cst.StarredElement) for e in value.elements
                ):
                    result.values.append(value.elements[key].value)
        if not result.values:
            result.external = True
    else:
        result.values.append(node)
    return result


def _enclosing_function(facts: ModuleFacts, node: cst.CSTNode) -> cst.FunctionDef | None:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
    return None


def _attribute_bindings(facts: ModuleFacts) -> dict[str, list[cst.BaseExpression]]:
    bindings: dict[str, list[cst.BaseExpression]] = {}
    for target, values in facts.bound_values.items():
        if isinstance(target, cst.Attribute):
            bindings.setdefault(facts.code(target), []).extend(values)
    return bindings


def _subscript_key(node: cst.Subscript) -> object:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return _literal(node.slice[0].slice.value)


def _literal(node: cst.BaseExpression | None) -> object:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer)
    ):
        return -node.expression.evaluated_value
    return None


def is_none_literal(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def is_given(node: cst.BaseExpression | None) -> bool:
    """An argument that is there and not a literal ``None`` (``regularizer=None`` means "none")."""
    return node is not None and not is_none_literal(node)


def literal_value(node: cst.BaseExpression | None) -> object:
    """The Python value of a string/number literal (with unary minus), else None."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)):
        return node.evaluated_value
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal_value(node.expression)
        return -inner if isinstance(inner, (int, float)) else None
    return None


def resolve_expr(facts: ModuleFacts, node: cst.BaseExpression, depth: int = 8) -> list[cst.BaseExpression]:
    """Follow names to the non-name expressions they are bound to (one level per name)."""
    if depth == 0:
        return []
    if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)) and not _is_module_attribute(facts, node):
        resolved = values_of(facts, node)
        out: list[cst.BaseExpression] = []
        for value in resolved.values:
            out.extend(resolve_expr(facts, value, depth - 1))
        return out
    return [node]


def _is_module_attribute(facts: ModuleFacts, node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Name, cst.Attribute)) and facts.canonical(node) is not None


@dataclass
class Closure:
    """Every expression node a value is computed from, across names and local calls."""

    nodes: list[cst.CSTNode] = field(default_factory=list)
    unknown: bool = False

    def calls(self, facts: ModuleFacts) -> Iterator[cst.Call]:
        for node in self.nodes:
            if isinstance(node, cst.Call):
                yield node


# Calls whose result is (a sum of) their arguments: a term added in an argument reaches the loss.
_ADDITIVE_CALLS = frozenset(
    {
        "tf.add",
        "tf.add_n",
        "tf.math.add",
        "tf.math.add_n",
        "tf.identity",
        "tf.cast",
        "tf.reduce_sum",
        "tf.reduce_mean",
        "tf.math.reduce_sum",
        "tf.math.reduce_mean",
    }
)


def closure(facts: ModuleFacts, root: cst.BaseExpression, limit: int = 20000) -> Closure:
    """Everything ``root`` is computed from.

    ``unknown`` is set only when a value that is *added into* the root (not an
    argument of some other op, like the data fed to a matmul) comes from another
    module or from a parameter we cannot follow: only such a value could carry
    a term we do not see.
    """
    result = Closure()
    seen: set[int] = set()
    entered: set[cst.FunctionDef] = set()
    stack: list[tuple[cst.CSTNode, bool]] = [(root, True)]
    while stack and len(result.nodes) < limit:
        node, additive = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        result.nodes.append(node)
        if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)) and _is_value_position(facts, node):
            if not _is_module_attribute(facts, node):
                resolved = values_of(facts, node)
                stack.extend((value, additive) for value in resolved.values)
                stack.extend((loop.iterable, False) for loop in resolved.loops)
                for function in resolved.functions:
                    entered.add(function)
                    stack.extend((value, additive) for value in facts.returns.get(function, []))
                if additive:
                    if any(owner not in entered for _param, owner in resolved.params):
                        result.unknown = True
                    if resolved.imported and isinstance(node, cst.Name):
                        result.unknown = True  # computed in another module: we cannot see what it reads
        if isinstance(node, cst.Call):
            fact = facts.call(node)
            passes_through = fact is not None and (fact.name in _ADDITIVE_CALLS or _calls_local_function(facts, node))
            stack.append((node.func, additive))
            stack.extend((arg.value, additive and passes_through) for arg in node.args)
            continue
        if isinstance(node, cst.Attribute):
            stack.append((node.value, False))
            continue
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        keeps = additive and isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.IfExp))
        stack.extend(
            (child, keeps)
            for child in node.children
            if isinstance(child, cst.BaseExpression) or _holds_expressions(child)
        )
    return result


def _calls_local_function(facts: ModuleFacts, node: cst.Call) -> bool:
    return isinstance(node.func, cst.Name) and bool(values_of(facts, node.func).functions)


def _holds_expressions(node: cst.CSTNode) -> bool:
    return isinstance(
        node,
        (
            cst.Arg,
            cst.Element,
            cst.BaseDictElement,
            cst.SubscriptElement,
            cst.Index,
            cst.CompFor,
            cst.CompIf,
            cst.Slice,
        ),
    )


def _is_value_position(facts: ModuleFacts, node: cst.CSTNode) -> bool:
    """True unless the node is the attribute part of an Attribute (``x.attr``'s ``attr``)."""
    parent = facts.parent(node)
    return not (isinstance(parent, cst.Attribute) and parent.attr is node)
