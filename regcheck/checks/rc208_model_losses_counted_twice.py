"""RC208 model-losses-counted-twice: ``model.losses`` reach the training loss twice.

Keras adds ``model.losses`` inside some of its own loss entry points, and code that
adds them again by hand counts every penalty twice (RULES.md, Versions):

- ``compute_loss(...)`` adds them, in Keras 3 and in tf-keras alike (tf-keras's returns
  ``compiled_loss(..., regularization_losses=self.losses)``), unless the class overrides
  ``compute_loss`` with one that does not;
- ``compiled_loss(...)`` on Keras 3's TensorFlow backend is a shim that ignores
  ``regularization_losses=`` and adds them anyway: plus ``self.losses`` it double counts
  in Keras 3 only;
- ``compiled_loss(..., regularization_losses=self.losses)`` adds them in every version.

The extra addition is an explicit sum of a ``.losses`` list (``sum(self.losses)``,
``tf.add_n(model.losses)``, ``tf.reduce_sum(...)``, ``keras.ops.sum(...)``) in the
same loss; the safe fix drops it, keeping the one Keras makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import CallFact, ModuleFacts
from regcheck.facts.dataflow import closure
from regcheck.facts.tapes import gradient_calls
from regcheck.findings import Finding

_SUMS = frozenset(
    {"tf.add_n", "tf.math.add_n", "tf.reduce_sum", "tf.math.reduce_sum", "keras.ops.sum", "keras.ops.add_n"}
)


@dataclass(frozen=True)
class _Adder:
    """A Keras call that adds model.losses itself, and why."""

    call: CallFact
    why: str


class ModelLossesCountedTwice(Check):
    code = "RC208"
    name = "model-losses-counted-twice"
    severity = "warning"
    summary = "model.losses reach the loss twice"
    fix_safety = "safe"
    graph = True
    triggers = (b"compute_loss", b"compiled_loss")

    VALID = [
        # compute_loss already adds self.losses.
        """
import keras
import tensorflow as tf
class Custom(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        # Keras 2 (tf-keras): compiled_loss without regularization_losses= adds nothing, so adding them is right.
        """
import tf_keras as keras
import tensorflow as tf
class Custom(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred) + tf.add_n(self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        # An override of compute_loss that adds nothing: adding self.losses after it is right.
        """
import keras
import tensorflow as tf
class Custom(keras.Model):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return keras.ops.mean(keras.ops.square(y - y_pred))
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred) + sum(self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
    ]
    INVALID = [
        # compute_loss adds them, then again by hand (Keras 3 and tf-keras alike).
        """
import keras
import tensorflow as tf
class Custom(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred) + sum(self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        # Keras 3: compiled_loss adds them on the TensorFlow backend, then again by hand.
        """
import tensorflow as tf
class Custom(tf.keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred) + tf.add_n(self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        # Keras 2 (tf-keras): given regularization_losses=, compiled_loss adds them; then again by hand.
        """
import tf_keras as keras
import tensorflow as tf
class Custom(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses) + tf.add_n(self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
""",
        # An override that defers to super().compute_loss and adds them again.
        """
import keras
class Custom(keras.Model):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight)
        return loss + keras.ops.sum(self.losses)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        reported: set[cst.CSTNode] = set()
        for target in _loss_roots(facts):
            nodes = closure(facts, target).nodes
            adders = [a for a in (_adder(facts, n) for n in nodes) if a is not None]
            if not adders:
                continue
            for extra in (n for n in nodes if _explicit_sum(facts, n)):
                if extra in reported:
                    continue
                reported.add(extra)
                yield self._finding(facts, adders[0], cast(cst.Call, extra))  # _explicit_sum: a call

    def _finding(self, facts: ModuleFacts, adder: _Adder, extra: cst.Call) -> Finding:
        shown = facts.code(extra)
        removal = edits.remove_operand(facts, extra)
        fix = (
            safe_fix(f"Drop `{shown}`: `{adder.call.method}` already adds the penalties", removal) if removal else None
        )
        finding = self.finding(
            facts,
            extra,
            f"`model.losses` reach the loss twice: {adder.why}, and `{shown}` adds them again, "
            "so every penalty counts double",
            symbol=shown,
            fix=fix,
        )
        version_dependent = adder.call.method == "compiled_loss" and adder.call.arg("regularization_losses") is None
        return finding.with_changes(keras=facts.keras_version) if version_dependent else finding


def _loss_roots(facts: ModuleFacts) -> Iterator[cst.BaseExpression]:
    """The losses that are trained: tape.gradient targets, and what compute_loss overrides return."""
    for grad in gradient_calls(facts):
        yield grad.target
    for function in facts.functions:
        if function.name.value == "compute_loss" and _is_method(facts, function):
            yield from facts.returns.get(function, [])


def _is_method(facts: ModuleFacts, function: cst.FunctionDef) -> bool:
    return isinstance(facts.parent(facts.parent(function) or function), cst.ClassDef)


def _adder(facts: ModuleFacts, node: cst.CSTNode) -> _Adder | None:
    call = facts.call(node) if isinstance(node, cst.Call) else None
    if call is None or call.name is not None:
        return None
    if call.method == "compute_loss":
        if _own_override_adds_nothing(facts, call):
            return None
        return _Adder(call, "`compute_loss(...)` adds them itself")
    if call.method == "compiled_loss":
        if call.arg("regularization_losses") is not None:
            return _Adder(call, "`compiled_loss(..., regularization_losses=...)` adds them")
        if facts.keras_version == "3":
            return _Adder(call, "Keras 3's `compiled_loss(...)` adds them itself on the TensorFlow backend")
    return None


def _own_override_adds_nothing(facts: ModuleFacts, call: CallFact) -> bool:
    """``self.compute_loss(...)`` in a class whose own compute_loss never adds the losses."""
    if not (isinstance(call.receiver, cst.Name) and call.receiver.value == "self") or call.class_def is None:
        return False
    for statement in call.class_def.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "compute_loss":
            return not _adds_losses(facts, statement)
    return False


def _adds_losses(facts: ModuleFacts, function: cst.FunctionDef) -> bool:
    for call in facts.calls:
        if call.function is function and call.method == "compute_loss":
            return True  # super().compute_loss(...)
    for value in facts.returns.get(function, []):
        for node in closure(facts, value).nodes:
            if isinstance(node, cst.Attribute) and node.attr.value == "losses" and facts.canonical(node) is None:
                return True
    return False


def _explicit_sum(facts: ModuleFacts, node: cst.CSTNode) -> bool:
    """``sum(x.losses)``, ``tf.add_n(x.losses)``, ``tf.reduce_sum(x.losses)``, ``keras.ops.sum(x.losses)``."""
    call = facts.call(node) if isinstance(node, cst.Call) else None
    if call is None or not call.positional:
        return False
    is_sum = call.name in _SUMS or (
        isinstance(call.node.func, cst.Name) and call.node.func.value == "sum" and call.name is None
    )
    argument = call.positional[0].value
    return (
        is_sum
        and isinstance(argument, cst.Attribute)
        and argument.attr.value == "losses"
        and facts.canonical(argument) is None
    )
