"""RC502 l2-with-adaptive-optimizer: L2 penalties with Adam/RMSprop/Adagrad, where decoupled weight decay is usually meant."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check
from regcheck.checks.rc501_double_weight_decay import layers_carry_l2
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.program.optimization import Trained, adapts, located, short_name
from regcheck.findings import Finding


class L2WithAdaptiveOptimizer(Check):
    code = "RC502"
    name = "l2-with-adaptive-optimizer"
    severity = "info"
    summary = "L2 penalties with an adaptive optimizer"
    triggers = vocabulary.trigger_words(vocabulary.ADAPTIVE_OPTIMIZERS, vocabulary.ADAPTIVE_OPTIMIZER_STRINGS)
    import_triggers = triggers  # the optimizer may be made by a helper of an imported module

    VALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
""",
        """
import keras
model = keras.Sequential([keras.layers.Dense(10)])
model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")
""",
    ]
    INVALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer="adam", loss="mse")
""",
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10])
loss = data_loss + 5e-4 * tf.nn.l2_loss(w)
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
""",
        # A TF2 loop: the penalty reaches Adam through tape.gradient and apply_gradients.
        """
import tensorflow as tf
opt = tf.keras.optimizers.Adam(1e-3)
def step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x)) + 5e-4 * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables])
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
""",
        # tf.gradients in a v1 graph, applied by hand from pairs built beforehand.
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10])
loss = data_loss + 5e-4 * tf.nn.l2_loss(w)
grads = tf.gradients(loss, [w])
pairs = list(zip(grads, [w]))
train_op = tf.train.AdamOptimizer(1e-3).apply_gradients(pairs)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for entry, node, what in located(facts, _l2_with_adaptive):
            name = short_name(entry.optimizer)
            yield self.finding(
                facts,
                node,
                f"{what} while `{name}` adapts the step per parameter, which weakens the penalty "
                "on weights with large gradients; decoupled weight decay (AdamW, `weight_decay=`) is usually what is meant",
                symbol=name,
            )


def _l2_with_adaptive(facts: ModuleFacts, entry: Trained) -> str | None:
    if not adapts(entry.optimizer):
        return None
    if entry.l2_layers:
        return layers_carry_l2(entry.l2_layers)
    if entry.l2_terms:
        return "the minimized loss adds an L2 penalty"
    return None
