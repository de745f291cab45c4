"""RC304 dropout-without-max-norm: dropout with no max-norm constraint anywhere in the module."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check, Invalid
from regcheck.facts import ModuleFacts
from regcheck.facts.constraints import dropouts, uses_max_norm
from regcheck.findings import Finding


class DropoutWithoutMaxNorm(Check):
    code = "RC304"
    name = "dropout-without-max-norm"
    severity = "info"
    summary = "dropout without a max-norm constraint"
    triggers = (b"ropout",)

    VALID = [
        """
import keras
model = keras.Sequential([
    keras.layers.Dense(512, activation="relu", kernel_constraint=keras.constraints.MaxNorm(3)),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(10, activation="softmax"),
])
""",
        """
import keras
model = keras.Sequential([keras.layers.Dense(64), keras.layers.Dropout(0.0), keras.layers.Dense(1)])
""",
    ]
    INVALID = [
        Invalid(
            """
import keras
model = keras.Sequential([
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(10, activation="softmax"),
])
""",
            line=5,
        ),
        Invalid(
            """
import tensorflow.compat.v1 as tf
h = tf.nn.dropout(tf.nn.relu(tf.matmul(x, w1)), keep_prob=0.5)
""",
            line=3,
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        found = dropouts(facts)
        if not found or uses_max_norm(facts):
            return
        yield self.finding(
            facts,
            found[0].node,
            "dropout is used without a max-norm constraint; the dropout paper pairs them "
            "(e.g. `kernel_constraint=keras.constraints.MaxNorm(3)` on the layers before dropout), "
            "which lets a larger learning rate be used safely",
        )
