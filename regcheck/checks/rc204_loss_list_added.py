"""RC204 loss-list-added: a Python list of losses added to a scalar loss broadcasts."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.result import Program
from regcheck.facts.program.values import Sequence, Tensor, alternatives
from regcheck.findings import Finding, Fix


class LossListAdded(Check):
    code = "RC204"
    name = "loss-list-added"
    severity = "error"
    summary = "a list of losses is added to a scalar loss"
    fix_safety = "safe"
    triggers = (b"get_collection", b"get_regularization_losses", b".losses")

    VALID = [
        """
import tensorflow.compat.v1 as tf
loss = data_loss + tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
""",
        """
import tensorflow as tf
losses = model.losses + [extra_penalty]
loss = data_loss + sum(model.losses)
""",
        # Lists of variables and ops concatenated: no loss involved.
        """
import tensorflow.compat.v1 as tf
saved = tf.trainable_variables() + tf.get_collection("moving_vars")
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
train_ops = update_ops + summary_ops
""",
        # A wrapper layer gathering its own losses and its sublayers': lists concatenated.
        """
import tensorflow as tf
class Wrapper(tf.keras.layers.Layer):
    @property
    def losses(self):
        losses = self._losses
        for layer in self.layers:
            losses += layer.losses
        return losses
""",
    ]
    INVALID = [
        # `model.losses` is a Python list too: added to the data loss, it broadcasts.
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer="l2")])
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.keras.losses.mse(y, model(x))) + model.losses
grads = tape.gradient(loss, model.trainable_variables)
""",
        # The list of regularization losses, added directly, whatever the import style.
        """
import tensorflow.compat.v1 as v1
cost = tf_cost(logits, labels)
cost = cost + v1.losses.get_regularization_losses()
train = v1.train.AdamOptimizer().minimize(cost)
""",
        """
import tensorflow.compat.v1 as tf
loss = data_loss + tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
""",
        """
import tensorflow as tf
reg_losses = tf.losses.get_regularization_losses()
loss = data_loss + reg_losses
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        prog = program(facts)
        seen: set[cst.CSTNode] = set()
        for site, losses in prog.list_additions:
            if site.facts is not facts:
                continue
            operand = _operand(prog, site.node, losses)
            if operand is None or operand in seen:
                continue
            seen.add(operand)
            yield self.finding(
                facts,
                operand,
                f"`{facts.code(operand).strip()}` is a list of losses; adding it to a scalar loss "
                "broadcasts into a vector loss instead of summing the penalties",
                fix=_fix(facts, prog, operand, losses),
            )


def _operand(prog: Program, node: cst.CSTNode, losses: Sequence) -> cst.BaseExpression | None:
    """The side of ``a + b`` (or the value of ``a += b``) that is the list of losses."""
    if isinstance(node, cst.AugAssign):
        return node.value
    if not isinstance(node, cst.BinaryOperation):
        return None
    for side in (node.right, node.left):
        value = prog.value_of(side)
        if value is not None and any(option is losses for option in alternatives(value)):
            return side
    for side in (node.right, node.left):
        value = prog.value_of(side)
        if value is not None and any(isinstance(o, Sequence) for o in alternatives(value)):
            return side
    return None


def _fix(facts: ModuleFacts, prog: Program, operand: cst.BaseExpression, losses: Sequence) -> Fix:
    prefix = facts.tf_prefix()
    collection = any(t.kind == "collection" for item in losses.items if isinstance(item, Tensor) for t in item.terms)
    if collection and prefix is not None and any(graph.registrations for graph in prog.graphs):
        wrapper = f"{prefix}.add_n"
    else:
        wrapper = "sum"  # also right for an empty list, where tf.add_n raises
    return safe_fix(
        f"Sum the list with `{wrapper}(...)`",
        edits.insert_before(facts, operand, f"{wrapper}("),
        edits.insert_after(facts, operand, ")"),
    )
