"""RC106 unregularized-output-layer: every hidden kernel of a model is penalized, only the head is not."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check
from regcheck.checks.coverage_fixes import add_penalty_fix
from regcheck.checks.rc101_unregularized_weight import describe_active, weight_label
from regcheck.facts import ModuleFacts
from regcheck.facts.program.gaps import weight_gaps
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
        for gap in weight_gaps(facts):
            if not gap.output_only:
                continue
            word = "model" if gap.unit.keras else "graph"
            for missing in gap.missing:
                label = weight_label(facts, missing.weight, missing.anchor)
                active = describe_active(facts, gap.active)
                verb = "are" if len(gap.active) > 1 else "is"
                yield self.finding(
                    facts,
                    missing.anchor,
                    f"the output layer {label} has no kernel regularizer while {active} of the same {word} {verb} "
                    "regularized (often deliberate)",
                    symbol=label.strip("`"),
                    fix=add_penalty_fix(facts, missing.weight, gap.active, missing.anchor),
                )
