"""Small libcst helpers for finding sites and rewriting them: names, parents, positions, edits.

A :class:`Tree` is one parsed module with its positions and parents (libcst metadata computed once,
on the module itself, so the nodes a site keeps are the nodes a transformer meets). An :class:`Edit`
rewrites chosen nodes (by identity) when the module is visited; everything else keeps its formatting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

N = TypeVar("N", bound=cst.CSTNode)
Result = cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[Any]
Rewrite = Callable[[Any], Result]
Scope = cst.Module | cst.FunctionDef | cst.ClassDef


def dotted(node: cst.CSTNode | None) -> str | None:
    """``tf.keras.layers.Dense`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def tail(node: cst.CSTNode | None) -> str | None:
    """The last name of a Name/Attribute (``Dense`` of ``layers.Dense``)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def callee_tail(node: cst.CSTNode) -> str | None:
    return tail(node.func) if isinstance(node, cst.Call) else None


def keyword(call: cst.Call, *names: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in names:
            return arg
    return None


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


class Tree:
    """A parsed module with positions, parents and its nodes by type."""

    def __init__(self, text: str) -> None:
        self.module = cst.parse_module(text)
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self._positions = wrapper.resolve(PositionProvider)
        self._parents = wrapper.resolve(ParentNodeProvider)
        self._by_type: dict[type, list[cst.CSTNode]] = defaultdict(list)
        for node in self._positions:
            self._by_type[type(node)].append(node)
        self._sorted: dict[type, list[cst.CSTNode]] = {}
        self._scopes: dict[cst.CSTNode, Scope] = {}

    def nodes(self, kind: type[N]) -> list[N]:
        """Every node of this type, in source order."""
        if kind not in self._sorted:
            self._sorted[kind] = sorted(self._by_type.get(kind, []), key=self.start)
        return self._sorted[kind]  # type: ignore[return-value]

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self._positions[node].start
        return position.line, position.column

    def lines(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self._positions[node]
        return position.start.line, position.end.line

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self._parents.get(node)
        while current is not None:
            yield current
            current = self._parents.get(current)

    def statement(self, node: cst.CSTNode) -> cst.BaseStatement:
        """The statement (a simple line or a compound statement) that holds the node."""
        if isinstance(node, cst.BaseStatement):
            return node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.BaseStatement):
                return ancestor
        raise ValueError("node outside any statement")

    def scope(self, node: cst.CSTNode) -> Scope:
        """The innermost function or class around the node, or the module."""
        found = self._scopes.get(node)
        if found is None:
            found = self.module
            for ancestor in self.ancestors(node):
                if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
                    found = ancestor
                    break
            self._scopes[node] = found
        return found

    def function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.ClassDef):
                return ancestor
        return None

    def inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))

    def within(self, scope: cst.CSTNode, kind: type[N]) -> list[N]:
        """Nodes of a type inside ``scope`` (nested functions included)."""
        if isinstance(scope, cst.Module):
            return self.nodes(kind)
        return [node for node in self.nodes(kind) if self.inside(node, scope)]

    def own(self, scope: Scope, kind: type[N]) -> list[N]:
        """Nodes of a type whose innermost function or class is ``scope``."""
        return [node for node in self.nodes(kind) if self.scope(node) is scope]

    def assignments(self, scope: Scope, name: str) -> list[cst.Assign]:
        """``name = ...`` statements of the scope (the target may be one of several or a tuple)."""
        found = []
        for assign in self.own(scope, cst.Assign):
            for target in assign.targets:
                names = {n.value for n in _target_names(target.target)}
                if name in names:
                    found.append(assign)
        return found

    def mentions(self, node: cst.CSTNode, name: str) -> bool:
        """Whether a Name ``name`` occurs in the node (not as an attribute or keyword)."""
        for sub in _walk(node):
            if isinstance(sub, cst.Name) and sub.value == name:
                parent = self._parents.get(sub)
                if isinstance(parent, cst.Attribute) and parent.attr is sub:
                    continue
                if isinstance(parent, cst.Arg) and parent.keyword is sub:
                    continue
                return True
        return False


def _target_names(node: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(node, cst.Name):
        return [node]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for element in node.elements for n in _target_names(element.value)]
    return []


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    return _walk(node)


class Edit(cst.CSTTransformer):
    """Rewrite chosen nodes (by identity) as the module is visited; all else keeps its formatting."""

    def __init__(self, rewrites: dict[cst.CSTNode, Rewrite]) -> None:
        super().__init__()
        self.rewrites = rewrites

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        rewrite = self.rewrites.get(original_node)
        if rewrite is None:
            return updated_node
        return rewrite(updated_node)


def apply(module: cst.Module, rewrites: dict[cst.CSTNode, Rewrite]) -> cst.Module:
    return module.visit(Edit(rewrites))


# --- rewrites that keep the surrounding formatting ----------------------------------


def without_arg(call: cst.Call, index: int) -> cst.Call:
    """The call without its ``index``-th argument; a removed last argument takes the previous
    argument's comma with it (``f(a, b=1)`` -> ``f(a)``, not ``f(a, )``)."""
    args = list(call.args)
    removed = args.pop(index)
    if index == len(args) and args:
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=args)


def without_element(node: cst.List | cst.Tuple, index: int) -> cst.List | cst.Tuple:
    elements = list(node.elements)
    removed = elements.pop(index)
    if index == len(elements) and elements:
        elements[-1] = elements[-1].with_changes(comma=removed.comma)
    return node.with_changes(elements=elements)


def with_arg_after(call: cst.Call, index: int, new: cst.Arg) -> cst.Call:
    """The call with ``new`` inserted after argument ``index``, in that argument's style: on its
    own line when the arguments are one per line."""
    args = list(call.args)
    anchor = args[index]
    if isinstance(anchor.comma, cst.Comma):
        new = new.with_changes(comma=anchor.comma)
    else:  # the anchor was last: it gets the comma the argument before it has (or ", ")
        previous = args[index - 1].comma if index > 0 else None
        comma = previous if isinstance(previous, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args[index] = anchor.with_changes(comma=comma)
        new = new.with_changes(comma=anchor.comma)
    args.insert(index + 1, new)
    return call.with_changes(args=args)


def with_element(node: cst.List | cst.Tuple, new: cst.BaseExpression) -> cst.List | cst.Tuple:
    """The list with ``new`` appended, in the style of its elements."""
    elements = list(node.elements)
    last = elements[-1]
    element = cst.Element(new, comma=last.comma)
    if isinstance(last.comma, cst.Comma):
        elements.append(element)
    else:
        previous = elements[-2].comma if len(elements) > 1 else None
        comma = previous if isinstance(previous, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        elements[-1] = last.with_changes(comma=comma)
        elements.append(element)
    return node.with_changes(elements=elements)


def operand_removed(binop: cst.BinaryOperation, keep_left: bool) -> cst.BaseExpression:
    """``a + b`` as ``a`` (or ``b``): the kept side takes the operation's parentheses."""
    kept = binop.left if keep_left else binop.right
    if not binop.lpar:
        return kept
    return kept.with_changes(lpar=[*binop.lpar, *kept.lpar], rpar=[*kept.rpar, *binop.rpar])


# --- the same, as rewrites for Edit -------------------------------------------------


def remove(updated: cst.CSTNode) -> cst.RemovalSentinel:
    return cst.RemoveFromParent()


def drop_arg(index: int) -> Rewrite:
    return lambda updated: without_arg(updated, index)


def drop_element(index: int) -> Rewrite:
    return lambda updated: without_element(updated, index)


def add_arg_after(index: int, new: cst.Arg) -> Rewrite:
    return lambda updated: with_arg_after(updated, index, new)


def add_element(new: cst.BaseExpression) -> Rewrite:
    return lambda updated: with_element(updated, new)


def keep_operand(keep_left: bool) -> Rewrite:
    return lambda updated: operand_removed(updated, keep_left)


def then(statement: cst.BaseStatement) -> Rewrite:
    """The statement, followed by ``statement``."""
    return lambda updated: cst.FlattenSentinel([updated, statement])


def rename_keyword(index: int, name: str) -> Rewrite:
    def rewrite(call: cst.Call) -> cst.Call:
        arg = call.args[index].with_changes(keyword=cst.Name(name))
        return call.with_changes(args=[*call.args[:index], arg, *call.args[index + 1 :]])

    return rewrite


def rename_callee(name: str) -> Rewrite:
    """``layers.Conv2D(...)`` -> ``layers.<name>(...)``."""
    return lambda call: call.with_changes(func=call.func.with_changes(attr=cst.Name(name)))


def parse_expression(code: str, like: cst.Module) -> cst.BaseExpression:
    return cst.parse_expression(code, config=like.config_for_parsing)


def parse_statement(code: str, like: cst.Module) -> cst.BaseStatement:
    return cst.parse_statement(code, config=like.config_for_parsing)
