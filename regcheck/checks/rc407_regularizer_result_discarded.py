"""RC407 regularizer-result-discarded: a regularizer returns nothing or throws its penalty away."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks.base import Check
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.regularizer_functions import VOCABULARY as REGULARIZER_FUNCTION_VOCABULARY
from regcheck.facts.regularizer_functions import RegularizerFunction, calls_in, regularizer_functions
from regcheck.facts.subtrees import discarded_arithmetic
from regcheck.findings import Finding

# TF / Keras calls that do something besides returning a value.
_EFFECTS = (
    "print",
    "summary",
    "debugging",
    "assert",
    "add_to_collection",
    "assign",
    "scatter",
    "control_dependencies",
    "set_value",
    "print_tensor",
    "update",
    "py_function",
    "numpy_function",
    "Variable",
    "get_variable",
)


def _pure(name: str | None) -> bool:
    if name is None or not name.startswith(("tf.", "keras.")):
        return False
    return not any(part.startswith(_EFFECTS) for part in name.split(".")[1:])


def discarded(function: RegularizerFunction) -> list[cst.CSTNode]:
    """Expression statements that compute a tensor and drop it: `tf.add(a, b)`, `penalty + term`."""
    facts = function.facts
    found: list[cst.CSTNode] = []
    for call in calls_in(facts, function.node):
        if isinstance(facts.parent(call.node), cst.Expr) and _pure(call.name):
            found.append(call.node)
    if isinstance(function.node, cst.FunctionDef):
        found.extend(discarded_arithmetic(facts, function.node))  # nested functions are not its body
    return found


def returns_nothing(function: RegularizerFunction) -> bool:
    node = function.node
    if not isinstance(node, cst.FunctionDef):
        return False
    values = function.facts.returns.get(node, [])
    if values:
        # Something returned (a penalty), or `return None` written out: a function used for its side
        # effect on purpose (the max-norm trick registers clip ops and returns None).
        return False
    return not _is_generator_or_abstract(node)


def _is_generator_or_abstract(node: cst.FunctionDef) -> bool:
    code = cst.Module([]).code_for_node(node.body)
    return "yield" in code or "raise NotImplementedError" in code


class RegularizerResultDiscarded(Check):
    code = "RC407"
    name = "regularizer-result-discarded"
    severity = "error"
    summary = "a regularizer returns nothing or discards its penalty"
    triggers = vocabulary.trigger_words(REGULARIZER_FUNCTION_VOCABULARY)

    VALID = [
        """
import tensorflow as tf
def l1(w):
    penalty = tf.reduce_sum(tf.abs(w))
    return 0.01 * penalty
layer = tf.keras.layers.Dense(64, kernel_regularizer=l1)
""",
        # The max-norm trick: a "regularizer" that registers clip ops and returns None on purpose.
        """
import tensorflow.compat.v1 as tf
def max_norm_regularizer(threshold, collection="max_norm"):
    def max_norm(weights):
        clipped = tf.clip_by_norm(weights, clip_norm=threshold, axes=1)
        tf.add_to_collection(collection, tf.assign(weights, clipped))
        return None
    return max_norm
h = tf.layers.dense(x, 8, kernel_regularizer=max_norm_regularizer(1.0))
""",
        """
import tensorflow as tf
def l1(w):
    tf.print("norm", tf.norm(w))
    return 0.01 * tf.reduce_sum(tf.abs(w))
layer = tf.keras.layers.Dense(64, kernel_regularizer=l1)
""",
    ]
    INVALID = [
        # Called directly in the loss, not passed as a regularizer: the same mistake.
        """
import tensorflow as tf
def weight_penalty(w):
    tf.reduce_sum(tf.square(w))
loss = data_loss + weight_penalty(w)
""",
        """
import tensorflow as tf
def l1(w):
    penalty = 0.01 * tf.reduce_sum(tf.abs(w))
layer = tf.keras.layers.Dense(64, kernel_regularizer=l1)
""",
        """
import tensorflow as tf
def ortho(w):
    penalty = tf.zeros([])
    tf.add(penalty, tf.reduce_sum(tf.square(tf.matmul(w, w, transpose_a=True) - tf.eye(w.shape[-1]))))
    return penalty
layer = tf.keras.layers.Dense(64, kernel_regularizer=ortho)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for function in regularizer_functions(facts):
            problems: list[tuple[cst.CSTNode, str]] = []
            if returns_nothing(function):
                assert isinstance(function.node, cst.FunctionDef)
                problems.append(
                    (function.node.name, f"regularizer {function.where} returns nothing, so its penalty is None")
                )
            for node in discarded(function):
                code = function.facts.code(node)
                short = code if len(code) <= 40 else code[:37] + "..."
                problems.append((node, f"in regularizer {function.where}, the result of `{short}` is thrown away"))
            # Defined in another module: one finding per use is enough.
            for node, message in problems if function.local else problems[:1]:
                for where in function.report_at(node):
                    yield self.finding(facts, where, message, symbol=function.name)
