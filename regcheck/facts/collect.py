"""The facts pass: batchable collectors that run together in one walk of the tree.

Each collector owns some fields of ModuleFacts and is written as a libcst
BatchableCSTVisitor (``visit_Call`` / ``leave_FunctionDef`` ...). ``run_collectors``
runs them all in one plain walk over the nodes' fields in libcst's visiting
order, calling a collector only for the node types it has methods for: no
visitor dispatch for the other nodes, and no descent into whitespace, brackets
and operators unless a collector asks for those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst
import libcst.helpers
from libcst import BatchableCSTVisitor

from regcheck.facts.module import CallFact, LoopSource, ModuleFacts
from regcheck.facts.names import field_children

# Node kinds that live only in the fields the lean walk skips (child_fields).
_FORMATTING = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Semicolon,
    cst.Comma,
    cst.Colon,
    cst.Dot,
    cst.AssignEqual,
    cst.Asynchronous,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
)


def _callbacks(
    collectors: Iterable[BatchableCSTVisitor],
) -> tuple[dict[type, list[Callable[[cst.CSTNode], None]]], dict[type, list[Callable[[cst.CSTNode], None]]]]:
    visits: dict[type, list[Callable[[cst.CSTNode], None]]] = {}
    leaves: dict[type, list[Callable[[cst.CSTNode], None]]] = {}
    for collector in collectors:
        for method_name, method in collector.get_visitors().items():
            kind, _, type_name = method_name.partition("_")
            node_type = getattr(cst, type_name, None)
            if not (isinstance(node_type, type) and issubclass(node_type, cst.CSTNode)):
                raise TypeError(
                    f"{type(collector).__name__}.{method_name}: only visit_<Node> / leave_<Node> methods are run"
                )
            (visits if kind == "visit" else leaves).setdefault(node_type, []).append(method)
    return visits, leaves


def run_collectors(module: cst.Module, collectors: Iterable[BatchableCSTVisitor]) -> None:
    """Call every collector's ``visit_<Node>`` / ``leave_<Node>`` in the order ``cst.visit_batched``
    would (pre-order, source order), in one walk."""
    visits, leaves = _callbacks(collectors)
    wanted = set(visits) | set(leaves)
    lean = not any(issubclass(t, _FORMATTING) for t in wanted)
    if not lean:
        cst.visit_batched(module, list(collectors))
        return
    stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, leaving = pop()
        t = type(node)
        if leaving:
            for leave in leaves[t]:
                leave(node)
            continue
        callbacks = visits.get(t)
        if callbacks is not None:
            for visit in callbacks:
                visit(node)
        if t in leaves:
            push((node, True))
        for child in reversed(field_children(node)):
            push((child, False))


class FactCollector(BatchableCSTVisitor):
    """Base class: a batchable visitor that writes into one ModuleFacts."""

    def __init__(self, facts: ModuleFacts) -> None:
        super().__init__()
        self.facts = facts

    def finish(self) -> None:
        """Called once after the walk, for facts that need the whole module."""


class CallCollector(FactCollector):
    """Every call, with its canonical callee name and lexical context."""

    def __init__(self, facts: ModuleFacts) -> None:
        super().__init__(facts)
        self._functions: list[cst.FunctionDef] = []
        self._classes: list[cst.ClassDef] = []
        self._owners: list[cst.FunctionDef | cst.ClassDef] = []
        self._withs: list[cst.WithItem] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self._owners.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._owners.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        self._owners.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._owners.pop()

    def visit_With(self, node: cst.With) -> None:
        self._withs.extend(node.items)

    def leave_With(self, original_node: cst.With) -> None:
        del self._withs[len(self._withs) - len(original_node.items) :]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = func.value if isinstance(func, cst.Attribute) else None
        fact = CallFact(
            node=node,
            name=self.facts.canonical(func) if _is_dotted_name(func) else None,
            method=method,
            receiver=receiver,
            function=self._functions[-1] if self._functions else None,
            class_def=self._classes[-1] if self._classes else None,
            withs=tuple(self._withs),
            owners=tuple(self._owners),
        )
        self.facts.calls.append(fact)
        self.facts.calls_by_node[node] = fact


def _is_dotted_name(node: cst.BaseExpression) -> bool:
    """`a.b.c`, not `a().b`: libcst names `tf.train.Adam(0.1).minimize` as if the call were not there."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


class BindingCollector(FactCollector):
    """Which expression each name is bound to, loops, returns and module aliases."""

    def __init__(self, facts: ModuleFacts) -> None:
        super().__init__(facts)
        self._functions: list[cst.FunctionDef] = []

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
            self.facts.bound_values.setdefault(target, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements):
                    self._bind(t.value, v.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._loop(node.target, LoopSource(node.iter, (), node))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        filters = tuple(cond.test for cond in node.ifs)
        self._loop(node.target, LoopSource(node.iter, filters, node))

    def _loop(self, target: cst.BaseExpression, source: LoopSource) -> None:
        if isinstance(target, cst.Name):
            self.facts.loop_sources[target] = source
        elif isinstance(target, (cst.Tuple, cst.List)):
            # `for name, var in ...`: the last element is usually the value.
            for element in target.elements:
                if isinstance(element.value, cst.Name):
                    self.facts.loop_sources[element.value] = source

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self.facts.functions.append(node)
        self.facts.returns.setdefault(node, [])

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if self._functions and node.value is not None:
            self.facts.returns[self._functions[-1]].append(node.value)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is None and "." in alias.evaluated_name:
                continue  # `import tensorflow.compat.v1` binds only `tensorflow`, to the root package
            self._alias(alias.evaluated_alias or alias.evaluated_name, alias.evaluated_name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar) or node.module is None or node.relative:
            return
        module = cst.helpers.get_full_name_for_node(node.module)
        for alias in node.names:
            self._alias(alias.evaluated_alias or alias.evaluated_name, f"{module}.{alias.evaluated_name}")

    def _alias(self, local: str, imported: str) -> None:
        canon = _MODULE_ALIASES.get(imported)
        if canon is not None:
            self.facts.module_aliases[local] = canon

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "v1" and isinstance(node.value, cst.Attribute) and node.value.attr.value == "compat":
            self.facts.uses_compat_v1 = True


_MODULE_ALIASES = {
    "tensorflow": "tf",
    "tensorflow.compat.v2": "tf",
    "tensorflow.compat.v1": "tf.compat.v1",
    "keras": "keras",
    "tensorflow.keras": "keras",
    "tf_keras": "keras",
    "tensorflow.contrib.slim": "slim",
    "tf_slim": "slim",
}

CORE_COLLECTORS: list[type[FactCollector]] = [CallCollector, BindingCollector]
