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

from regcheck.checks.base import Check
from regcheck.checks.loss_fixes import add_to_loss_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.coverage import penalizes
from regcheck.facts.program.training import loss_argument, loss_is_opaque, loss_terms, unit_of
from regcheck.facts.program.values import Layer, TrainStep
from regcheck.findings import Finding, Fix


class KerasPenaltiesOutsideCollection(Check):
    code = "RC209"
    name = "keras-penalties-outside-collection"
    severity = "error"
    summary = "Keras layer penalties in TF1 code whose loss reads only REGULARIZATION_LOSSES"
    fix_safety = "safe"
    triggers = (b"regularization_loss", b"REGULARIZATION_LOSSES", b"get_total_loss")
    import_triggers = triggers  # the loss may be formed by a head of an imported module

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
        prog = program(facts)
        for step in prog.train_steps:
            if step.kind == "fit" or step.model is not None:
                continue
            terms = loss_terms(step)
            if loss_is_opaque(step) or not any(t.kind == "collection" for t in terms):
                continue
            if any(t.kind == "model_losses" for t in terms):
                continue  # some `.losses` are added: the layers' own penalties reach the loss
            unit = unit_of(prog, step)
            if unit is None:
                continue
            layers: list[Layer] = []
            for variable in unit.variables:
                layer = variable.layer
                if variable.route == "model" and layer is not None and penalizes(variable.regularizer):
                    if layer not in layers:
                        layers.append(layer)
            argument = loss_argument(step)
            if not layers or argument is None:
                continue
            if step.site.facts is facts:
                where: cst.CSTNode | None = argument
            elif any(layer.site.facts is facts for layer in layers):
                # The head that minimizes is another module's, the layers are this one's: the call here
                # that hands them to it (an estimator's model_fn calling a shared head).
                where = step.site.via(facts)
            else:
                continue
            if where is None:
                continue
            first = layers[0]
            line = f" line {facts.span(first.site.node).line}" if first.site.facts is facts else ""
            there = "" if where is argument else f" ({step.site.place_from(facts)})"
            yield self.finding(
                facts,
                where,
                f"the loss passed to `{step.kind}`{there} reads only REGULARIZATION_LOSSES, but the Keras layers' penalties "
                f"(`{first.cls}(...)`{line}{' and others' if len(layers) > 1 else ''}) never enter that collection: "
                "they are not trained",
                symbol=facts.code(argument) if where is argument and isinstance(argument, cst.Name) else None,
                fix=_fix(facts, step, layers) if where is argument else None,
            )


def _fix(facts: ModuleFacts, step: TrainStep, layers: list[Layer]) -> Fix | None:
    names = []
    for layer in layers:
        name = layer.symbol
        if name is None or layer.site.facts is not facts:
            return None  # a layer built inline has no name to read its losses from
        names.append(name)
    losses = " + ".join(f"{name}.losses" for name in dict.fromkeys(names))
    addition = f"sum({losses})"
    return add_to_loss_fix(
        facts, step, addition, f"Add the Keras layers' penalties, `{addition}`, to the minimized loss"
    )
