"""TF1 variables: who creates them, their role, and the regularizer attached at creation."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import is_given, literal_value
from regcheck.facts.module import CallFact, ModuleFacts
from regcheck.facts.roles import Role, role_from_names, role_from_rank


@dataclass(eq=False)
class VariableFact:
    symbol: str  # how the code refers to it: "w1", "weights['h1']"
    call: CallFact  # tf.Variable / tf.get_variable call
    anchor: cst.CSTNode  # the node expressions refer to (the target, or the dict value)
    role: Role
    tf_name: str | None
    regularizer: cst.BaseExpression | None  # get_variable(regularizer=...)
    scope_regularizer: cst.BaseExpression | None  # enclosing variable_scope(regularizer=...)
    via_get_variable: bool

    @property
    def collection_penalized(self) -> bool:
        """Penalized through REGULARIZATION_LOSSES (if that collection reaches the loss)."""
        if not self.via_get_variable:
            return False
        return is_given(self.regularizer) or is_given(self.scope_regularizer)


def variables(facts: ModuleFacts) -> list[VariableFact]:
    return facts.cached("variables", _collect)


def variable_for_node(facts: ModuleFacts, node: cst.CSTNode) -> VariableFact | None:
    by_anchor: dict[cst.CSTNode, VariableFact] = facts.cached(
        "variables_by_anchor", lambda f: {v.call.node: v for v in variables(f)}
    )
    return by_anchor.get(node)


def _collect(facts: ModuleFacts) -> list[VariableFact]:
    found: list[VariableFact] = []
    for call in facts.calls_named(vocabulary.VARIABLE_CONSTRUCTORS):
        symbol, dict_name = _symbol_for(facts, call.node)
        is_get = call.name != "tf.Variable"
        tf_name = literal_value(call.value("name", 0 if is_get else None))
        if not isinstance(tf_name, str):
            tf_name = None
        rank = _rank(facts, call, is_get)
        role = role_from_names(tf_name, symbol.split("[")[0] if "[" not in symbol else _key_of(symbol), dict_name)
        if role is Role.UNKNOWN:
            role = role_from_rank(rank)
        elif role in (Role.WEIGHT, Role.BIAS) and rank is not None:
            # A stated shape beats a name: a rank-1 "w" is still a vector.
            by_rank = role_from_rank(rank)
            if by_rank is not Role.UNKNOWN:
                role = by_rank
        found.append(
            VariableFact(
                symbol=symbol,
                call=call,
                anchor=call.node,
                role=role,
                tf_name=tf_name,
                regularizer=call.value("regularizer") if is_get else None,
                scope_regularizer=_scope_regularizer(facts, call) if is_get else None,
                via_get_variable=is_get,
            )
        )
    return found


def _key_of(symbol: str) -> str:
    return symbol.split("[", 1)[1].strip("]'\"")


def _symbol_for(facts: ModuleFacts, call: cst.Call) -> tuple[str, str | None]:
    """The name code uses for the variable a call creates, and the dict holding it if any."""
    parent = facts.parent(call)
    if isinstance(parent, cst.DictElement) and parent.value is call:
        key = literal_value(parent.key)
        holder = facts.parent(parent)
        target = facts.parent(holder) if holder is not None else None
        dict_name = None
        if isinstance(target, cst.Assign) and len(target.targets) == 1:
            dict_name = facts.code(target.targets[0].target)
        if dict_name and key is not None:
            return f"{dict_name}[{facts.code(parent.key)}]", dict_name
    if isinstance(parent, cst.Element):
        holder = facts.parent(parent)
        target = facts.parent(holder) if isinstance(holder, (cst.List, cst.Tuple)) else None
        if (
            isinstance(target, cst.Assign)
            and len(target.targets) == 1
            and isinstance(target.targets[0].target, cst.Name)
        ):
            assert isinstance(holder, (cst.List, cst.Tuple))
            index = next(i for i, e in enumerate(holder.elements) if e is parent)
            return f"{target.targets[0].target.value}[{index}]", None
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return facts.code(parent.targets[0].target), None
    if isinstance(parent, (cst.AnnAssign,)):
        return facts.code(parent.target), None
    return facts.code(call), None


def _rank(facts: ModuleFacts, call: CallFact, is_get: bool) -> int | None:
    shape = call.value("shape", 1) if is_get else None
    if shape is None:
        init = call.value("initializer") if is_get else call.value("initial_value", 0)
        if isinstance(init, cst.Call):
            shape = _shape_arg(facts, init)
    if isinstance(shape, (cst.List, cst.Tuple)):
        return len(shape.elements)
    return None


def _shape_arg(facts: ModuleFacts, init: cst.Call) -> cst.BaseExpression | None:
    fact = facts.call(init)
    if fact is None:
        return None
    if fact.name in ("tf.constant", "tf.fill"):
        return fact.value("shape", 1 if fact.name == "tf.constant" else 0)
    return fact.value("shape", 0)


def _scope_regularizer(facts: ModuleFacts, call: CallFact) -> cst.BaseExpression | None:
    for item in reversed(call.withs):
        scope_call = facts.call(item.item)
        if scope_call is not None and scope_call.name == "tf.variable_scope":
            regularizer = scope_call.value("regularizer")
            if regularizer is not None:
                return regularizer
    return None
