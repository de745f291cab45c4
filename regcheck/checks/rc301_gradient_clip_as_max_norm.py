"""RC301 gradient-clip-as-max-norm: per-unit clip_by_norm(axes=...) on gradients."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check, Invalid
from regcheck.facts import ModuleFacts
from regcheck.facts.constraints import clip_calls
from regcheck.findings import Finding


class GradientClipAsMaxNorm(Check):
    code = "RC301"
    name = "gradient-clip-as-max-norm"
    severity = "warning"
    summary = "per-unit gradient clipping where a weight max-norm is meant"
    triggers = (b"clip_by_norm",)

    VALID = [
        # Clipping gradients by their norm, without per-unit axes, is ordinary gradient clipping.
        """
import tensorflow as tf
grads = tape.gradient(loss, model.trainable_variables)
grads = [tf.clip_by_norm(g, 1.0) for g in grads]
""",
        # Per-unit clipping of the weights themselves is the max-norm constraint.
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 256])
clip_op = tf.assign(w, tf.clip_by_norm(w, 3.0, axes=[0]))
""",
    ]
    INVALID = [
        Invalid(
            """
import tensorflow.compat.v1 as tf
opt = tf.train.GradientDescentOptimizer(0.1)
grads_and_vars = opt.compute_gradients(loss)
capped = [(tf.clip_by_norm(g, 3.0, axes=[0]), v) for g, v in grads_and_vars]
train_op = opt.apply_gradients(capped)
""",
            line=5,
        ),
        Invalid(
            """
import tensorflow as tf
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
grads = tape.gradient(loss, model.trainable_variables)
clipped = [tf.clip_by_norm(g, 2.0, axes=0) for g in grads]
""",
            line=6,
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for clip in clip_calls(facts):
            if not clip.members.gradients or clip.axes_node is None:
                continue
            bound = clip.call.value("clip_norm", 1)
            bound_text = facts.code(bound) if bound is not None else "c"
            axes_text = facts.code(clip.axes_node)
            yield self.finding(
                facts,
                clip.call.node,
                f"`clip_by_norm(..., axes={axes_text})` on gradients bounds each unit's gradient, not its weights, "
                "so the weights can still grow without limit. For a max-norm constraint bound the weights: "
                f"`kernel_constraint=keras.constraints.MaxNorm({bound_text}, axis=0)` on a Dense layer "
                "(`axis=[0, 1, 2]` on Conv2D), or in TF1 run "
                f"`tf.assign(w, tf.clip_by_norm(w, {bound_text}, axes=[0]))` after each training step",
            )
