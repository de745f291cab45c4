"""Optimizers: which ones decay weights themselves, which are adaptive, and which model each one trains.

An optimizer is a constructor call (``keras.optimizers.AdamW(...)``,
``tf.train.AdamOptimizer(...)``, ``tfa.optimizers.SGDW(...)``) or a
``compile(optimizer="adamw")`` string. It trains the models it is wired to:
``model.compile(optimizer=opt)``, ``opt.apply_gradients(zip(g, model.trainable_variables))``,
``opt.minimize(loss, var_list=model.trainable_variables)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import is_none_literal, literal_value, resolve_expr
from regcheck.facts.module import CallFact, ModuleFacts

_TFA_PREFIX = "tensorflow_addons.optimizers."
_TFA_EXTEND = _TFA_PREFIX + "extend_with_decoupled_weight_decay"


@dataclass(eq=False)
class OptimizerFact:
    node: cst.CSTNode  # the constructor call, or the string passed to compile
    call: CallFact | None
    cls: str  # "AdamW", "Adam", "adamw" ...
    keras: bool  # a Keras optimizer (has exclude_from_weight_decay)
    decoupled: bool  # decays weights itself (AdamW, weight_decay=...)
    adaptive: bool  # Adam-like, without decoupled decay
    models: list[cst.BaseExpression] = field(default_factory=list)  # expressions of the models it trains
    minimize: list[CallFact] = field(default_factory=list)  # TF1-style opt.minimize(loss) calls
    applies: list[CallFact] = field(default_factory=list)  # opt.apply_gradients(...) calls
    excluded: bool = False  # exclude_from_weight_decay / decay_var_list / exclude_from_weight_decay=
    raw_updates: bool = False  # applied to variables that are not some model's (hand-made tf.Variables)


def binding(facts: ModuleFacts, optimizer: OptimizerFact) -> cst.SimpleStatementLine | None:
    """``opt = AdamW(...)`` as a statement of its own, for fixes that add a line after it."""
    if optimizer.call is None:
        return None
    assign = facts.parent(optimizer.call.node)
    statement = facts.parent(assign) if isinstance(assign, cst.Assign) else None
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        assert isinstance(assign, cst.Assign)
        if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
            return statement
    return None


def optimizers(facts: ModuleFacts) -> list[OptimizerFact]:
    return facts.cached("optimizers", _collect)


def _collect(facts: ModuleFacts) -> list[OptimizerFact]:
    found: dict[cst.CSTNode, OptimizerFact] = {}
    for call in facts.calls:
        fact = _constructor(facts, call)
        if fact is not None:
            found[call.node] = fact
    for call in facts.calls:
        if call.method == "compile" and call.name is None:
            value = call.value("optimizer", 0)
            text = literal_value(value)
            if isinstance(text, str) and value is not None:
                lowered = text.lower()
                found[value] = OptimizerFact(
                    value,
                    None,
                    lowered,
                    True,
                    decoupled=lowered in vocabulary.DECOUPLED_DECAY_OPTIMIZER_STRINGS,
                    adaptive=lowered in vocabulary.ADAPTIVE_OPTIMIZER_STRINGS,
                )
            for optimizer in _resolve(facts, found, value):
                if call.receiver is not None:
                    optimizer.models.append(call.receiver)
        elif call.receiver is not None and call.method in ("apply_gradients", "minimize", "exclude_from_weight_decay"):
            for optimizer in _resolve(facts, found, call.receiver):
                _wire(facts, optimizer, call)
    return list(found.values())


def _resolve(
    facts: ModuleFacts, found: dict[cst.CSTNode, OptimizerFact], expr: cst.BaseExpression | None
) -> list[OptimizerFact]:
    if expr is None:
        return []
    return [found[v] for v in [expr, *resolve_expr(facts, expr)] if v in found]


def _wire(facts: ModuleFacts, optimizer: OptimizerFact, call: CallFact) -> None:
    if call.method == "exclude_from_weight_decay":
        optimizer.excluded = True
        return
    if call.arg("decay_var_list") is not None:
        optimizer.excluded = True  # tensorflow_addons: decay only the listed variables
    if call.method == "minimize":
        optimizer.minimize.append(call)
        var_list = call.value("var_list", 1)
        sources = [var_list] if var_list is not None else []
    else:
        optimizer.applies.append(call)
        pairs = call.value("grads_and_vars", 0)
        sources = [a.value for a in pairs.args[1:2]] if isinstance(pairs, cst.Call) and pairs.args else []
    found = False
    for source in sources:
        for value in [source, *resolve_expr(facts, source)]:
            if isinstance(value, cst.Attribute) and value.attr.value in vocabulary.VARIABLE_LIST_ATTRIBUTES:
                optimizer.models.append(value.value)
                found = True
    optimizer.raw_updates = optimizer.raw_updates or (bool(sources) and not found)


def _switched_off(decay: cst.BaseExpression) -> bool:
    """``weight_decay=0`` / ``weight_decay=None``: no decay at all."""
    return literal_value(decay) == 0 or is_none_literal(decay)


def _tfa_decoupled_class(facts: ModuleFacts, func: cst.BaseExpression) -> cst.Call | None:
    """``extend_with_decoupled_weight_decay(Base)``, called in place or through the name it was bound to."""
    if isinstance(func, cst.Call):
        candidates: list[cst.BaseExpression] = [func]
    elif isinstance(func, cst.Name):
        candidates = resolve_expr(facts, func)
    else:
        return None
    for value in candidates:
        if isinstance(value, cst.Call) and _TFA_EXTEND in facts.qualified_names(value.func):
            return value
    return None


def _constructor(facts: ModuleFacts, call: CallFact) -> OptimizerFact | None:
    name = call.name
    tfa = next((q for q in facts.qualified_names(call.node.func) if q.startswith(_TFA_PREFIX)), None)
    factory = _tfa_decoupled_class(facts, call.node.func)
    if factory is not None:
        # `extend_with_decoupled_weight_decay(Adam)(weight_decay=..., ...)`: Adam made decoupled.
        decay = call.value("weight_decay", 0)
        decoupled = decay is None or not _switched_off(decay)
        return OptimizerFact(call.node, call, facts.code(factory), False, decoupled=decoupled, adaptive=False)
    if tfa is not None:
        cls = tfa.rsplit(".", 1)[1]
        keras = False
    elif name is not None and (
        name.startswith("keras.optimizers.") or (name.startswith("tf.train.") and name.endswith("Optimizer"))
    ):
        cls = name.rsplit(".", 1)[1]
        keras = name.startswith("keras.")
    else:
        return None
    if cls[:1].islower() or cls in ("Optimizer", "schedules", "LossScaleOptimizer"):
        return None  # functions (get, serialize) and base classes
    decay_arg = call.arg("weight_decay")
    decay_zero = decay_arg is not None and _switched_off(decay_arg.value)
    decoupled = (cls in vocabulary.DECOUPLED_DECAY_OPTIMIZERS and not decay_zero) or (
        decay_arg is not None and not decay_zero
    )
    fact = OptimizerFact(
        call.node,
        call,
        cls,
        keras,
        decoupled=decoupled,
        adaptive=not decoupled and cls in vocabulary.ADAPTIVE_OPTIMIZERS,
        excluded=call.arg("exclude_from_weight_decay") is not None,
    )
    return fact
