"""RC103 regularized-normalization-or-embedding: BatchNorm/LayerNorm scale and offset or embedding tables are penalized."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from regcheck.checks.base import Check
from regcheck.checks.keras_fixes import remove_arg_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.keras_coverage import penalized_args
from regcheck.facts.keras_layers import layer_kind
from regcheck.facts.keras_units import model_of
from regcheck.facts.penalties import penalty_terms
from regcheck.findings import Finding

_WHAT = {"norm": "normalization scale/offset", "embedding": "embedding table"}


class RegularizedNormalizationOrEmbedding(Check):
    code = "RC103"
    name = "regularized-normalization-or-embedding"
    severity = "info"
    summary = "normalization parameters or embedding tables are penalized"
    fix_safety = "unsafe"
    graph = True
    triggers = (b"gamma_regularizer", b"beta_regularizer", b"embeddings_regularizer", b"trainable_", b"regularizer=")

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
        for use, arg, where in penalized_args(facts, ("norm", "embedding")):
            target = vocabulary.KERAS_REGULARIZER_KWARGS.get(arg.keyword.value if arg.keyword else "", "norm")
            if use.layer.kind == "weight":
                target = "norm" if use.layer.role.value == "normalization" else "embedding"
            what = _WHAT.get(target, "normalization scale/offset")
            yield self.finding(
                facts,
                where,
                f"`{arg.keyword.value if arg.keyword else 'regularizer'}` penalizes the {what} of `{use.layer.cls}`",
                symbol=use.layer.cls,
                fix=remove_arg_fix(facts, use, arg, where, f"{what} is usually left unregularized"),
            )
        for node, swept in _sweeps(facts):
            yield self.finding(facts, node, f"the penalty sums over all trainable variables, which include the {swept}")


def _sweeps(facts: ModuleFacts) -> Iterator[tuple[cst.CSTNode, str]]:
    """Unfiltered all-variables penalties and what they sweep in: normalization parameters or embeddings."""
    for term in penalty_terms(facts):
        if term.all_variables and not term.filtered and not term.zero and term.loop is not None:
            swept = _what(facts, term.loop.iterable)
            if swept:
                yield term.call, swept


def _what(facts: ModuleFacts, iterable: cst.BaseExpression) -> str | None:
    if isinstance(iterable, cst.Attribute):
        model = model_of(facts, iterable.value)
        kinds = {use.layer.kind for use in model.uses} if model is not None else set()
    else:
        # tf.trainable_variables(): every layer of the graph built in this module.
        kinds = {"norm"} if facts.calls_named(vocabulary.BATCH_NORM_FUNCS) else set()
        kinds |= {
            layer_kind(c.name.rsplit(".", 1)[1]) for c in facts.calls if c.name and c.name.startswith("keras.layers.")
        }
    found = [_WHAT[k] for k in ("norm", "embedding") if k in kinds]
    return " and ".join(found) or None
