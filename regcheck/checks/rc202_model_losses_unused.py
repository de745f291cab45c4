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
from regcheck.facts.program import program
from regcheck.facts.program.coverage import penalizes
from regcheck.facts.program.result import Program
from regcheck.facts.program.training import loss_argument, loss_is_opaque, loss_terms, unit_of
from regcheck.facts.program.values import Function, Model, Tensor, TrainStep, Variable
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
        prog = program(facts)
        seen: set[tuple[int, int]] = set()
        for step in prog.train_steps:
            finding = self._check(facts, prog, step)
            if finding is not None and (finding.line, finding.column) not in seen:
                seen.add((finding.line, finding.column))  # one step reached twice (two calls of a train function)
                yield finding

    def _check(self, facts: ModuleFacts, prog: Program, step: TrainStep) -> Finding | None:
        models = _trained_models(prog, step)
        if not models or not any(_penalized(m) for m in models) or loss_is_opaque(step):
            return None
        terms = loss_terms(step)
        if any(t.kind == "model_losses" for t in terms):
            return None
        if step.compute_loss_override is not None:
            return self._compute_loss(facts, step.compute_loss_override, models[0])
        if step.kind == "fit":
            return None
        compiled = next((t for t in terms if t.penalty == "compiled_loss" and t.site is not None), None)
        if compiled is not None and compiled.site is not None and compiled.site.facts is facts:
            call = compiled.site.node
            assert isinstance(call, cst.Call)
            receiver = facts.code(call.func.value) if isinstance(call.func, cst.Attribute) else "self"
            finding = self.finding(
                facts,
                call,
                f"`compiled_loss` is called without `regularization_losses={receiver}.losses`, "
                f"so the penalties of {_describe(models[0])} never reach the loss (Keras 2; Keras 3's adds them)",
                fix=safe_fix(
                    f"Pass `regularization_losses={receiver}.losses`",
                    edits.add_keyword(facts, call, "regularization_losses", f"{receiver}.losses"),
                ),
            )
            return self.versioned(facts, finding)
        argument = loss_argument(step)
        if argument is None or step.site.facts is not facts:
            return None
        owner = _model_expression(facts, step)
        losses = f"{owner}.losses"
        verb = "tape.gradient" if step.kind == "tape" else step.kind
        return self.finding(
            facts,
            argument,
            f"the loss given to `{verb}` leaves out `{losses}`: the penalties of {_describe(models[0])} "
            "are never trained",
            symbol=facts.code(argument),
            fix=_add_losses_fix(facts, step, losses) if step.kind == "tape" else None,
        )

    def _compute_loss(self, facts: ModuleFacts, override: Function, model: Model) -> Finding | None:
        definition = override.node
        if override.facts is not facts or not isinstance(definition, cst.FunctionDef):
            return None
        returns = facts.returns.get(definition, [])
        fix = None
        if returns:
            fix = safe_fix(
                "Add `sum(self.losses)` to the returned loss", *(_append(facts, r, "sum(self.losses)") for r in returns)
            )
        return self.finding(
            facts,
            definition.name,
            f"this `compute_loss` override never adds `self.losses`: the penalties of {_describe(model)} are never trained",
            fix=fix,
        )


def _trained_models(prog: Program, step: TrainStep) -> list[Model]:
    """The Keras models whose variables the step trains (visible ones: a loaded model is not)."""
    if step.model is not None:
        return [step.model]
    unit = unit_of(prog, step)
    trained: set[Variable] = set(unit.variables) if unit is not None else set()
    found = [m for m in prog.models if not m.opaque and trained & set(m.all_variables())]
    # The innermost: a model used as a block of another is trained as part of it.
    return sorted(found, key=lambda m: -len(m.all_variables()))


def _penalized(model: Model) -> bool:
    if model.losses or any(layer.losses for layer in model.all_layers()):
        return True
    return any(v.route == "model" and penalizes(v.regularizer) for v in model.all_variables())


def _describe(model: Model) -> str:
    """The model by its class, or by the builder that makes it (`build_model`), else "the model"."""
    if model.instance is not None:
        return f"`{model.instance.cls.name}`"
    if model.site.chain:
        chain_facts, call = model.site.chain[-1]
        if isinstance(call, cst.Call) and isinstance(call.func, (cst.Name, cst.Attribute)):
            return f"`{chain_facts.code(call.func)}`"
    return "the model"


def _model_expression(facts: ModuleFacts, step: TrainStep) -> str:
    """How the code spells the model: `model` in `tape.gradient(loss, model.trainable_variables)`."""
    call = step.site.node
    if isinstance(call, cst.Call):
        sources = [a.value for a in call.args if a.keyword is None][1:2] or [
            a.value for a in call.args if a.keyword is not None and a.keyword.value in ("sources", "var_list")
        ]
        for value in sources:
            if isinstance(value, cst.Attribute) and value.attr.value in ("trainable_variables", "trainable_weights"):
                return facts.code(value.value)
    return "model"


def _append(facts: ModuleFacts, value: cst.BaseExpression, addition: str) -> Edit:
    if isinstance(value, _LOOSE):
        return edits.replace(facts, value, f"({facts.code(value)}) + {addition}")
    return edits.insert_after(facts, value, f" + {addition}")


def _add_losses_fix(facts: ModuleFacts, step: TrainStep, losses: str) -> Fix | None:
    """Add `sum(model.losses)` where the loss is computed inside the tape block."""
    loss = step.loss
    tape = step.tape
    if not isinstance(loss, Tensor) or tape is None or tape.id not in loss.tapes:
        return None
    node = loss.node
    parent = facts.parent(node) if node is not None else None
    if not isinstance(parent, cst.Assign) or parent.value is not node or not isinstance(node, cst.BaseExpression):
        return None
    # `sum`, not `tf.add_n`: an empty model.losses makes add_n fail, sum gives 0.
    return safe_fix(f"Add `sum({losses})` to the loss inside the tape", _append(facts, node, f"sum({losses})"))
