"""RC601 legacy-l2-regularizer: TF1 regularizer factories, converted with identical numbers.

The spelling written follows the Keras the file runs on (RULES.md, Versions): Keras 3
gets ``L2`` / ``L1``; Keras 2 gets the lowercase ``l2`` / ``l1``, which every tf.keras
has (older ones have no ``L2`` class), and its lowercase aliases are not findings.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import CallFact, ModuleFacts
from regcheck.facts.dataflow import literal_value
from regcheck.findings import Finding, Fix

# name -> (Keras class, halve the scale?): tf.nn.l2_loss is sum(w**2) / 2, Keras L2 is sum(w**2).
_LEGACY = {
    "tf.contrib.layers.l2_regularizer": ("L2", True),
    "slim.l2_regularizer": ("L2", True),
    "tf.contrib.layers.l1_regularizer": ("L1", False),
    "slim.l1_regularizer": ("L1", False),
    "keras.regularizers.l2": ("L2", False),
    "keras.regularizers.l1": ("L1", False),
}


class LegacyL2Regularizer(Check):
    code = "RC601"
    name = "legacy-l2-regularizer"
    severity = "info"
    summary = "a legacy l2 regularizer with an exact modern spelling"
    fix_safety = "safe"
    triggers = (b"l2_regularizer", b"l1_regularizer", b"regularizers.l2", b"regularizers.l1", b"l2(")

    VALID = [
        """
import tensorflow as tf
reg = tf.keras.regularizers.L2(0.005)
""",
        # Keras 2 (tf-keras): the lowercase factory is its own spelling.
        """
import tf_keras as keras
reg = keras.regularizers.l2(0.01)
""",
    ]
    INVALID = [
        """
import tensorflow as tf
reg = tf.contrib.layers.l2_regularizer(0.01)
""",
        """
import keras
reg = keras.regularizers.l2(0.01)
""",
        # Keras 2 (tf-keras): the lowercase factory is the spelling that exists everywhere,
        # and the TF1 factory converts to it.
        """
import tf_keras as keras
import tensorflow as tf
reg = tf.contrib.layers.l2_regularizer(0.01)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        calls = facts.calls_named(_LEGACY)
        # Keras 2, or unknown: the lowercase factories are the spelling that exists in every version.
        keras3 = bool(calls) and facts.keras_version == "3"
        for call in calls:
            assert call.name is not None
            target, halve = _LEGACY[call.name]
            if not keras3:
                if call.name.startswith("keras."):
                    continue  # Keras 2's own spelling: older tf.keras has no `L2` class
                target = target.lower()
            note = " (tf.nn.l2_loss halves the square sum, Keras L2 does not, so the scale is halved)" if halve else ""
            finding = self.finding(
                facts,
                call.node,
                f"`{call.name}` is a legacy spelling; use `keras.regularizers.{target}`{note}",
                fix=_fix(facts, call, target, halve),
            )
            yield self.versioned(facts, finding)


def _fix(facts: ModuleFacts, call: CallFact, target: str, halve: bool) -> Fix | None:
    scale = (
        call.value("scale", 0) if call.name and not call.name.startswith("keras.") else call.value(target.lower(), 0)
    )
    if scale is None or len(call.node.args) != 1:
        return None
    keras, imports = facts.keras_prefix()
    prefix = f"{keras}.regularizers"
    value = literal_value(scale)
    if halve:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            argument = repr(value / 2)  # dividing by two is exact in binary floating point
        else:
            argument = f"{_parenthesized(facts, scale)} / 2"
    else:
        argument = facts.code(scale)
    replacement = f"{prefix}.{target}({argument})"
    return safe_fix(f"Replace with `{replacement}`", edits.replace(facts, call.node, replacement), imports=imports)


def _parenthesized(facts: ModuleFacts, node: cst.BaseExpression) -> str:
    code = facts.code(node)
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return code
    return f"({code})"
