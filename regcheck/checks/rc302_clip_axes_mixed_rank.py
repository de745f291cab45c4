"""RC302 clip-axes-mixed-rank: one axes= value over tensors of different ranks."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check, Invalid
from regcheck.facts import ModuleFacts
from regcheck.facts.constraints import clip_calls
from regcheck.findings import Finding


class ClipAxesMixedRank(Check):
    code = "RC302"
    name = "clip-axes-mixed-rank"
    severity = "error"
    summary = "one axes= value across variables of different ranks"
    triggers = (b"clip_by_norm",)

    VALID = [
        """
import tensorflow.compat.v1 as tf
w1 = tf.get_variable("w1", [784, 256])
w2 = tf.get_variable("w2", [256, 10])
clip_ops = [tf.assign(w, tf.clip_by_norm(w, 3.0, axes=[0])) for w in [w1, w2]]
""",
        # Without axes the whole tensor's norm is clipped, which every rank supports.
        """
import tensorflow as tf
grads = [tf.clip_by_norm(g, 5.0) for g in tape.gradient(loss, model.trainable_variables)]
""",
    ]
    INVALID = [
        Invalid(
            """
import tensorflow.compat.v1 as tf
w1 = tf.get_variable("w1", [784, 256])
b1 = tf.get_variable("b1", [256])
clip_ops = [tf.assign(v, tf.clip_by_norm(v, 3.0, axes=[1])) for v in [w1, b1]]
""",
            line=5,
        ),
        Invalid(
            """
import tensorflow.compat.v1 as tf
w = tf.Variable(tf.random_normal([784, 10]))
b = tf.Variable(tf.zeros([10]))
clip_ops = [tf.assign(v, tf.clip_by_norm(v, 3.0, axes=0)) for v in tf.trainable_variables()]
""",
            line=5,
        ),
        Invalid(
            """
import tensorflow as tf
grads = tape.gradient(loss, model.trainable_variables)
grads = [tf.clip_by_norm(g, 1.0, axes=[1]) for g in grads]
""",
            line=4,
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for clip in clip_calls(facts):
            if clip.axes is None or not clip.members.many:
                continue
            ranks = clip.members.ranks
            if len(ranks) < 2 and not (clip.members.all_variables and not ranks):
                continue
            assert clip.axes_node is not None
            axes_text = facts.code(clip.axes_node)
            if ranks:
                listed = " and ".join(str(r) for r in sorted(ranks))
                what = f"tensors of rank {listed}"
                too_small = sorted(r for r in ranks if any(not -r <= a < r for a in clip.axes))
            else:
                what = "all of a model's variables (kernels of rank 2 or more and rank-1 biases)"
                too_small = [1] if any(not -1 <= a < 1 for a in clip.axes) else []
            if too_small:
                effect = f"it is an invalid reduction dimension for the rank-{too_small[0]} ones and fails at run time"
            else:
                effect = "it reduces over a different set of weights for each rank, so the bound means something else per tensor"
            yield self.finding(
                facts,
                clip.call.node,
                f"`axes={axes_text}` is applied to {what}: {effect}; "
                "clip each kernel with the axes of its own layout (and leave biases out)",
            )
