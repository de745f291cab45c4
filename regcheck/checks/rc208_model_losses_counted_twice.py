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

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.semantics import ADDED_BY_COMPILED_LOSS, ADDED_BY_COMPUTE_LOSS, ADDED_BY_KERAS3_SHIM
from regcheck.facts.program.training import explicit_sum, loss_terms
from regcheck.facts.program.values import Term
from regcheck.findings import Finding

_WHY = {
    ADDED_BY_COMPUTE_LOSS: "`compute_loss(...)` adds them itself",
    ADDED_BY_COMPILED_LOSS: "`compiled_loss(..., regularization_losses=...)` adds them",
    ADDED_BY_KERAS3_SHIM: "Keras 3's `compiled_loss(...)` adds them itself on the TensorFlow backend",
}


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
        for step in program(facts).train_steps:
            terms = loss_terms(step)
            added = [t for t in terms if t.kind == "model_losses" and t.penalty in _WHY and _counts(facts, t)]
            if not added:
                continue
            for term in terms:
                extra = explicit_sum(facts, term)
                if extra is None or extra in reported:
                    continue
                reported.add(extra)
                yield self._finding(facts, added[0], extra)

    def _finding(self, facts: ModuleFacts, adder: Term, extra: cst.Call) -> Finding:
        shown = facts.code(extra)
        removal = edits.remove_operand(facts, extra)
        entry = "compute_loss" if adder.penalty == ADDED_BY_COMPUTE_LOSS else "compiled_loss"
        fix = safe_fix(f"Drop `{shown}`: `{entry}` already adds the penalties", removal) if removal else None
        finding = self.finding(
            facts,
            extra,
            f"`model.losses` reach the loss twice: {_WHY[adder.penalty]}, and `{shown}` adds them again, "
            "so every penalty counts double",
            symbol=shown,
            fix=fix,
        )
        return self.versioned(facts, finding) if adder.penalty == ADDED_BY_KERAS3_SHIM else finding


def _counts(facts: ModuleFacts, term: Term) -> bool:
    """Keras 3's compiled_loss adds the penalties only in Keras 3: where that is not known, no verdict."""
    return term.penalty != ADDED_BY_KERAS3_SHIM or facts.keras_version == "3"
