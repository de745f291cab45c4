"""RC103 regularized-normalization-or-embedding: BatchNorm/LayerNorm scale and offset or embedding tables are penalized."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program.declared import Penalized, penalized
from regcheck.facts.roles import Role
from regcheck.findings import Finding, Fix

_WHAT = {Role.NORM: "normalization scale/offset", Role.EMBEDDING: "embedding table"}
_ROLES = frozenset(_WHAT)


class RegularizedNormalizationOrEmbedding(Check):
    code = "RC103"
    name = "regularized-normalization-or-embedding"
    severity = "info"
    summary = "normalization parameters or embedding tables are penalized"
    fix_safety = "unsafe"
    graph = True
    triggers = (b"gamma_regularizer", b"beta_regularizer", b"embeddings_regularizer", b"trainable_", b"regularizer=")
    # A call here may turn on a regularizer that a helper of an imported module gives (``bias_wd=``).
    import_triggers = (b"regularizer",)

    VALID = [
        """
from tensorflow.keras import layers, regularizers
x = layers.Conv2D(32, 3, kernel_regularizer=regularizers.l2(1e-4))(x)
x = layers.BatchNormalization()(x)
""",
        # An all-variables penalty that leaves normalization out.
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10), tf.keras.layers.BatchNormalization()])
l2 = tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables if "kernel" in v.name])
""",
    ]
    INVALID = [
        """
from tensorflow.keras import layers, regularizers
x = layers.BatchNormalization(gamma_regularizer=regularizers.l2(1e-4), beta_regularizer=regularizers.l2(1e-4))(x)
""",
        """
import keras
emb = keras.layers.Embedding(10000, 128, embeddings_regularizer=keras.regularizers.L2(1e-5))
""",
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10), tf.keras.layers.BatchNormalization()])
l2 = tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables])
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for place in penalized(facts, _ROLES):
            roles = [r for r in (Role.NORM, Role.EMBEDDING) if any(v.role is r for v in place.variables)]
            if place.how == "all_variables":
                swept = " and ".join(_WHAT[r] for r in roles)
                if swept:
                    yield self.finding(
                        facts, place.node, f"the penalty sums over all trainable variables, which include the {swept}"
                    )
                continue
            if not roles:
                continue
            variable = place.variables[0]
            owner = variable.layer.cls if variable.layer is not None else (variable.symbol or "?")
            keyword = _keyword(place)
            yield self.finding(
                facts,
                place.node,
                f"`{keyword}` penalizes the {_WHAT[roles[0]]} of `{owner}`",
                symbol=owner,
                fix=_fix(facts, place, keyword, _WHAT[roles[0]]),
            )


def _keyword(place: Penalized) -> str:
    node = place.declaration.node if place.declaration is not None else None
    if isinstance(node, cst.Arg) and node.keyword is not None:
        return node.keyword.value
    return "regularizer"


def _fix(facts: ModuleFacts, place: Penalized, keyword: str, what: str) -> Fix | None:
    declaration = place.declaration
    if declaration is None or not place.local or place.how != "argument":
        return None
    arg, call = declaration.node, declaration.call
    if not isinstance(arg, cst.Arg) or not isinstance(call, cst.Call) or not any(a is arg for a in call.args):
        return None
    return unsafe_fix(
        f"Remove `{keyword}` ({what} is usually left unregularized)", edits.remove_argument(facts, call, arg)
    )
