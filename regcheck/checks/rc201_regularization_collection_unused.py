"""RC201 regularization-collection-unused: REGULARIZATION_LOSSES filled but never added to the loss."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import values_of
from regcheck.facts.tf1_units import roots_of
from regcheck.facts.training import (
    MinimizeFact,
    collection_registrations,
    loss_closure,
    minimize_calls,
    reads_regularization_collection,
)
from regcheck.findings import Finding, Fix

# Expressions `x + reg` can follow without parentheses changing their meaning.
_TIGHT = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


class RegularizationCollectionUnused(Check):
    code = "RC201"
    name = "regularization-collection-unused"
    severity = "error"
    summary = "REGULARIZATION_LOSSES are registered but never added to the minimized loss"
    fix_safety = "safe"
    graph = True
    triggers = (b"regularizer", b"REGULARIZATION_LOSSES", b"regularization_losses")

    VALID = [
        # The regularized variable lives in a graph the notebook threw away before this one.
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10], regularizer=tf.keras.regularizers.l2(0.01))
tf.reset_default_graph()
v = tf.get_variable("v", [784, 10])
train_op = tf.train.AdamOptimizer().minimize(tf.reduce_mean(tf.matmul(x, v)))
""",
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10], regularizer=tf.keras.regularizers.l2(0.01))
loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y)) + tf.losses.get_regularization_loss()
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
""",
        """
import tensorflow as tf
h = tf.layers.dense(x, 10, kernel_regularizer=tf.contrib.layers.l2_regularizer(0.1))
reg = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
total = data_loss(h, y) + reg
train_op = tf.train.AdamOptimizer().minimize(total)
""",
    ]
    INVALID = [
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10], regularizer=tf.keras.regularizers.l2(0.01))
loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        registrations = collection_registrations(facts)
        if not registrations:
            return
        for fact in minimize_calls(facts):
            graphs = roots_of(facts, fact.call.node)
            mine = [r for r in registrations if roots_of(facts, r.node) & graphs]
            if not mine:
                continue  # the penalties were registered in another graph (a notebook that started over)
            scope = loss_closure(facts, fact)
            if scope.unknown or reads_regularization_collection(facts, scope):
                continue
            yield self.finding(
                facts,
                fact.loss,
                f"penalties are registered in REGULARIZATION_LOSSES (e.g. {mine[0].description}, "
                f"line {facts.span(mine[0].node).line}) but the loss passed to "
                f"`{fact.kind}` never reads that collection, so they are not trained",
                symbol=facts.code(fact.loss) if isinstance(fact.loss, cst.Name) else None,
                fix=_fix(facts, fact),
            )


def _fix(facts: ModuleFacts, fact: MinimizeFact) -> Fix | None:
    prefix = facts.tf_prefix(compat_v1=True)
    if prefix is None:
        return None
    addition = f"{prefix}.losses.get_regularization_loss()"
    target = fact.loss
    if isinstance(target, cst.Name):
        resolved = values_of(facts, target)
        if len(resolved.values) == 1 and resolved.known and isinstance(facts.parent(resolved.values[0]), cst.Assign):
            target = resolved.values[0]
    message = f"Add `{addition}` to the minimized loss"
    if isinstance(target, _TIGHT) or (
        isinstance(target, cst.BinaryOperation)
        and isinstance(target.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide))
    ):
        return safe_fix(message, edits.insert_after(facts, target, f" + {addition}"))
    return safe_fix(
        message,
        edits.insert_before(facts, target, "("),
        edits.insert_after(facts, target, f") + {addition}"),
    )
