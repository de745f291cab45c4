"""RC404 handwritten-orthogonal-regularizer: an orthogonality penalty the built-in regularizer covers."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.orthogonal_penalty import BuiltinMatch, match_builtin, per_element_loops
from regcheck.facts.regularizer_functions import VOCABULARY as REGULARIZER_FUNCTION_VOCABULARY
from regcheck.facts.regularizer_functions import RegularizerUse, regularizer_functions
from regcheck.findings import Finding, Fix

# Keywords that hand the regularizer a kernel (the built-in needs a rank-2 weight).
_WEIGHT_KEYWORDS = frozenset({"kernel_regularizer", "weights_regularizer", "W_regularizer", "recurrent_regularizer"})


class HandwrittenOrthogonalRegularizer(Check):
    code = "RC404"
    name = "handwritten-orthogonal-regularizer"
    severity = "info"
    summary = "a hand-written orthogonality penalty the built-in covers"
    fix_safety = "unsafe"
    triggers = vocabulary.trigger_words(REGULARIZER_FUNCTION_VOCABULARY)

    VALID = [
        # A tensor-only soft orthogonality penalty ||W^T W - I||^2 is a different penalty: not reported.
        """
import tensorflow as tf
def orthogonal(w):
    gram = tf.matmul(w, w, transpose_a=True)
    return 0.01 * tf.reduce_sum(tf.square(gram - tf.eye(w.shape[-1])))
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
        """
import keras
layer = keras.layers.Dense(64, kernel_regularizer=keras.regularizers.OrthogonalRegularizer(factor=0.01, mode="columns"))
""",
    ]
    INVALID = [
        """
import tensorflow as tf
def orthogonal(w):
    n = w.shape[-1]
    penalty = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                penalty += tf.abs(tf.reduce_sum(w[:, i] * w[:, j]))
    return 0.01 * penalty
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
        """
import tensorflow as tf
def orthogonal(w):
    normalized = tf.math.l2_normalize(w, axis=0)
    product = tf.matmul(tf.transpose(normalized), normalized)
    size = product.shape[0]
    off_diagonal = product * (1.0 - tf.eye(size))
    pairs = size * (size - 1.0) / 2.0
    return 0.01 * 0.5 * tf.reduce_sum(tf.abs(off_diagonal)) / pairs
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for function in regularizer_functions(facts):
            match = match_builtin(function)
            loop = per_element_loops(function) if match is None else None
            if match is None and loop is None:
                continue
            if match is not None:
                message = (
                    f"regularizer {function.where} is keras' OrthogonalRegularizer(factor={match.factor!r}, "
                    f'mode="{match.mode}") written by hand; use the built-in'
                )
            else:
                message = (
                    f"regularizer {function.where} builds its orthogonality penalty with per-element Python loops "
                    "(O(n^2) graph ops); use a matrix product W^T W, or keras.regularizers.OrthogonalRegularizer"
                )
            uses = [u for u in function.uses if u.keyword != "activity_regularizer"]
            if not uses and function.local:
                node = function.node.name if hasattr(function.node, "name") else function.node
                yield self.finding(facts, node, message, symbol=function.name)
            for use in uses:
                yield self.finding(facts, use.arg, message, symbol=function.name, fix=_fix(facts, use, match))


def _fix(facts: ModuleFacts, use: RegularizerUse, match: BuiltinMatch | None) -> Fix | None:
    if match is None or use.keyword not in _WEIGHT_KEYWORDS:
        return None
    prefix, imports = facts.keras_prefix()
    replacement = f'{prefix}.regularizers.OrthogonalRegularizer(factor={match.factor!r}, mode="{match.mode}")'
    value = use.arg.value  # type: ignore[attr-defined]
    return unsafe_fix(
        "Use keras.regularizers.OrthogonalRegularizer", edits.replace(facts, value, replacement), imports=imports
    )
