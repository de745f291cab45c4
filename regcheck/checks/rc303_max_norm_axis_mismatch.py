"""RC303 max-norm-axis-mismatch: a norm bound whose axes are not one unit's incoming weights."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks import edits
from regcheck.checks.base import Check, Invalid, unsafe_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.constraints import NormBound, norm_bounds
from regcheck.findings import Finding, Fix


class MaxNormAxisMismatch(Check):
    code = "RC303"
    name = "max-norm-axis-mismatch"
    severity = "warning"
    summary = "max-norm axis does not hold one unit's incoming weights"
    fix_safety = "unsafe"
    # Norm constraints (class, function or string spellings: the same words) and clip_by_norm on weights.
    triggers = vocabulary.trigger_words(vocabulary.NORM_CONSTRAINTS, vocabulary.CLIP_BY_NORM)

    VALID = [
        """
import tensorflow.compat.v1 as tf
hidden1 = tf.layers.dense(x, 300, activation=tf.nn.relu, name="hidden1")
weights = tf.get_default_graph().get_tensor_by_name("hidden1/kernel:0")
clip_weights = tf.assign(weights, tf.clip_by_norm(weights, clip_norm=1.0, axes=0))
""",
        """
from tensorflow import keras
conv = keras.layers.Conv2D(32, 3, kernel_constraint=keras.constraints.MaxNorm(3, axis=[0, 1, 2]))
dense = keras.layers.Dense(64, kernel_constraint=keras.constraints.max_norm(3))
""",
        # EEGNet: a (Chans, 1) depthwise kernel has width 1, so axis=0 spans each unit's weights.
        """
from tensorflow.keras.layers import DepthwiseConv2D
from tensorflow.keras.constraints import max_norm
block = DepthwiseConv2D((22, 1), depth_multiplier=2, depthwise_constraint=max_norm(1.0))
""",
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [5, 5, 1, 32])
h = tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")
clip = tf.assign(w, tf.clip_by_norm(w, 3.0, axes=[0, 1, 2]))
""",
    ]
    INVALID = [
        # The kernel of a named tf.layers layer, fetched from the graph by its name.
        """
import tensorflow.compat.v1 as tf
hidden1 = tf.layers.dense(x, 300, activation=tf.nn.relu, name="hidden1")
weights = tf.get_default_graph().get_tensor_by_name("hidden1/kernel:0")
clip_weights = tf.assign(weights, tf.clip_by_norm(weights, clip_norm=1.0, axes=1))
""",
        Invalid(
            """
from tensorflow import keras
conv = keras.layers.Conv2D(32, 3, kernel_constraint=keras.constraints.MaxNorm(3))
""",
            line=3,
            fixed="""
from tensorflow import keras
conv = keras.layers.Conv2D(32, 3, kernel_constraint=keras.constraints.MaxNorm(3, axis=[0, 1, 2]))
""",
        ),
        Invalid(
            """
import keras
dense = keras.layers.Dense(64, kernel_constraint=keras.constraints.MaxNorm(2.0, axis=1))
""",
            line=3,
            fixed="""
import keras
dense = keras.layers.Dense(64, kernel_constraint=keras.constraints.MaxNorm(2.0, axis=0))
""",
        ),
        Invalid(
            """
import tensorflow.compat.v1 as tf
weights = tf.get_variable("weights", [784, 256])
hidden = tf.matmul(x, weights)
clip_weights = tf.assign(weights, tf.clip_by_norm(weights, clip_norm=3.0, axes=1))
""",
            line=5,
            fixed="""
import tensorflow.compat.v1 as tf
weights = tf.get_variable("weights", [784, 256])
hidden = tf.matmul(x, weights)
clip_weights = tf.assign(weights, tf.clip_by_norm(weights, clip_norm=3.0, axes=[0]))
""",
        ),
        Invalid(
            """
import keras
up = keras.layers.Conv2DTranspose(16, 3, kernel_constraint=keras.constraints.MaxNorm(3, axis=[0, 1, 2]))
""",
            line=3,
            fixed="""
import keras
up = keras.layers.Conv2DTranspose(16, 3, kernel_constraint=keras.constraints.MaxNorm(3, axis=[0, 1, 3]))
""",
        ),
        Invalid(
            """
import tensorflow as tf
conv = tf.keras.layers.Conv1D(8, 5, kernel_constraint=lambda w: tf.clip_by_norm(w, 2.0, axes=[0]))
""",
            line=3,
            fixed="""
import tensorflow as tf
conv = tf.keras.layers.Conv1D(8, 5, kernel_constraint=lambda w: tf.clip_by_norm(w, 2.0, axes=[0, 1]))
""",
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for bound in norm_bounds(facts):
            if bound.axes is None:
                continue
            wrong = [k for k in bound.kernels if not k.holds_one_unit(bound.axes)]
            if not wrong:
                continue
            kernel = wrong[0]
            right = _axes_text(kernel.right_axes, bound.keyword)
            stated = facts.code(bound.axes_node) if bound.axes_node is not None else "0 (the default)"
            yield self.finding(
                facts,
                bound.report,
                f"{bound.spelled} with {bound.keyword}={stated} on {kernel.owner} "
                f"{kernel.layout.text} does not bound each unit's incoming weights; use {bound.keyword}={right}",
                fix=_fix(facts, bound, right),
            )


def _axes_text(axes: tuple[int, ...], keyword: str) -> str:
    if len(axes) == 1 and keyword == "axis":
        return str(axes[0])
    return "[" + ", ".join(str(a) for a in axes) + "]"


def _fix(facts: ModuleFacts, bound: NormBound, right: str) -> Fix | None:
    if bound.owner is None or len({k.right_axes for k in bound.kernels}) != 1:
        return None
    message = f"Set {bound.keyword}={right}"
    if bound.axes_node is not None:
        return unsafe_fix(message, edits.replace(facts, bound.axes_node, right))
    return unsafe_fix(message, edits.add_keyword(facts, bound.owner, bound.keyword, right))
