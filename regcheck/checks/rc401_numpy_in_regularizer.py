"""RC401 numpy-in-regularizer: a regularizer hands its tensor to numpy."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check
from regcheck.facts import CallFact, ModuleFacts, vocabulary
from regcheck.facts.regularizer_functions import VOCABULARY as REGULARIZER_FUNCTION_VOCABULARY
from regcheck.facts.regularizer_functions import (
    RegularizerFunction,
    calls_in,
    numpy_name,
    reads_values,
    regularizer_functions,
)
from regcheck.findings import Finding

_EVALUATORS = frozenset(
    {"keras.backend.eval", "keras.backend.get_value", "keras.backend.batch_get_value", "tf.make_ndarray"}
)


def _numpy_call(function: RegularizerFunction, call: CallFact) -> str | None:
    """How a call takes the tensor out of the graph, if it does."""
    facts = function.facts
    if call.method in ("numpy", "eval") and call.receiver is not None and call.name is None:
        if reads_values(facts, call.receiver, function.param):
            return f"`.{call.method}()`"
        return None
    spelled = numpy_name(facts, call) or (call.name if call.name in _EVALUATORS else None)
    if spelled is None or spelled in ("numpy.eye", "numpy.identity"):
        return None
    if any(reads_values(facts, arg.value, function.param) for arg in call.node.args):
        return f"`{facts.code(call.node.func)}`"
    return None


class NumpyInRegularizer(Check):
    code = "RC401"
    name = "numpy-in-regularizer"
    severity = "error"
    summary = "a regularizer applies numpy to its tensor"
    triggers = vocabulary.trigger_words(REGULARIZER_FUNCTION_VOCABULARY)

    VALID = [
        """
import tensorflow as tf
def orthogonal(w):
    gram = tf.matmul(w, w, transpose_a=True)
    return 0.01 * tf.reduce_sum(tf.square(gram - tf.eye(w.shape[-1])))
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
        # numpy on static facts (the shape) is fine.
        """
import numpy as np
import tensorflow as tf
def orthogonal(w):
    identity = tf.constant(np.eye(int(w.shape[-1])), dtype=w.dtype)
    return tf.reduce_sum(tf.square(tf.matmul(tf.transpose(w), w) - identity))
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
    ]
    INVALID = [
        """
import numpy as np
import tensorflow as tf
def orthogonal(w):
    gram = np.dot(w.T, w)
    return 0.01 * np.sum((gram - np.eye(gram.shape[0])) ** 2)
layer = tf.keras.layers.Dense(64, kernel_regularizer=orthogonal)
""",
        """
import keras
from keras import backend as K
class Spectral(keras.regularizers.Regularizer):
    def __call__(self, x):
        return 0.01 * K.eval(x).max()
""",
        """
import numpy as np
import tensorflow as tf
layer = tf.keras.layers.Dense(64, activity_regularizer=lambda a: np.linalg.norm(a.numpy()))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for function in regularizer_functions(facts):
            for call in calls_in(function.facts, function.node):
                spelled = _numpy_call(function, call)
                if spelled is None:
                    continue
                message = (
                    f"{spelled} is applied to the tensor of regularizer {function.where}: numpy sees values, not "
                    "the graph, so the penalty has no gradient (and fails in graph mode); use tf / keras.ops instead"
                )
                for node in function.report_at(call.node):
                    yield self.finding(facts, node, message, symbol=function.name)
                break
