"""RC503 weight-decay-on-bias-and-norm: optimizer weight decay without excluding biases and normalization parameters.

``exclude_from_weight_decay(var_names=[...])`` matches its patterns (``re.search``)
against ``variable.name``. In Keras 3 that is the short name (``bias``, ``gamma``,
``kernel``), so layer names (``"dense_1"``, ``"batch_norm"``) exclude nothing; in
tf-keras it is the full name (``dense_1/bias:0``), where they do (RULES.md, Versions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program.optimization import Trained, decouples, is_keras, located, short_name
from regcheck.facts.program.values import Const, Optimizer, Sequence, SiteRef
from regcheck.facts.roles import Role
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
    import_triggers = triggers  # the optimizer may be made by a helper of an imported module

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
        for entry, node, verdict in located(facts, _decays_bias_and_norm):
            optimizer = entry.optimizer
            name = short_name(optimizer)
            names = verdict.names_excluding_nothing
            if names is not None:
                if names.facts is not facts:
                    continue  # written in another module: that module's finding
                finding = self.finding(
                    facts,
                    names.node,
                    f"in Keras 3 `exclude_from_weight_decay(var_names=...)` matches short variable names "
                    f"(`bias`, `gamma`, `beta`), not layer names: `{name}` still decays biases and "
                    "normalization scale/offset",
                    symbol=name,
                )
                yield self.versioned(facts, finding)  # given only where this file is Keras 3
                continue
            finding = self.finding(
                facts,
                node,
                f"`{name}` decays every variable, biases and normalization scale/offset included",
                symbol=name,
                fix=_exclude_fix(facts, optimizer),
            )
            yield self.versioned(facts, finding) if is_keras(optimizer) else finding


@dataclass(frozen=True)
class _Decays:
    """It decays biases and normalization parameters: nothing is excluded, or (Keras 3) the
    ``var_names=`` list written here excludes nothing."""

    names_excluding_nothing: SiteRef | None


def _decays_bias_and_norm(facts: ModuleFacts, entry: Trained) -> _Decays | None:
    optimizer = entry.optimizer
    if not decouples(optimizer):
        return None
    excluded = bool(optimizer.exclusions) or "exclude_from_weight_decay" in optimizer.arguments
    missed = _keras3_names_exclude_nothing(facts, optimizer) if excluded else None
    if excluded and missed is None:
        return None
    if optimizer.unseen_updates and not entry.steps and not optimizer.updated_models:
        return None  # hand-made variables: no biases or normalization layers to speak of
    if not entry.unknown and not any(v.role in (Role.BIAS, Role.NORM) for v in entry.variables):
        return None
    return _Decays(missed)


def _keras3_names_exclude_nothing(facts: ModuleFacts, optimizer: Optimizer) -> SiteRef | None:
    """Keras 3: where the ``var_names=`` list given to this optimizer is written, when no pattern in it
    matches a bias or normalization variable's short name (and nothing else excludes more)."""
    if facts.keras_version != "3" or not is_keras(optimizer) or "exclude_from_weight_decay" in optimizer.arguments:
        return None
    found: SiteRef | None = None
    for site, args in optimizer.exclusions:
        names = args.get("var_names", 1)
        if site is None or args.get("var_list", 0) is not None or not isinstance(names, Sequence):
            return None
        patterns = [item.value if isinstance(item, Const) else None for item in names.items]
        if not names.exact or not all(isinstance(p, str) for p in patterns):
            return None
        if any(re.search(str(p), short) for p in patterns for short in _SHORT_NAMES):
            return None
        node = args.node("var_names", 1)
        found = SiteRef(site.facts, node if node is not None else site.node, site.chain)
    return found


def _binding(facts: ModuleFacts, optimizer: Optimizer) -> tuple[cst.SimpleStatementLine, str] | None:
    """``opt = AdamW(...)`` as a statement of its own in this module, and the name, for a fix that
    adds a line after it."""
    site = optimizer.site
    if site is None or site.facts is not facts or optimizer.node is None:
        return None
    assign = facts.parent(optimizer.node)
    statement = facts.parent(assign) if isinstance(assign, cst.Assign) else None
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assert isinstance(assign, cst.Assign)
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    return statement, assign.targets[0].target.value


def _exclude_fix(facts: ModuleFacts, optimizer: Optimizer) -> Fix | None:
    bound = _binding(facts, optimizer)
    if bound is None or not is_keras(optimizer):
        return None
    statement, name = bound
    indent = " " * (facts.span(statement).column - 1)
    line = f"{name}.exclude_from_weight_decay(var_names={EXCLUDED_NAMES})"
    return safe_fix(
        f"Exclude biases and normalization parameters: `{line}`",
        edits.insert_after(facts, statement, f"\n{indent}{line}"),
    )
