"""RC201 regularization-collection-unused: REGULARIZATION_LOSSES filled but never added to the loss."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks.base import Check
from regcheck.checks.loss_fixes import add_to_loss_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.coverage import penalizes
from regcheck.facts.program.training import loss_argument, loss_is_opaque, loss_terms, unit_of
from regcheck.facts.program.values import Registration, TrainStep, Variable
from regcheck.findings import Finding, Fix


class RegularizationCollectionUnused(Check):
    code = "RC201"
    name = "regularization-collection-unused"
    severity = "error"
    summary = "REGULARIZATION_LOSSES are registered but never added to the minimized loss"
    fix_safety = "safe"
    graph = True
    # Reported at the call that trains: the penalties or the batch norm may be built in another module.
    triggers = (b"minimize", b"compute_gradients", b"gradients")
    import_triggers = (b"minimize", b"compute_gradients", b"gradients")  # a helper of an imported module minimizes

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
        prog = program(facts)
        for step in prog.train_steps:
            graph = step.graph
            if step.kind == "fit" or graph is None or not graph.registrations:
                continue
            unit = unit_of(prog, step)
            trained = set(unit.variables) if unit is not None and unit.variables else None
            mine = [r for r in graph.registrations if _active(r) and _trains(r, trained)]
            if not mine or loss_is_opaque(step) or any(t.kind == "collection" for t in loss_terms(step)):
                continue
            argument = loss_argument(step)
            where = argument if argument is not None and step.site.facts is facts else step.site.via(facts)
            if where is None:
                continue
            first = mine[0]
            line = _line(facts, first)
            yield self.finding(
                facts,
                where,
                f"penalties are registered in REGULARIZATION_LOSSES (e.g. {first.description}{line}) but the loss "
                f"passed to `{_verb(step)}` never reads that collection, so they are not trained",
                symbol=facts.code(argument) if isinstance(argument, cst.Name) and where is argument else None,
                fix=_fix(facts, step) if where is argument else None,
            )


def _active(registration: Registration) -> bool:
    return penalizes(registration.regularizer)


def _trains(registration: Registration, trained: set[Variable] | None) -> bool:
    return trained is None or registration.variable is None or registration.variable in trained


def _line(facts: ModuleFacts, registration: Registration) -> str:
    site = registration.site
    node = site.node if site.facts is facts else site.via(facts)
    if node is None:
        return f", {site.facts.path}"
    return f", line {facts.span(node).line}"


def _verb(step: TrainStep) -> str:
    return {"gradients": "tf.gradients", "tape": "tape.gradient"}.get(step.kind, step.kind)


def _fix(facts: ModuleFacts, step: TrainStep) -> Fix | None:
    prefix = facts.tf_prefix(compat_v1=True)
    if prefix is None:
        return None
    addition = f"{prefix}.losses.get_regularization_loss()"
    return add_to_loss_fix(facts, step, addition, f"Add `{addition}` to the minimized loss")
