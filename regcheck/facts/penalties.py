"""Explicit penalty terms written into a loss: ``0.01 * tf.nn.l2_loss(w)`` and friends.

A term counts as a penalty only when its argument resolves to variables (a
named variable, a dict entry, a loop over a list of them or over all trainable
variables); ``tf.nn.l2_loss(pred - y)`` is a data loss and is not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import literal_value, resolve_expr, values_of
from regcheck.facts.module import LoopSource, ModuleFacts
from regcheck.facts.variables import VariableFact, variable_for_node

_REDUCTIONS = frozenset({"tf.reduce_sum", "tf.math.reduce_sum", "tf.reduce_mean", "tf.math.reduce_mean"})
_SQUARES = frozenset({"tf.square", "tf.math.square"})
_ABS = frozenset({"tf.abs", "tf.math.abs"})
_NORMS = frozenset({"tf.norm", "tf.linalg.norm"})
# Every name a penalty term is recognised by: what a file must mention to hold one (the prefilter).
PENALTY_VOCABULARY = (
    vocabulary.L2_PENALTY_FUNCS | _REDUCTIONS | _NORMS | vocabulary.REGULARIZER_FACTORIES | {"regularizer"}
)
# Iterables that hold every (trainable) variable of the graph or model.
ALL_VARIABLE_SOURCES = frozenset(
    {
        "tf.trainable_variables",
        "tf.global_variables",
        "tf.all_variables",
        "tf.model_variables",
        "slim.get_model_variables",
    }
)


@dataclass(eq=False)
class PenaltyTerm:
    call: cst.Call
    term: cst.BaseExpression  # the call with the coefficient that multiplies only it
    subject: cst.BaseExpression
    kind: str  # "l2", "l1", "norm" or "regularizer"
    coefficient: cst.BaseExpression | None
    zero: bool
    covers: list[VariableFact] = field(default_factory=list)
    all_variables: bool = False
    filtered: bool = False  # a filter picks some of the variables (whatever it excludes)
    # The filter is known to let biases through: it only tests for normalization names
    # (`if 'batch_normalization' not in v.name`), so every bias is still penalized.
    biases_pass_filter: bool = False
    part_only: bool = False  # the variables of one indexed layer, not of the graph or the whole model
    source_list: cst.List | cst.Tuple | None = None  # a hand-kept list the penalty loops over
    loop: LoopSource | None = None


def penalty_terms(facts: ModuleFacts) -> list[PenaltyTerm]:
    return facts.cached("penalty_terms", _collect)


def _collect(facts: ModuleFacts) -> list[PenaltyTerm]:
    terms: list[PenaltyTerm] = []
    for call in facts.calls:
        found = _classify(facts, call.node, call.name)
        if found is None:
            continue
        kind, subject = found
        if not _penalty_position(facts, call.node, kind):
            continue  # `w / tf.norm(w)`: weight normalization, a cosine classifier, not a penalty
        term = PenaltyTerm(
            call=call.node,
            term=_with_coefficient(facts, call.node),
            subject=subject,
            kind=kind,
            coefficient=None,
            zero=False,
        )
        if not _resolve_subject(facts, term):
            continue
        term.coefficient = _coefficient(facts, call.node)
        term.zero = is_zero(facts, term.coefficient)
        terms.append(term)
    return terms


def _classify(facts: ModuleFacts, node: cst.Call, name: str | None) -> tuple[str, cst.BaseExpression] | None:
    args = [a.value for a in node.args if a.keyword is None and not a.star]
    keyword = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    first = args[0] if args else keyword.get("t") or keyword.get("input_tensor") or keyword.get("tensor")
    if first is None:
        return None
    if name in vocabulary.L2_PENALTY_FUNCS:
        return "l2", first
    if name in _NORMS:
        return "norm", first
    if name in _REDUCTIONS and isinstance(first, (cst.Call, cst.BinaryOperation)):
        inner = first
        if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Power):
            if literal_value(inner.right) == 2:
                return "l2", inner.left
            return None
        if isinstance(inner, cst.Call):
            inner_fact = facts.call(inner)
            inner_args = [a.value for a in inner.args if a.keyword is None]
            if inner_fact is None or not inner_args:
                return None
            if inner_fact.name in _SQUARES:
                return "l2", inner_args[0]
            if inner_fact.name in _ABS:
                return "l1", inner_args[0]
        return None
    # A regularizer object applied to a tensor: `reg(w)` or `l2_regularizer(0.1)(w)`.
    if name is None and len(args) == 1 and not keyword:
        for factory in resolve_expr(facts, node.func):
            fact = facts.call(factory)
            if fact is not None and fact.name in vocabulary.REGULARIZER_FACTORIES:
                return "regularizer", first
    return None


def _resolve_subject(facts: ModuleFacts, term: PenaltyTerm) -> bool:
    """Fill ``covers``/``all_variables``; False when the subject is not a variable at all."""
    subject = term.subject
    resolved = values_of(facts, subject) if isinstance(subject, (cst.Name, cst.Subscript, cst.Attribute)) else None
    if resolved is not None and resolved.loops:
        term.loop = resolved.loops[0]
        guards = list(term.loop.filters) + _loop_guards(facts, term)
        term.filtered = bool(guards)
        term.biases_pass_filter = bool(guards) and all(_lets_biases_through(facts, g) for g in guards)
        return _resolve_iterable(facts, term, term.loop.iterable)
    if isinstance(subject, cst.Subscript) and resolved is not None and not resolved.values:
        # `weights[k]` with `k` a loop variable over the dict: every entry of the dict.
        return _resolve_dict(facts, term, subject.value)
    for value in resolve_expr(facts, subject):
        variable = variable_for_node(facts, value)
        if variable is not None:
            term.covers.append(variable)
    return bool(term.covers)


def _resolve_iterable(facts: ModuleFacts, term: PenaltyTerm, iterable: cst.BaseExpression) -> bool:
    # `model.trainable_variables` is bound nowhere in the module: take the expression itself.
    for value in resolve_expr(facts, iterable) or [iterable]:
        if isinstance(value, cst.Call):
            fact = facts.call(value)
            if fact is not None and fact.name in ALL_VARIABLE_SOURCES:
                term.all_variables = True
                return True
            if fact is not None and fact.name == "tf.get_collection":
                key = fact.value("key", 0)
                key_name = facts.canonical(key) if key is not None else None
                if key_name in ("tf.GraphKeys.TRAINABLE_VARIABLES", "tf.GraphKeys.GLOBAL_VARIABLES") or literal_value(
                    key
                ) in ("trainable_variables", "variables"):
                    term.all_variables = True
                    return True
            if fact is not None and fact.method in ("values",) and fact.receiver is not None:
                return _resolve_dict(facts, term, fact.receiver)
        if isinstance(value, cst.Attribute) and value.attr.value in vocabulary.VARIABLE_LIST_ATTRIBUTES:
            term.all_variables = True
            # `self.layers_[0].trainable_variables`: one part of a model, whose biases we cannot see.
            term.part_only = isinstance(value.value, cst.Subscript)
            return True
        if isinstance(value, (cst.List, cst.Tuple)):
            term.source_list = value
            for element in value.elements:
                for item in resolve_expr(facts, element.value):
                    variable = variable_for_node(facts, item)
                    if variable is not None:
                        term.covers.append(variable)
            return bool(term.covers)
        if isinstance(value, cst.Name):
            return _resolve_dict(facts, term, value)
    return False


def _resolve_dict(facts: ModuleFacts, term: PenaltyTerm, holder: cst.BaseExpression) -> bool:
    for value in resolve_expr(facts, holder):
        if isinstance(value, cst.Dict):
            for element in value.elements:
                if isinstance(element, cst.DictElement):
                    variable = variable_for_node(facts, element.value)
                    if variable is not None:
                        term.covers.append(variable)
    return bool(term.covers)


def _loop_guards(facts: ModuleFacts, term: PenaltyTerm) -> list[cst.BaseExpression]:
    """The tests a `for` loop body makes before penalizing (`if "bias" not in v.name:`)."""
    assert term.loop is not None
    guards: list[cst.BaseExpression] = []
    if isinstance(term.loop.owner, cst.CompFor):
        return guards  # a comprehension's own `if` clauses are its filters; an `if` around it is not one
    for ancestor in facts.ancestors(term.call):
        if ancestor is term.loop.owner:
            break
        if isinstance(ancestor, cst.If):
            guards.append(ancestor.test)
    return guards


# Name fragments that only normalization parameters (and their statistics) carry.
_NORMALIZATION_WORDS = ("batch_norm", "batchnorm", "bn", "norm", "gamma", "beta", "moving", "evonorm", "layer_norm")


def _lets_biases_through(facts: ModuleFacts, test: cst.BaseExpression) -> bool:
    """True only when the filter is known to keep biases: every string it tests for a name is a
    normalization word, tested with ``not in`` (or ``and``-ed such tests). A test on the shape, on
    ``bias`` / ``kernel`` / ``weights``, or anything else is taken to leave biases out."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _lets_biases_through(facts, test.left) and _lets_biases_through(facts, test.right)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        word = literal_value(test.left)
        if isinstance(target.operator, cst.NotIn) and isinstance(word, str):
            return any(w in word.lower() for w in _NORMALIZATION_WORDS) and "bias" not in word.lower()
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if (
            isinstance(inner, cst.Call)
            and isinstance(inner.func, cst.Attribute)
            and inner.func.attr.value in ("startswith", "endswith", "__contains__")
            and inner.args
        ):
            word = literal_value(inner.args[0].value)
            return isinstance(word, str) and any(w in word.lower() for w in _NORMALIZATION_WORDS)
    return False


# Calls through which a penalty still reaches a sum: `tf.add_n([...])`, `tf.reduce_sum(...)`, `sum(...)`.
_SUMMING_CALLS = frozenset(
    {"tf.add", "tf.add_n", "tf.math.add", "tf.math.add_n", "tf.identity", "tf.cast", *_REDUCTIONS}
)


def _penalty_position(facts: ModuleFacts, node: cst.Call, kind: str) -> bool:
    """Is the term where a penalty goes: added (possibly scaled) into something, not divided by?

    A norm is a penalty only when it is one number (no ``axis=``) that is summed or scaled: a
    per-unit norm (``tf.norm(kernel, axis=0)``), or a norm something is divided by or that feeds
    another op (``tf.maximum(tf.norm(v), eps)``), normalizes weights instead of penalizing them."""
    if kind == "norm":
        axis = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "axis"), None)
        positional = [a for a in node.args if a.keyword is None]
        if (axis is not None and not (isinstance(axis, cst.Name) and axis.value == "None")) or len(positional) > 2:
            return False
    current: cst.CSTNode = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, (cst.BaseSmallStatement, cst.BaseStatement)):
            return True
        if isinstance(ancestor, cst.BinaryOperation):
            if isinstance(ancestor.operator, (cst.Divide, cst.FloorDivide)) and ancestor.right is current:
                return False  # `v / tf.norm(v)`
        elif isinstance(ancestor, cst.Call) and kind == "norm":
            fact = facts.call(ancestor)
            summing = fact is not None and fact.name in _SUMMING_CALLS
            builtin_sum = isinstance(ancestor.func, cst.Name) and ancestor.func.value == "sum"
            if ancestor.func is not current and not summing and not builtin_sum:
                return False
        elif isinstance(ancestor, (cst.Lambda, cst.FunctionDef)):
            return True
        current = ancestor
    return True


def _is_scaling(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Multiply, cst.Divide))


def _with_coefficient(facts: ModuleFacts, node: cst.BaseExpression) -> cst.BaseExpression:
    """Climb `coef * term` / `term / n` wrappers that scale only this term."""
    current = node
    parent = facts.parent(current)
    while parent is not None and _is_scaling(parent):
        assert isinstance(parent, cst.BinaryOperation)
        other = parent.right if parent.left is current else parent.left
        if _contains_call(other):
            break
        current = parent
        parent = facts.parent(current)
    return current


def _contains_call(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Call):
        return True
    return any(_contains_call(child) for child in node.children)


def _coefficient(facts: ModuleFacts, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The factor multiplying a term, looking through sums, lists and add_n (stops at statements)."""
    current: cst.CSTNode = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, (cst.BaseStatement, cst.BaseSmallStatement)):
            return None
        if isinstance(ancestor, cst.BinaryOperation) and isinstance(ancestor.operator, cst.Multiply):
            return ancestor.right if ancestor.left is current else ancestor.left
        current = ancestor
    return None


def is_zero(facts: ModuleFacts, coefficient: cst.BaseExpression | None) -> bool:
    if coefficient is None:
        return False
    if isinstance(coefficient, cst.Name):
        # `def layer(x, wd=0.0)`: a zero default is a deliberate "no penalty here".
        for param, _owner in values_of(facts, coefficient).params:
            if param.default is not None and literal_value(param.default) == 0:
                return True
    return any(literal_value(value) == 0 for value in resolve_expr(facts, coefficient))
