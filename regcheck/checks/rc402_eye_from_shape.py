"""RC402 eye-from-shape: an identity matrix built from a whole shape."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.dataflow import resolve_expr
from regcheck.facts.regularizer_functions import numpy_name
from regcheck.findings import Finding

_SHAPE_FUNCS = frozenset({"tf.shape", "keras.backend.shape", "keras.backend.int_shape", "keras.ops.shape"})


def _is_shape(facts: ModuleFacts, node: cst.BaseExpression) -> bool:
    """``w.shape``, ``w.get_shape()``, ``w.shape.as_list()``, ``tf.shape(w)``, ``K.int_shape(w)``, ``np.shape(w)``."""
    if isinstance(node, cst.Attribute):
        return node.attr.value == "shape"
    call = facts.call(node)
    if call is None:
        return False
    if call.name in _SHAPE_FUNCS or numpy_name(facts, call) == "numpy.shape":
        return True
    if call.method in ("get_shape", "as_list") and not call.node.args:
        return call.method == "get_shape" or _is_shape(facts, call.receiver)  # type: ignore[arg-type]
    return False


class EyeFromShape(Check):
    code = "RC402"
    name = "eye-from-shape"
    severity = "error"
    summary = "an identity built from a whole shape"
    fix_safety = "safe"
    triggers = (b"eye(", b"identity(")

    VALID = [
        """
import tensorflow as tf
identity = tf.eye(w.shape[-1])
""",
        """
import numpy as np
import tensorflow as tf
identity = np.eye(int(w.get_shape()[-1]))
""",
    ]
    INVALID = [
        """
import tensorflow as tf
identity = tf.eye(w.shape)
""",
        """
import numpy as np
import tensorflow as tf
shape = w.get_shape().as_list()
identity = np.eye(shape)
""",
        """
from tensorflow.keras import backend as K
identity = K.eye(K.int_shape(w))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for call in facts.calls:
            spelled = numpy_name(facts, call)
            if call.name not in vocabulary.EYE_FUNCS and spelled not in ("numpy.eye", "numpy.identity"):
                continue
            size = call.value("num_rows", 0) or call.value("N", 0) or call.value("size", 0) or call.value("n", 0)
            if size is None:
                continue
            candidates = [size] if not isinstance(size, cst.Name) else resolve_expr(facts, size)
            if not candidates or not all(_is_shape(facts, c) for c in candidates):
                continue
            yield self.finding(
                facts,
                call.node,
                f"`{facts.code(call.node.func)}` is given a whole shape (`{facts.code(size)}`) where one size is "
                "meant; for W^T W the identity is as wide as the last dimension",
                fix=safe_fix("Use the last dimension", edits.insert_after(facts, size, "[-1]")),
            )
