"""RC202 model-losses-unused: the model carries penalties but the custom training loss leaves them out.

``compiled_loss(y, y_pred)`` alone is a bug only in Keras 2 (tf-keras): Keras 3's
``compiled_loss`` on the TensorFlow backend is a deprecated shim that ignores
``regularization_losses=`` and adds ``model.losses`` itself (RULES.md, Versions;
RC208 reports the double count that adding them by hand then makes).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import closure
from regcheck.facts.keras_models import ModelInfo
from regcheck.facts.keras_units import class_model
from regcheck.facts.tapes import GradientCall, gradient_calls, inside, loss_reads, trained_model
from regcheck.findings import Edit, Finding, Fix

# Expressions that bind looser than `+`: appending `+ x` to them needs parentheses.
_LOOSE = (cst.Lambda, cst.IfExp, cst.BooleanOperation, cst.Comparison, cst.NamedExpr)


class ModelLossesUnused(Check):
    code = "RC202"
    name = "model-losses-unused"
    severity = "error"
    summary = "model.losses are left out of a custom training loss"
    fix_safety = "safe"
    graph = True
    triggers = (b"GradientTape", b"compute_loss", b"compiled_loss")

    VALID = [
        # compile + fit: the stock train_step adds model.losses.
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y)
""",
        # The loop adds the penalties.
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x, training=True)) + tf.add_n(model.losses)
grads = tape.gradient(loss, model.trainable_variables)
""",
        # No penalties at all: nothing to add.
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x, training=True))
grads = tape.gradient(loss, model.trainable_variables)
""",
        # Keras 3: compute_loss adds self.losses.
        """
import keras
import tensorflow as tf
class Custom(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
inputs = keras.Input((3,))
model = Custom(inputs, keras.layers.Dense(1, kernel_regularizer="l2")(inputs))
""",
        # Keras 3: compiled_loss is a shim that adds model.losses itself (on the TensorFlow backend).
        """
import tensorflow as tf
class Custom(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.l2(0.01))
    def call(self, x):
        return self.dense(x)
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        # A model that cannot be seen is unknown.
        """
import tensorflow as tf
model = tf.keras.models.load_model("m.keras")
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
grads = tape.gradient(loss, model.trainable_variables)
""",
    ]
    INVALID = [
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])
loss_fn = tf.keras.losses.MeanSquaredError()
@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    return loss
""",
        # Keras 2 (tf-keras): compiled_loss adds only the regularization_losses it is given.
        """
import os
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf
class Custom(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.l2(0.01))
    def call(self, x):
        return self.dense(x)
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        """
import keras
class Custom(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.01))
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return keras.ops.mean(keras.ops.square(y - y_pred))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for grad in gradient_calls(facts):
            finding = self._check_gradient(facts, grad)
            if finding is not None:
                yield finding
        yield from self._check_compute_loss(facts)

    def _check_gradient(self, facts: ModuleFacts, grad: GradientCall) -> Finding | None:
        found = trained_model(facts, grad)
        if found is None:
            return None  # the model is not visible: no guess
        model_expr, model = found
        if not model.penalized:
            return None
        reads = loss_reads(facts, grad.target, model_expr)
        if reads.model_losses or reads.opaque:
            return None
        losses = f"{facts.code(model_expr)}.losses"
        if reads.compiled_loss is not None:
            if facts.keras_version == "3":
                return None  # Keras 3's compiled_loss adds model.losses itself
            call = reads.compiled_loss
            receiver = facts.code(call.receiver) if call.receiver is not None else "self"
            return self.finding(
                facts,
                call.node,
                f"`compiled_loss` is called without `regularization_losses={receiver}.losses`, "
                f"so the penalties of {_describe(model)} never reach the loss (Keras 2; Keras 3's adds them)",
                fix=safe_fix(
                    f"Pass `regularization_losses={receiver}.losses`",
                    edits.add_keyword(facts, call.node, "regularization_losses", f"{receiver}.losses"),
                ),
            ).with_changes(keras=facts.keras_version)
        return self.finding(
            facts,
            grad.target,
            f"the loss given to `tape.gradient` leaves out `{losses}`: the penalties of {_describe(model)} "
            "are never trained",
            symbol=facts.code(grad.target),
            fix=_add_losses_fix(facts, grad, losses),
        )

    def _check_compute_loss(self, facts: ModuleFacts) -> Iterable[Finding]:
        for function in facts.functions:
            if function.name.value != "compute_loss" or not _is_method(facts, function):
                continue
            model = class_model(facts, function)
            if model is None or not model.penalized or _adds_losses(facts, function):
                continue
            returns = facts.returns.get(function, [])
            fix = None
            if returns:
                fix = safe_fix(
                    "Add `sum(self.losses)` to the returned loss",
                    *(_append(facts, r, "sum(self.losses)") for r in returns),
                )
            yield self.finding(
                facts,
                function.name,
                f"this `compute_loss` override never adds `self.losses`: the penalties of {_describe(model)} are never trained",
                fix=fix,
            )


def _describe(model: ModelInfo) -> str:
    return f"`{model.label}`" if model.label != "<module>" else "the model"


def _is_method(facts: ModuleFacts, function: cst.FunctionDef) -> bool:
    parent = facts.parent(facts.parent(function) or function)
    return isinstance(parent, cst.ClassDef)


def _adds_losses(facts: ModuleFacts, function: cst.FunctionDef) -> bool:
    """The override reads `.losses` or defers to `super().compute_loss(...)`."""
    for call in facts.calls:
        if call.function is function and call.method == "compute_loss":
            return True
    for value in facts.returns.get(function, []):
        for node in closure(facts, value).nodes:
            if isinstance(node, cst.Attribute) and node.attr.value == "losses":
                return True
    return False


def _append(facts: ModuleFacts, value: cst.BaseExpression, addition: str) -> Edit:
    if isinstance(value, _LOOSE):
        return edits.replace(facts, value, f"({facts.code(value)}) + {addition}")
    return edits.insert_after(facts, value, f" + {addition}")


def _add_losses_fix(facts: ModuleFacts, grad: GradientCall, losses: str) -> Fix | None:
    """Add `sum(model.losses)` where the target is last assigned inside the tape block."""
    if grad.tape is None or not isinstance(grad.target, cst.Name):
        return None
    name = grad.target.value
    assignments = [
        (target, value)
        for target, values in facts.bound_values.items()
        if isinstance(target, cst.Name) and target.value == name and inside(facts, target, grad.tape.with_node)
        for value in values
    ]
    if not assignments:
        return None
    _target, value = max(assignments, key=lambda pair: facts.span(pair[0]).line)
    # `sum`, not `tf.add_n`: an empty model.losses makes add_n fail, sum gives 0.
    return safe_fix(f"Add `sum({losses})` to the loss inside the tape", _append(facts, value, f"sum({losses})"))
