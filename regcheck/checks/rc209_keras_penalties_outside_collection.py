"""RC209 keras-penalties-outside-collection: Keras layer penalties in TF1 code whose loss reads only the collection.

Only ``tf.compat.v1`` layers, ``get_variable(regularizer=)`` and slim fill
``GraphKeys.REGULARIZATION_LOSSES``. A Keras layer (``tf.keras.layers.*``,
``keras.layers.*``) keeps its penalties in its own ``.losses``, in Keras 3 and in
tf-keras alike, so a TF1 loss that adds only ``tf.losses.get_regularization_loss()``
(or the collection's sum) trains without them: the collection holds nothing of theirs.
The safe fix adds the layers' ``.losses`` to the minimized loss.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import CallFact, ModuleFacts
from regcheck.facts.dataflow import is_given, values_of
from regcheck.facts.regularizer_functions import REGULARIZER_KEYWORDS
from regcheck.facts.training import MinimizeFact, loss_closure, minimize_calls, reads_regularization_collection
from regcheck.findings import Finding, Fix

# Expressions `x + reg` can follow without parentheses changing their meaning.
_TIGHT = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


class KerasPenaltiesOutsideCollection(Check):
    code = "RC209"
    name = "keras-penalties-outside-collection"
    severity = "error"
    summary = "Keras layer penalties in TF1 code whose loss reads only REGULARIZATION_LOSSES"
    fix_safety = "safe"
    triggers = (b"regularization_loss", b"REGULARIZATION_LOSSES", b"get_total_loss")

    VALID = [
        # TF1 layers fill the collection.
        """
import tensorflow.compat.v1 as tf
h = tf.layers.dense(x, 10, kernel_regularizer=tf.keras.regularizers.l2(0.01))
loss = tf.reduce_mean(tf.square(h - y)) + tf.losses.get_regularization_loss()
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
        # The Keras layer's own losses are added.
        """
import tensorflow.compat.v1 as tf
dense = tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(0.01))
h = dense(x)
loss = tf.reduce_mean(tf.square(h - y)) + tf.add_n(dense.losses)
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
    ]
    INVALID = [
        """
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.float32, [None, 10])
dense = tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(0.01))
logits = dense(x)
loss = tf.losses.softmax_cross_entropy(y, logits) + tf.losses.get_regularization_loss()
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
""",
        # Keras 2 (tf-keras) layers do not fill the collection either.
        """
import tensorflow.compat.v1 as tf
import tf_keras as keras
hidden = keras.layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4))
out = keras.layers.Dense(10, kernel_regularizer=keras.regularizers.l2(1e-4))
logits = out(hidden(x))
reg = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_mean(tf.square(logits - y)) + reg)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        layers = _regularized_keras_layers(facts)
        if not layers:
            return
        for fact in minimize_calls(facts):
            scope = loss_closure(facts, fact)
            if scope.unknown or not reads_regularization_collection(facts, scope):
                continue
            if any(
                isinstance(n, cst.Attribute) and n.attr.value == "losses" and facts.canonical(n) is None
                for n in scope.nodes
            ):
                continue  # some `.losses` are added: the layers' own penalties reach the loss
            first = layers[0]
            assert first.name is not None
            yield self.finding(
                facts,
                fact.loss,
                f"the loss passed to `{fact.kind}` reads only REGULARIZATION_LOSSES, but the Keras layers' penalties "
                f"(`{first.name.removeprefix('keras.layers.')}(...)` line {facts.span(first.node).line}"
                f"{' and others' if len(layers) > 1 else ''}) never enter that collection: they are not trained",
                symbol=facts.code(fact.loss) if isinstance(fact.loss, cst.Name) else None,
                fix=_fix(facts, fact, layers),
            )


def _regularized_keras_layers(facts: ModuleFacts) -> list[CallFact]:
    found = []
    for call in facts.calls:
        if (
            call.name is None
            or not call.name.startswith("keras.layers.")
            or not call.name.rsplit(".", 1)[1][:1].isupper()
        ):
            continue
        if any((arg := call.arg(k)) is not None and is_given(arg.value) for k in REGULARIZER_KEYWORDS):
            found.append(call)
    return found


def _layer_name(facts: ModuleFacts, layer: CallFact) -> str | None:
    """``dense`` in ``dense = tf.keras.layers.Dense(...)``: the object whose ``.losses`` the fix reads."""
    assign = facts.parent(layer.node)
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
        return assign.targets[0].target.value
    return None


def _fix(facts: ModuleFacts, fact: MinimizeFact, layers: list[CallFact]) -> Fix | None:
    names = [_layer_name(facts, layer) for layer in layers]
    if any(name is None for name in names):
        return None  # a layer built inline has no name to read its losses from
    losses = " + ".join(f"{name}.losses" for name in dict.fromkeys(names))
    addition = f"sum({losses})"
    target = fact.loss
    if isinstance(target, cst.Name):
        resolved = values_of(facts, target)
        if len(resolved.values) == 1 and resolved.known and isinstance(facts.parent(resolved.values[0]), cst.Assign):
            target = resolved.values[0]
    message = f"Add the Keras layers' penalties, `{addition}`, to the minimized loss"
    if isinstance(target, _TIGHT) or (
        isinstance(target, cst.BinaryOperation) and isinstance(target.operator, (cst.Add, cst.Subtract))
    ):
        return safe_fix(message, edits.insert_after(facts, target, f" + {addition}"))
    return safe_fix(
        message, edits.insert_before(facts, target, "("), edits.insert_after(facts, target, f") + {addition}")
    )
