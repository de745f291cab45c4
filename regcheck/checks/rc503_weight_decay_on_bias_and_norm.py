"""RC503 weight-decay-on-bias-and-norm: optimizer weight decay without excluding biases and normalization parameters.

``exclude_from_weight_decay(var_names=[...])`` matches its patterns (``re.search``)
against ``variable.name``. In Keras 3 that is the short name (``bias``, ``gamma``,
``kernel``), so layer names (``"dense_1"``, ``"batch_norm"``) exclude nothing; in
tf-keras it is the full name (``dense_1/bias:0``), where they do (RULES.md, Versions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import literal_value
from regcheck.facts.optimizer_models import trained_models
from regcheck.facts.optimizers import OptimizerFact, binding, optimizers
from regcheck.findings import Finding, Fix

EXCLUDED_NAMES = '["bias", "gamma", "beta"]'
_SHORT_NAMES = ("bias", "gamma", "beta")


class WeightDecayOnBiasAndNorm(Check):
    code = "RC503"
    name = "weight-decay-on-bias-and-norm"
    severity = "info"
    summary = "optimizer weight decay without excluding biases and norms"
    fix_safety = "safe"
    triggers = (b"weight_decay", b"AdamW", b"SGDW", b"adamw")

    VALID = [
        """
import keras
optimizer = keras.optimizers.AdamW(1e-3, weight_decay=1e-2)
optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
""",
        # Keras 2 (tf-keras): variable names hold the layer name, so layer names exclude its variables.
        """
import tf_keras as keras
optimizer = keras.optimizers.AdamW(1e-3, weight_decay=1e-2)
optimizer.exclude_from_weight_decay(var_names=["dense_1", "batch_normalization"])
""",
        # Hand-made variables, no model.
        """
import keras
opt = keras.optimizers.AdamW(1e-3, weight_decay=1e-2)
opt.apply_gradients(zip([grad], [var]))
""",
        # A model without biases or normalization layers has nothing to exclude.
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, use_bias=False)])
model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")
""",
    ]
    INVALID = [
        """
import keras
optimizer = keras.optimizers.AdamW(1e-3, weight_decay=1e-2)
""",
        # Keras 3: variable names are short, so layer names exclude nothing.
        """
import keras
optimizer = keras.optimizers.AdamW(1e-3, weight_decay=1e-2)
optimizer.exclude_from_weight_decay(var_names=["dense_1", "batch_normalization"])
""",
        """
import tensorflow_addons as tfa
opt = tfa.optimizers.AdamW(weight_decay=1e-4, learning_rate=1e-3)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for optimizer in optimizers(facts):
            if not optimizer.decoupled:
                continue
            missed = _keras3_names_exclude_nothing(facts, optimizer) if optimizer.excluded else None
            if optimizer.excluded and missed is None:
                continue
            models, unknown = trained_models(facts, optimizer)
            if optimizer.raw_updates and not optimizer.models:
                continue  # hand-made variables: no biases or normalization layers to speak of
            if not unknown and not any(
                use.layer.has_bias or use.layer.kind == "norm" for m in models for use in m.uses
            ):
                continue
            if missed is not None:
                yield self.finding(
                    facts,
                    missed,
                    f"in Keras 3 `exclude_from_weight_decay(var_names=...)` matches short variable names "
                    f"(`bias`, `gamma`, `beta`), not layer names: `{optimizer.cls}` still decays biases and "
                    "normalization scale/offset",
                    symbol=optimizer.cls,
                ).with_changes(keras="3")
                continue
            finding = self.finding(
                facts,
                optimizer.node,
                f"`{optimizer.cls}` decays every variable, biases and normalization scale/offset included",
                symbol=optimizer.cls,
                fix=_exclude_fix(facts, optimizer),
            )
            yield finding.with_changes(keras=facts.keras_version) if optimizer.keras else finding


def _keras3_names_exclude_nothing(facts: ModuleFacts, optimizer: OptimizerFact) -> cst.CSTNode | None:
    """Keras 3: the ``var_names=`` list given to this optimizer, when no pattern in it matches a bias or
    normalization variable's short name (and no ``var_list=`` / constructor argument excludes more)."""
    if facts.keras_version != "3" or not optimizer.keras or optimizer.call is None:
        return None
    if optimizer.call.arg("exclude_from_weight_decay") is not None:
        return None
    statement = binding(facts, optimizer)
    if statement is None:
        return None
    name = facts.code(statement.body[0].targets[0].target)  # type: ignore[attr-defined]
    found: cst.CSTNode | None = None
    for call in facts.calls_with_method("exclude_from_weight_decay"):
        if call.receiver is None or facts.code(call.receiver) != name:
            continue
        names = call.value("var_names", 1)
        if call.arg("var_list", 0) is not None or not isinstance(names, (cst.List, cst.Tuple)):
            return None
        patterns = [literal_value(e.value) for e in names.elements]
        if not all(isinstance(p, str) for p in patterns):
            return None
        if any(re.search(str(p), short) for p in patterns for short in _SHORT_NAMES):
            return None
        found = names
    return found


def _exclude_fix(facts: ModuleFacts, optimizer: OptimizerFact) -> Fix | None:
    statement = binding(facts, optimizer)
    if statement is None or not optimizer.keras:
        return None
    name = facts.code(statement.body[0].targets[0].target)  # type: ignore[attr-defined]
    indent = " " * (facts.span(statement).column - 1)
    line = f"{name}.exclude_from_weight_decay(var_names={EXCLUDED_NAMES})"
    return safe_fix(
        f"Exclude biases and normalization parameters: `{line}`",
        edits.insert_after(facts, statement, f"\n{indent}{line}"),
    )
