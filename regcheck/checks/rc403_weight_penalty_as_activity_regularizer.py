"""RC403 weight-penalty-as-activity-regularizer: a weight-matrix penalty applied to layer outputs."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import CallFact, ModuleFacts
from regcheck.facts.dataflow import resolve_expr
from regcheck.facts.regularizer_functions import (
    RegularizerFunction,
    builds_identity,
    gram_products,
    regularizer_functions,
    spectral_ops,
)
from regcheck.findings import Finding, Fix

_BUILTIN_WEIGHT_PENALTIES = frozenset(
    {"keras.regularizers.OrthogonalRegularizer", "keras.regularizers.orthogonal_regularizer"}
)


def is_weight_penalty(function: RegularizerFunction) -> bool:
    """A Gram matrix compared with the identity (orthogonality), or a spectral norm."""
    return (bool(gram_products(function)) and builds_identity(function)) or bool(spectral_ops(function))


class WeightPenaltyAsActivityRegularizer(Check):
    code = "RC403"
    name = "weight-penalty-as-activity-regularizer"
    severity = "warning"
    summary = "a weight penalty passed as activity_regularizer"
    fix_safety = "unsafe"
    triggers = (b"activity_regularizer",)

    VALID = [
        """
import tensorflow as tf
def orthogonal(w):
    return 0.01 * tf.reduce_sum(tf.square(tf.matmul(w, w, transpose_a=True) - tf.eye(w.shape[-1])))
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
        # DeCov-style penalties on activations are activity penalties.
        """
import tensorflow as tf
def sparse(a):
    return 1e-4 * tf.reduce_sum(tf.abs(a))
layer = tf.keras.layers.Dense(64, activity_regularizer=sparse)
""",
    ]
    INVALID = [
        """
import tensorflow as tf
def orthogonal(w):
    return 0.01 * tf.reduce_sum(tf.square(tf.matmul(w, w, transpose_a=True) - tf.eye(w.shape[-1])))
layer = tf.keras.layers.Dense(64, activity_regularizer=orthogonal)
""",
        """
import keras
layer = keras.layers.Dense(64, activity_regularizer=keras.regularizers.OrthogonalRegularizer(0.01))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for function in regularizer_functions(facts):
            if not is_weight_penalty(function):
                continue
            for use in function.uses:
                if use.keyword == "activity_regularizer":
                    yield self._report(
                        facts, use.arg, use.call, f"regularizer {function.where} computes a weight penalty"
                    )
        for call in facts.calls:
            arg = call.arg("activity_regularizer")
            if arg is None:
                continue
            for value in resolve_expr(facts, arg.value) if isinstance(arg.value, cst.Name) else [arg.value]:
                built = facts.call(value)
                if built is not None and built.name in _BUILTIN_WEIGHT_PENALTIES:
                    yield self._report(facts, arg, call, "`OrthogonalRegularizer` is a weight penalty")

    def _report(self, facts: ModuleFacts, arg: cst.CSTNode, call: CallFact, what: str) -> Finding:
        return self.finding(
            facts,
            arg,
            f"{what} (a Gram matrix W^T W or a spectral norm) but is passed as `activity_regularizer`, "
            "so it acts on the layer's outputs instead of its kernel",
            fix=_fix(facts, arg, call),
        )


def _fix(facts: ModuleFacts, arg: cst.CSTNode, call: CallFact) -> Fix | None:
    if not isinstance(arg, cst.Arg) or arg.keyword is None or call.arg("kernel_regularizer") is not None:
        return None
    return unsafe_fix("Pass it as `kernel_regularizer`", edits.replace(facts, arg.keyword, "kernel_regularizer"))
