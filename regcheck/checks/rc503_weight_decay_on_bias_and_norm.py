"""RC503 weight-decay-on-bias-and-norm: optimizer weight decay without excluding biases and normalization parameters."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.checks.optimizer_models import trained_models
from regcheck.facts import ModuleFacts
from regcheck.facts.optimizers import OptimizerFact, binding, optimizers
from regcheck.findings import Finding, Fix

EXCLUDED_NAMES = '["bias", "gamma", "beta"]'


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
        """
import tensorflow_addons as tfa
opt = tfa.optimizers.AdamW(weight_decay=1e-4, learning_rate=1e-3)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for optimizer in optimizers(facts):
            if not optimizer.decoupled or optimizer.excluded:
                continue
            models, unknown = trained_models(facts, optimizer)
            if optimizer.raw_updates and not optimizer.models:
                continue  # hand-made variables: no biases or normalization layers to speak of
            if not unknown and not any(use.layer.has_bias or use.layer.kind == "norm" for m in models for use in m.uses):
                continue
            yield self.finding(
                facts,
                optimizer.node,
                f"`{optimizer.cls}` decays every variable, biases and normalization scale/offset included",
                symbol=optimizer.cls,
                fix=_exclude_fix(facts, optimizer),
            )


def _exclude_fix(facts: ModuleFacts, optimizer: OptimizerFact) -> Fix | None:
    statement = binding(facts, optimizer)
    if statement is None or not optimizer.keras:
        return None
    name = facts.code(statement.body[0].targets[0].target)  # type: ignore[attr-defined]
    indent = " " * (facts.span(statement).column - 1)
    line = f"{name}.exclude_from_weight_decay(var_names={EXCLUDED_NAMES})"
    return safe_fix(f"Exclude biases and normalization parameters: `{line}`", edits.insert_after(facts, statement, f"\n{indent}{line}"))
