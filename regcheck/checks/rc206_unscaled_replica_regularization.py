"""RC206 unscaled-replica-regularization: model.losses summed unscaled inside a tf.distribute replica step."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.training import explicit_sum, loss_terms
from regcheck.facts.program.values import Term
from regcheck.findings import Finding, Fix


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
        # Neither the data loss nor the penalties are spread over the replicas: their balance holds.
        """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
def step_fn(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y)) + sum(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
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
        # The data loss divided by the global batch size by hand, the penalties not at all.
        """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
GLOBAL_BATCH_SIZE = 64
def step_fn(x, y):
    with tf.GradientTape() as tape:
        per_example = loss_fn(y, model(x))
        loss = tf.reduce_sum(per_example) * (1.0 / GLOBAL_BATCH_SIZE) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    return loss
strategy.run(step_fn, args=(x, y))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        seen: set[cst.CSTNode] = set()
        for step in program(facts).train_steps:
            if not step.replicas:
                continue  # only a step that strategy.run runs once per replica
            terms = loss_terms(step)
            if not _data_scaled(terms):
                # The whole per-replica loss is unscaled: data and penalties are both summed over the
                # replicas, so their balance holds; scaling the penalties alone would weaken them.
                continue
            for term in terms:
                if term.kind != "model_losses" or term.replica_scaled:
                    continue
                call = explicit_sum(facts, term)
                if call is None or call in seen:
                    continue
                seen.add(call)
                yield self.finding(
                    facts,
                    call,
                    "inside a per-replica step the penalties are added once per replica; "
                    "scale them with `tf.nn.scale_regularization_loss`",
                    fix=_scale_fix(facts, call),
                )


def _data_scaled(terms: list[Term]) -> bool:
    """The data loss is spread over the replicas (``compute_average_loss``, or scaled by a factor such
    as ``1 / GLOBAL_BATCH_SIZE``), or the program model cannot tell."""
    data = [t for t in terms if t.kind in ("data", "opaque")]
    return not data or any(t.replica_scaled or t.coefficient is not None or t.kind == "opaque" for t in data)


def _scale_fix(facts: ModuleFacts, call: cst.Call) -> Fix:
    prefix = facts.tf_prefix()
    imports: tuple[str, ...] = ()
    if prefix is None:
        prefix, imports = "tf", ("import tensorflow as tf",)
    return safe_fix(
        "Wrap in `tf.nn.scale_regularization_loss(...)`",
        edits.insert_before(facts, call, f"{prefix}.nn.scale_regularization_loss("),
        edits.insert_after(facts, call, ")"),
        imports=imports,
    )
