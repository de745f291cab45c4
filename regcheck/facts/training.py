"""Where training starts (the minimized loss) and what the loss reads; TF1 collections."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import Closure, closure, is_given, literal_value, resolve_expr
from regcheck.facts.module import CallFact, ModuleFacts

_OPTIMIZER_HINTS = ("Optimizer", "optimizers.", "train.")


@dataclass(eq=False)
class MinimizeFact:
    call: CallFact
    loss: cst.BaseExpression
    kind: str  # "minimize", "compute_gradients" or "gradients"


def minimize_calls(facts: ModuleFacts) -> list[MinimizeFact]:
    return facts.cached("minimize_calls", _collect_minimize)


def _collect_minimize(facts: ModuleFacts) -> list[MinimizeFact]:
    found: list[MinimizeFact] = []
    for call in facts.calls:
        if call.name in vocabulary.GRADIENT_FUNCS:
            loss = call.value("ys", 0)
            if loss is not None:
                found.append(MinimizeFact(call, loss, "gradients"))
        elif call.method in vocabulary.MINIMIZE_METHODS and call.name is None and _is_optimizer(facts, call):
            loss = call.value("loss", 0)
            if loss is not None:
                found.append(MinimizeFact(call, loss, call.method or "minimize"))
    return found


def _is_optimizer(facts: ModuleFacts, call: CallFact) -> bool:
    """The receiver is a TF/Keras optimizer, or something we cannot see that is not another library."""
    assert call.receiver is not None
    receiver_name = facts.canonical(call.receiver) if isinstance(call.receiver, (cst.Name, cst.Attribute)) else None
    if receiver_name is not None:
        return False  # `tf.something.minimize`: a module function, not an optimizer method
    if facts.qualified_names(call.receiver) and isinstance(call.receiver, (cst.Name, cst.Attribute)):
        # e.g. `scipy.optimize.minimize` resolves to a non-TF import
        for name in facts.qualified_names(call.receiver):
            if "." in name and not name.startswith(("tensorflow", "keras", "tf_keras")) and "<locals>" not in name:
                root = name.split(".")[0]
                if root in {"scipy", "torch", "jax", "numpy", "optax", "lmfit"}:
                    return False
    for value in resolve_expr(facts, call.receiver):
        fact = facts.call(value)
        if fact is not None and fact.name is not None:
            return any(hint in fact.name for hint in _OPTIMIZER_HINTS)
    return True


def loss_closure(facts: ModuleFacts, fact: MinimizeFact) -> Closure:
    cache: dict[int, Closure] = facts.derived.setdefault("loss_closures", {})
    key = id(fact.loss)
    if key not in cache:
        cache[key] = closure(facts, fact.loss)
    return cache[key]


def is_regularization_key(facts: ModuleFacts, node: cst.BaseExpression | None) -> bool:
    if node is None:
        return False
    if facts.canonical(node) in vocabulary.REGULARIZATION_COLLECTION_KEYS:
        return True
    return literal_value(node) == "regularization_losses"


def is_update_ops_key(facts: ModuleFacts, node: cst.BaseExpression | None) -> bool:
    if node is None:
        return False
    return facts.canonical(node) in vocabulary.UPDATE_OPS_KEYS or literal_value(node) == "update_ops"


def reads_regularization_collection(facts: ModuleFacts, scope: Closure) -> bool:
    for node in scope.calls(facts):
        fact = facts.call(node)
        if fact is None:
            continue
        if fact.name in vocabulary.COLLECTION_READERS or fact.name == "tf.contrib.layers.apply_regularization":
            return True
        if fact.name == "tf.get_collection" and is_regularization_key(facts, fact.value("key", 0)):
            return True
    return False


@dataclass(eq=False)
class Registration:
    """A penalty put into REGULARIZATION_LOSSES rather than written into the loss."""

    node: cst.CSTNode
    call: CallFact
    description: str


def collection_registrations(facts: ModuleFacts) -> list[Registration]:
    return facts.cached("registrations", _collect_registrations)


def _collect_registrations(facts: ModuleFacts) -> list[Registration]:
    found: list[Registration] = []
    for call in facts.calls:
        name = call.name
        if name in ("tf.get_variable", "tf.variable_scope"):
            arg = call.arg("regularizer")
            if arg is not None and is_given(arg.value):
                found.append(Registration(arg, call, f"{name}(regularizer=...)"))
        elif name in vocabulary.TF1_LAYER_FUNCS or name == "slim.arg_scope":
            for keyword in vocabulary.KERNEL_REGULARIZER_KWARGS + vocabulary.BIAS_REGULARIZER_KWARGS:
                arg = call.arg(keyword)
                if arg is not None and is_given(arg.value):
                    found.append(Registration(arg, call, f"{name}({keyword}=...)"))
        elif name == "tf.add_to_collection" and is_regularization_key(facts, call.value("name", 0)):
            found.append(Registration(call.node, call, "tf.add_to_collection(REGULARIZATION_LOSSES, ...)"))
    return found
