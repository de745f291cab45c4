"""RC501 double-weight-decay: decoupled weight decay in the optimizer and L2 regularizers on the same weights."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check
from regcheck.checks.optimizer_models import describe_layers, l2_layers, trained_models
from regcheck.facts import ModuleFacts
from regcheck.facts.optimizers import optimizers
from regcheck.findings import Finding


class DoubleWeightDecay(Check):
    code = "RC501"
    triggers = (b"weight_decay", b"AdamW", b"SGDW", b"adamw")

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
    ]
    INVALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4), loss="mse")
""",
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer="l2")])
opt = tf.keras.optimizers.SGD(0.1, weight_decay=1e-4)
opt.apply_gradients(zip(grads, model.trainable_variables))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for optimizer in optimizers(facts):
            if not optimizer.decoupled:
                continue
            models, _unknown = trained_models(facts, optimizer)
            layers = l2_layers(models)
            if layers:
                yield self.finding(
                    facts,
                    optimizer.node,
                    f"`{optimizer.cls}` already decays the weights and the layers {describe_layers(layers)} also carry L2 "
                    "penalties: weight decay is counted twice",
                    symbol=optimizer.cls,
                )
