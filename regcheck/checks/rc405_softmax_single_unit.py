"""RC405 softmax-single-unit: softmax over one output unit is always 1."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import literal_value
from regcheck.facts.model_heads import SIGMOID_TWINS, SoftmaxHead, softmax_heads
from regcheck.findings import Finding, Fix


class SoftmaxSingleUnit(Check):
    code = "RC405"
    name = "softmax-single-unit"
    severity = "error"
    summary = "softmax over a single output unit"
    fix_safety = "unsafe"
    triggers = (b"softmax", b"Softmax")

    VALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
""",
        """
import keras
model = keras.Sequential([keras.layers.Dense(2), keras.layers.Softmax()])
""",
        """
import tensorflow as tf
inputs = tf.keras.Input((16,))
x = tf.keras.layers.Dense(1)(inputs)
x = tf.keras.layers.Dense(3)(x)
outputs = tf.keras.layers.Activation("softmax")(x)
""",
    ]
    INVALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1, activation="softmax")])
""",
        """
from tensorflow.keras.layers import Activation, Dense
from tensorflow.keras.models import Sequential
model = Sequential()
model.add(Dense(64, activation="relu"))
model.add(Dense(1))
model.add(Activation("softmax"))
""",
        """
import tensorflow as tf
inputs = tf.keras.Input((16,))
x = tf.keras.layers.Dense(8)(inputs)
x = tf.keras.layers.Dense(1)(x)
outputs = tf.nn.softmax(x)
""",
        """
import tensorflow.compat.v1 as tf
w = tf.Variable(tf.random_normal([128, 1]))
b = tf.Variable(tf.zeros([1]))
pred = tf.nn.softmax(tf.matmul(h, w) + b)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for head in softmax_heads(facts):
            yield self.finding(
                facts,
                head.softmax,
                f"softmax over a single output unit ({head.how}) always outputs 1, so nothing "
                "is learned; use sigmoid (with binary cross-entropy) for one unit, or give the layer one unit per class",
                fix=_fix(facts, head),
            )


def _fix(facts: ModuleFacts, head: SoftmaxHead) -> Fix | None:
    node = head.softmax
    message = "Use sigmoid"
    if isinstance(node, cst.SimpleString) and literal_value(node) == "softmax":
        return unsafe_fix(message, edits.replace(facts, node, facts.code(node).replace("softmax", "sigmoid")))
    if isinstance(node, cst.Attribute) and facts.canonical(node) in SIGMOID_TWINS:
        return unsafe_fix(message, edits.replace(facts, node.attr, "sigmoid"))
    call = facts.call(node)
    if call is None:
        return None
    if (
        call.name in SIGMOID_TWINS
        and isinstance(call.node.func, cst.Attribute)
        and set(call.keywords) <= {"name", "logits", "x"}
    ):
        return unsafe_fix(message, edits.replace(facts, call.node.func.attr, "sigmoid"))
    if call.name == "keras.layers.Activation":
        activation = call.value("activation", 0)
        assert activation is not None
        return _fix(facts, SoftmaxHead(head.layer, activation, head.how))
    if call.name == "keras.layers.Softmax" and isinstance(call.node.func, cst.Attribute):
        prefix = facts.code(call.node.func.value)
        return unsafe_fix(message, edits.replace(facts, call.node, f'{prefix}.Activation("sigmoid")'))
    return None
