"""RC206 unscaled-replica-regularization: model.losses summed unscaled inside a tf.distribute replica step."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import Closure, closure, resolve_expr, values_of
from regcheck.facts.module import CallFact
from regcheck.facts.tapes import gradient_calls
from regcheck.findings import Finding, Fix

_RUN_METHODS = frozenset({"run", "experimental_run_v2", "call_for_each_replica"})
_SUMS = frozenset({"tf.add_n", "tf.math.add_n", "tf.reduce_sum", "tf.math.reduce_sum"})
_SCALE = "tf.nn.scale_regularization_loss"


class UnscaledReplicaRegularization(Check):
    code = "RC206"
    name = "unscaled-replica-regularization"
    severity = "warning"
    summary = "model.losses added unscaled inside a per-replica step"
    fix_safety = "safe"
    triggers = (b".losses",)  # the unscaled sum is always of `model.losses` / `self.losses`

    VALID = [
        """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
def step_fn(x, y):
    with tf.GradientTape() as tape:
        loss = tf.nn.compute_average_loss(loss_fn(y, model(x)), global_batch_size=64)
        loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
    return loss
strategy.run(step_fn, args=(x, y))
""",
        # Outside a replica step the plain sum is right.
        """
import tensorflow as tf
def step_fn(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x)) + sum(model.losses)
    return loss
""",
        # The whole loss, penalty included, is divided by the replica count.
        """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
def step_fn(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(y, model(x))) + tf.add_n(model.losses)
        scaled = loss / strategy.num_replicas_in_sync
    grads = tape.gradient(scaled, model.trainable_variables)
strategy.run(step_fn, args=(x, y))
""",
        # An evaluation step: no tape, no optimizer; the sum only feeds a metric.
        """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
def eval_fn(x, y):
    loss = loss_fn(y, model(x)) + tf.add_n(model.losses)
    eval_loss.update_state(loss)
strategy.run(eval_fn, args=(x, y))
""",
    ]
    INVALID = [
        """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
def step_fn(x, y):
    with tf.GradientTape() as tape:
        loss = tf.nn.compute_average_loss(loss_fn(y, model(x)), global_batch_size=64)
        loss += tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    return loss
strategy.run(step_fn, args=(x, y))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        seen: set[cst.CSTNode] = set()
        for function in _replica_functions(facts):
            targets = _trained_losses(facts, function)
            if not targets:
                continue  # an evaluation step: no gradient is taken, the sum only feeds a metric
            for call in facts.calls:
                if call.node in seen or not _sums_model_losses(facts, call) or _scaled(facts, call):
                    continue
                if not _within(call, function):
                    continue
                reaching = [t for t in targets if call.node in t.nodes]
                if not reaching or any(_scaled_on_the_way(facts, t, call.node) for t in reaching):
                    continue  # not what is trained, or the whole loss is scaled by the replica count
                seen.add(call.node)
                yield self.finding(
                    facts,
                    call.node,
                    "inside a per-replica step the penalties are added once per replica; "
                    "scale them with `tf.nn.scale_regularization_loss`",
                    fix=_scale_fix(facts, call),
                )


def _trained_losses(facts: ModuleFacts, function: cst.FunctionDef) -> list[Closure]:
    """What the step differentiates: the targets of its ``tape.gradient`` / ``minimize`` calls."""
    targets: list[cst.BaseExpression] = [g.target for g in gradient_calls(facts) if _within(g.call, function)]
    for call in facts.calls_with_method("minimize"):
        loss = call.value("loss", 0)
        if loss is not None and _within(call, function):
            targets.append(loss)
    return [closure(facts, target) for target in targets]


def _within(call: CallFact, function: cst.FunctionDef) -> bool:
    """The call is in ``function``'s body (its enclosing defs are known from the facts pass)."""
    return any(owner is function for owner in call.owners)


# Dividing (or multiplying) by these spreads a value over the replicas.
_REPLICA_COUNT = ("num_replicas_in_sync", "num_replicas")
_AVERAGING = frozenset({"tf.nn.compute_average_loss"})


def _scaled_on_the_way(facts: ModuleFacts, target: Closure, node: cst.CSTNode) -> bool:
    """The whole loss holding ``node`` is scaled: ``(loss + sum(model.losses)) / strategy.num_replicas_in_sync``
    a line later, or averaged with ``compute_average_loss``."""
    for candidate in target.nodes:
        if isinstance(candidate, cst.BinaryOperation) and isinstance(candidate.operator, (cst.Divide, cst.Multiply)):
            for scaled, by in ((candidate.left, candidate.right), (candidate.right, candidate.left)):
                if isinstance(candidate.operator, cst.Divide) and scaled is candidate.right:
                    continue
                if any(word in facts.code(by) for word in _REPLICA_COUNT) and node in closure(facts, scaled).nodes:
                    return True
        fact = facts.call(candidate) if isinstance(candidate, cst.Call) else None
        if fact is not None and fact.name in _AVERAGING and fact.positional:
            if node in closure(facts, fact.positional[0].value).nodes:
                return True
    return False


def _replica_functions(facts: ModuleFacts) -> Iterator[cst.FunctionDef]:
    """Functions handed to ``strategy.run(fn, ...)`` (and its older names)."""
    for call in facts.calls_with_method(*_RUN_METHODS):
        if call.receiver is None or not _is_strategy(facts, call) or not call.positional:
            continue
        step = call.positional[0].value
        if isinstance(step, cst.Name):
            yield from values_of(facts, step).functions
        elif isinstance(step, cst.Attribute) and call.class_def is not None:
            for statement in call.class_def.body.body:
                if isinstance(statement, cst.FunctionDef) and statement.name.value == step.attr.value:
                    yield statement


def _is_strategy(facts: ModuleFacts, call: CallFact) -> bool:
    assert call.receiver is not None
    for value in resolve_expr(facts, call.receiver):
        fact = facts.call(value)
        if fact is not None and fact.name is not None and fact.name.startswith("tf.distribute."):
            return True
    return "strategy" in facts.code(call.receiver).lower()


def _sums_model_losses(facts: ModuleFacts, call: CallFact) -> bool:
    is_sum = call.name in _SUMS or (
        isinstance(call.node.func, cst.Name) and call.node.func.value == "sum" and call.name is None
    )
    if not is_sum or not call.positional:
        return False
    first = call.positional[0].value
    return isinstance(first, cst.Attribute) and first.attr.value == "losses" and facts.canonical(first) is None


def _scaled(facts: ModuleFacts, call: CallFact) -> bool:
    for ancestor in facts.ancestors(call.node):
        fact = facts.call(ancestor) if isinstance(ancestor, cst.Call) else None
        if fact is not None and fact.name == _SCALE:
            return True
        if isinstance(ancestor, cst.BaseStatement):
            return False
    return False


def _scale_fix(facts: ModuleFacts, call: CallFact) -> Fix:
    prefix = facts.tf_prefix()
    imports: tuple[str, ...] = ()
    if prefix is None:
        prefix, imports = "tf", ("import tensorflow as tf",)
    return safe_fix(
        "Wrap in `tf.nn.scale_regularization_loss(...)`",
        edits.insert_before(facts, call.node, f"{prefix}.nn.scale_regularization_loss("),
        edits.insert_after(facts, call.node, ")"),
        imports=imports,
    )
