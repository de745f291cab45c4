"""RC501 double-weight-decay: decoupled weight decay in the optimizer and L2 regularizers on the same weights.

Keras's ``AdamW()`` decays by default (``weight_decay=0.004``, in Keras 3 and in
tf-keras's optimizers since TF 2.11), so it decays twice with L2 regularizers even
when no ``weight_decay=`` is written; the message names the default and the Keras
version it was judged for (RULES.md, Versions).
"""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check
from regcheck.facts import ModuleFacts
from regcheck.facts.program.optimization import (
    ADAMW_DEFAULT_DECAY,
    Trained,
    decay_argument,
    decouples,
    is_keras,
    located,
    short_name,
)
from regcheck.facts.program.values import Layer, Optimizer
from regcheck.findings import Finding


class DoubleWeightDecay(Check):
    code = "RC501"
    name = "double-weight-decay"
    severity = "warning"
    summary = "decoupled weight decay and L2 penalties on the same weights"
    graph = True
    triggers = (b"weight_decay", b"AdamW", b"SGDW", b"adamw")
    import_triggers = triggers  # the optimizer may be made by a helper of an imported module

    VALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10)])
model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4), loss="mse")
""",
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=0.0), loss="mse")
""",
        # Keras 2 (tf-keras): decay switched off, as in Keras 3.
        """
import tf_keras as keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.l2(1e-4))])
model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=None), loss="mse")
""",
        # A custom loop whose loss adds L2 on the outputs is not a second decay of the weights.
        """
import tensorflow as tf
opt = tf.keras.optimizers.AdamW(1e-3, weight_decay=1e-4)
with tf.GradientTape() as tape:
    out = model(x)
    loss = loss_fn(y, out) + 1e-4 * tf.nn.l2_loss(out)
grads = tape.gradient(loss, model.trainable_variables)
opt.apply_gradients(zip(grads, model.trainable_variables))
""",
    ]
    INVALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4), loss="mse")
""",
        # Keras 3: AdamW() decays by default (weight_decay=0.004).
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")
""",
        # Keras 2 (tf-keras): the same default.
        """
import tf_keras as keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.l2(1e-4))])
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3), loss="mse")
""",
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer="l2")])
opt = tf.keras.optimizers.SGD(0.1, weight_decay=1e-4)
opt.apply_gradients(zip(grads, model.trainable_variables))
""",
        # tensorflow_addons' factory makes any optimizer class decoupled.
        """
import tensorflow as tf
import tensorflow_addons as tfa
AdamWD = tfa.optimizers.extend_with_decoupled_weight_decay(tf.keras.optimizers.Adam)
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])
model.compile(optimizer=AdamWD(weight_decay=1e-4, learning_rate=1e-3), loss="mse")
""",
        # A custom loop that adds L2 on every weight by hand, with clipped gradients.
        """
import tensorflow as tf
opt = tf.keras.optimizers.AdamW(1e-3, weight_decay=1e-4)
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
    loss += 1e-4 * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables])
grads = tape.gradient(loss, model.trainable_variables)
grads, _ = tf.clip_by_global_norm(grads, 5.0)
opt.apply_gradients(zip(grads, model.trainable_variables))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for entry, node, what in located(facts, _double_decay):
            optimizer = entry.optimizer
            name = short_name(optimizer)
            finding = self.finding(
                facts,
                node,
                f"`{name}` already decays the weights{_default_decay(optimizer, facts)} and {what}: "
                "weight decay is counted twice",
                symbol=name,
            )
            yield self.versioned(facts, finding) if is_keras(optimizer) else finding


def _double_decay(facts: ModuleFacts, entry: Trained) -> str | None:
    """What else decays the weights this decoupled optimizer trains, or None."""
    if not decouples(entry.optimizer):
        return None
    if entry.l2_layers:
        return layers_carry_l2(entry.l2_layers, also=True)
    if entry.l2_terms:
        return "the minimized loss also adds an L2 penalty on the weights"
    return None


def layers_carry_l2(layers: list[Layer], also: bool = False, limit: int = 3) -> str:
    """``the layer `Dense` carries L2 penalties`` / ``the layers `Dense`, `Conv2D` also carry ...``
    (one class name per kind of layer, the first few)."""
    names = list(dict.fromkeys(f"`{layer.cls}`" for layer in layers))
    shown = ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")
    one = len(layers) == 1
    return f"the {'layer' if one else 'layers'} {shown} {'also ' if also else ''}{'carries' if one else 'carry'} L2 penalties"


def _default_decay(optimizer: Optimizer, facts: ModuleFacts) -> str:
    """`` (by default, weight_decay=0.004 in Keras 3)`` for a Keras AdamW given no weight_decay=."""
    if not is_keras(optimizer) or short_name(optimizer).lower() != "adamw" or decay_argument(optimizer) is not None:
        return ""
    # 0.004 in Keras 3 and in tf.keras's AdamW since TensorFlow 2.11: where the version is unknown, name none.
    version = "" if facts.keras_version == "unknown" else f" in Keras {facts.keras_version}"
    return f" (by default: weight_decay={ADAMW_DEFAULT_DECAY:g}{version})"
