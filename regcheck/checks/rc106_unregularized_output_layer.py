"""RC106 unregularized-output-layer: every hidden kernel of a model is penalized, only the head is not."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check
from regcheck.checks.keras_fixes import add_regularizer_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.keras_coverage import describe_penalized, kernel_gaps
from regcheck.findings import Finding


class UnregularizedOutputLayer(Check):
    code = "RC106"
    name = "unregularized-output-layer"
    severity = "info"
    summary = "every hidden weight is penalized and only the output layer is not"
    fix_safety = "unsafe"
    graph = True
    triggers = (b"regularizer",)
    import_triggers = (b"_regularizer=",)

    VALID = [
        # Every kernel is penalized, the head included.
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1, kernel_regularizer=regularizers.l2(0.001)),
])
""",
        # A hidden layer is left out too: that is RC101's warning, not this advice.
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1),
])
""",
    ]
    INVALID = [
        # The textbook choice (Deep Learning with Python, the TF overfitting tutorial).
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1, activation="sigmoid"),
])
""",
        # Functional: the head is what no other kernel layer reads from.
        """
import keras
inputs = keras.Input((784,))
x = keras.layers.Dense(256, kernel_regularizer="l2")(inputs)
x = keras.layers.Dropout(0.5)(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
""",
        # The head built by a helper.
        """
import keras
def head(x):
    return keras.layers.Dense(1)(x)
def build():
    inputs = keras.Input((8,))
    x = keras.layers.Dense(32, kernel_regularizer="l2")(inputs)
    return keras.Model(inputs, head(x))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for gap in kernel_gaps(facts):
            if not gap.output_only:
                continue
            for use, where in gap.missing:
                yield self.finding(
                    facts,
                    where,
                    f"the output layer `{use.layer.cls}` of `{gap.model.label}` has no kernel regularizer while "
                    f"{describe_penalized(facts, gap.active)} (often deliberate)",
                    symbol=use.layer.cls,
                    fix=add_regularizer_fix(facts, use, gap.active) if where is use.layer.call.node else None,
                )
