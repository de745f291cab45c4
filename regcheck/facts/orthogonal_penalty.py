"""Hand-written orthogonality penalties, and a proof that one is Keras' OrthogonalRegularizer.

``keras.regularizers.OrthogonalRegularizer(factor, mode)`` computes, for a
rank-2 kernel ``w``::

    n = l2_normalize(w, axis=0)           # mode="columns" (axis=1 for "rows")
    p = n^T n                             # (n n^T for "rows")
    s = p.shape[0]
    factor * 0.5 * sum(|p * (1 - eye(s))|) / (s * (s - 1) / 2)

``match_builtin`` evaluates the value a hand-written function returns into a
small term language (normalize, transpose, matmul, eye, shape dimensions,
arithmetic, abs, sum) and accepts it only when it is this penalty, up to how
the scalar factors are arranged. Anything it cannot evaluate is "not proven".

``per_element_loops`` finds the O(n^2) variant: two nested Python loops over
``range`` that index the tensor and build one graph op per pair.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeAlias

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import literal_value, values_of
from regcheck.facts.module import ModuleFacts
from regcheck.facts.regularizer_functions import RegularizerFunction

_NORMALIZE = frozenset(
    {"tf.math.l2_normalize", "tf.nn.l2_normalize", "keras.backend.l2_normalize", "keras.ops.normalize"}
)
_TRANSPOSE = frozenset({"tf.transpose", "tf.linalg.transpose", "keras.backend.transpose", "keras.ops.transpose"})
_MATMUL = frozenset({"tf.matmul", "tf.linalg.matmul", "keras.backend.dot", "keras.ops.matmul", "keras.ops.dot"})
_ABS = frozenset({"tf.abs", "tf.math.abs", "keras.backend.abs", "keras.ops.abs", "keras.ops.absolute"})
_SUM = frozenset({"tf.reduce_sum", "tf.math.reduce_sum", "keras.backend.sum", "keras.ops.sum"})
_SHAPES = frozenset({"tf.shape", "keras.backend.int_shape", "keras.backend.shape", "keras.ops.shape"})
_CASTS = frozenset({"tf.cast", "keras.backend.cast", "keras.ops.cast"})

Term: TypeAlias = (
    tuple[
        Any, ...
    ]  # ("w",), ("norm", t, axis), ("T", t), ("mm", a, b), ("eye", d), ("dim", axis), ("const", c), (op, a, b) ...
)


class _Unknown(Exception):
    """The expression is outside the term language: nothing is proven."""


@dataclass(frozen=True)
class BuiltinMatch:
    factor: float
    mode: str  # "rows" or "columns"


def match_builtin(function: RegularizerFunction) -> BuiltinMatch | None:
    node = function.node
    if function.param is None:
        return None
    if isinstance(node, cst.Lambda):
        returned = [node.body]
    else:
        assert isinstance(node, cst.FunctionDef)  # RegularizerFunction.node: a FunctionDef or a Lambda
        returned = function.facts.returns.get(node, [])
    if len(returned) != 1:
        return None
    try:
        term = _Evaluator(function).eval(returned[0])
        coefficient, factors = _monomial(term)
    except _Unknown:
        return None
    for mode, axis, size in (("columns", 0, 1), ("rows", 1, 0)):
        normalized = ("norm", ("w",), axis)
        gram = ("mm", ("T", normalized), normalized) if mode == "columns" else ("mm", normalized, ("T", normalized))
        mask = ("sub", ("const", 1.0), ("eye", ("dim", size)))
        dim = ("dim", size)
        penalties = [("sum", ("abs", (op, a, b))) for op in ("mul",) for a, b in ((gram, mask), (mask, gram))]
        for penalty in penalties:
            wanted = Counter({penalty: 1, dim: -1, ("sub", dim, ("const", 1.0)): -1})
            if factors == wanted and coefficient > 0:
                return BuiltinMatch(round(coefficient, 12), mode)
    return None


class _Evaluator:
    def __init__(self, function: RegularizerFunction) -> None:
        self.facts: ModuleFacts = function.facts
        self.param = function.param
        self.depth = 0

    def eval(self, node: cst.BaseExpression) -> Term:
        self.depth += 1
        if self.depth > 60:
            raise _Unknown
        try:
            return self._eval(node)
        finally:
            self.depth -= 1

    def _eval(self, node: cst.BaseExpression) -> Term:
        facts = self.facts
        value = literal_value(node)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return ("const", float(value))
        if isinstance(node, cst.Name):
            resolved = values_of(facts, node)
            if any(p is self.param for p, _ in resolved.params):
                return ("w",)
            if len(resolved.values) != 1 or resolved.params or resolved.loops:
                raise _Unknown
            return self.eval(resolved.values[0])
        if isinstance(node, cst.Attribute) and node.attr.value == "T":
            return _transpose(self.eval(node.value))
        if isinstance(node, cst.BinaryOperation):
            ops = {
                cst.Add: "add",
                cst.Subtract: "sub",
                cst.Multiply: "mul",
                cst.Divide: "div",
                cst.MatrixMultiply: "mm",
            }
            op = ops.get(type(node.operator))
            if op is None:
                raise _Unknown
            return _combine(op, self.eval(node.left), self.eval(node.right))
        if isinstance(node, cst.Subscript):
            return self._dimension(node)
        if isinstance(node, cst.Call):
            return self._call(node)
        raise _Unknown

    def _call(self, node: cst.Call) -> Term:
        fact = self.facts.call(node)
        if fact is None:
            raise _Unknown
        name = fact.name
        first = fact.value("x", 0) or fact.value("a", 0) or fact.value("input_tensor", 0) or fact.value("num_rows", 0)
        if isinstance(node.func, cst.Name) and node.func.value in ("int", "float") and len(node.args) == 1:
            return self.eval(node.args[0].value)
        if first is None:
            raise _Unknown
        if name in _CASTS:
            return self.eval(first)
        if name in _NORMALIZE:
            axis = literal_value(fact.value("axis", 1))
            if not isinstance(axis, int):
                raise _Unknown
            return ("norm", self.eval(first), axis % 2)
        if name in _TRANSPOSE and fact.value("perm", 1) is None and fact.value("axes", 1) is None:
            return _transpose(self.eval(first))
        if name in _MATMUL:
            second = fact.value("b", 1) or fact.value("y", 1) or fact.value("x2", 1)
            if second is None:
                raise _Unknown
            a, b = self.eval(first), self.eval(second)
            if _flag(fact.value("transpose_a")):
                a = _transpose(a)
            if _flag(fact.value("transpose_b")):
                b = _transpose(b)
            return ("mm", a, b)
        if name in vocabulary.EYE_FUNCS and fact.value("num_columns", 1) is None:
            return ("eye", self.eval(first))
        if name in _ABS:
            return ("abs", self.eval(first))
        if name in _SUM and fact.value("axis", 1) is None:
            return ("sum", self.eval(first))
        raise _Unknown

    def _dimension(self, node: cst.Subscript) -> Term:
        """``t.shape[k]`` / ``tf.shape(t)[k]``: which axis of w that is."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            raise _Unknown
        index = literal_value(node.slice[0].slice.value)
        base = node.value
        if isinstance(base, cst.Attribute) and base.attr.value == "shape":
            tensor = base.value
        else:
            fact = self.facts.call(base)
            if fact is None or fact.name not in _SHAPES or not fact.positional:
                raise _Unknown
            tensor = fact.positional[0].value
        if not isinstance(index, int):
            raise _Unknown
        return ("dim", _dims(self.eval(tensor))[index % 2])


def _flag(node: cst.BaseExpression | None) -> bool:
    if node is None:
        return False
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    raise _Unknown


def _transpose(term: Term) -> Term:
    return term[1] if term[0] == "T" else ("T", term)


def _combine(op: str, a: Term, b: Term) -> Term:
    if op == "sub" and b[0] == "mul" and a in (b[1], b[2]):
        raise _Unknown  # `p - p * eye`: a different spelling of the mask, left unproven
    return (op, a, b)


def _dims(term: Term) -> tuple[int, int]:
    """The axes of w that a matrix term's two dimensions are."""
    kind = term[0]
    if kind == "w":
        return (0, 1)
    if kind == "norm":
        return _dims(term[1])
    if kind == "T":
        rows, cols = _dims(term[1])
        return (cols, rows)
    if kind == "mm":
        return (_dims(term[1])[0], _dims(term[2])[1])
    if kind in ("mul", "sub", "add"):
        for side in (term[1], term[2]):
            if side[0] not in ("const", "eye", "dim"):
                return _dims(side)
    raise _Unknown


def _monomial(term: Term) -> tuple[float, Counter[Term]]:
    """``c * prod(atom ** k)`` for products and quotients of scalars; sums stay atoms."""
    kind = term[0]
    if kind == "const":
        return term[1], Counter()
    if kind in ("mul", "div"):
        c1, f1 = _monomial(term[1])
        c2, f2 = _monomial(term[2])
        if kind == "div":
            if c2 == 0:
                raise _Unknown
            c2, f2 = 1.0 / c2, Counter({k: -v for k, v in f2.items()})
        merged = Counter(f1)
        for key, power in f2.items():
            merged[key] += power
        return c1 * c2, Counter({k: v for k, v in merged.items() if v != 0})
    if kind == "sub" and term[2][0] == "const" and term[1][0] == "dim":
        return 1.0, Counter({("sub", term[1], ("const", float(term[2][1]))): 1})
    return 1.0, Counter({term: 1})


def per_element_loops(function: RegularizerFunction) -> cst.CSTNode | None:
    """The inner of two nested ``range`` loops whose body indexes the tensor (O(n^2) graph ops)."""
    facts, name = function.facts, function.param_name
    if name is None:
        return None
    loops = []
    for source in facts.loop_sources.values():
        iterable = facts.call(source.iterable)
        if iterable is None or not (isinstance(iterable.node.func, cst.Name) and iterable.node.func.value == "range"):
            continue
        if function.node in facts.ancestors(source.owner):
            loops.append(source.owner)
    indexing = re.compile(rf"\b{re.escape(name)}\s*\[")
    for inner in loops:
        for outer in loops:
            if outer is inner or outer not in facts.ancestors(inner):
                continue
            # A comprehension's element sits beside its `for` clauses: read the whole comprehension.
            body = facts.parent(outer) if isinstance(outer, cst.CompFor) else outer
            if body is not None and indexing.search(facts.code(body)):
                return inner
    return None
