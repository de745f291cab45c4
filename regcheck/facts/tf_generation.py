"""Which TensorFlow API a call is written against: the 1.x one or the 2.x one.

Signatures changed between them: ``tf.nn.softmax_cross_entropy_with_logits``
takes ``(labels, logits)`` positionally in TF2 and rejects positional arguments
in TF1 (a ``_sentinel`` first parameter). A call is 1.x when it goes through
``tensorflow.compat.v1``; through ``tensorflow.compat.v2`` it is 2.x; through
plain ``tensorflow`` it is 1.x when the file is TF1-era code (it calls APIs
that exist only in TF1 under their plain names: ``tf.placeholder``,
``tf.Session``, ``tf.contrib``, ...), else 2.x.
"""

from __future__ import annotations

from typing import Literal

from regcheck.facts.module import CallFact, ModuleFacts

Generation = Literal["v1", "v2"]

# Canonical names that exist only in TF1 (plain `tf.`); compat.v1 spellings resolve to them too,
# so a call counts only when it does not go through compat.v1.
_TF1_ONLY = frozenset(
    {
        "tf.placeholder",
        "tf.Session",
        "tf.InteractiveSession",
        "tf.get_variable",
        "tf.variable_scope",
        "tf.global_variables_initializer",
        "tf.initialize_all_variables",
        "tf.trainable_variables",
        "tf.get_collection",
        "tf.add_to_collection",
        "tf.reset_default_graph",
        "tf.random_normal",
        "tf.truncated_normal",
        "tf.train.AdamOptimizer",
        "tf.train.GradientDescentOptimizer",
        "tf.train.MomentumOptimizer",
        "tf.train.RMSPropOptimizer",
        "tf.train.get_or_create_global_step",
        "tf.train.get_global_step",
        "tf.summary.FileWriter",
        "tf.layers.dense",
        "tf.layers.conv2d",
        "tf.losses.softmax_cross_entropy",
        "tf.losses.sparse_softmax_cross_entropy",
        "tf.losses.get_regularization_loss",
        "tf.estimator.EstimatorSpec",
    }
)
_TF1_PREFIXES = ("tf.contrib.",)


def _via(facts: ModuleFacts, call: CallFact) -> str | None:
    names = facts.qualified_names(call.node.func)
    if any(n.startswith("tensorflow.compat.v1.") for n in names):
        return "v1"
    if any(n.startswith("tensorflow.compat.v2.") for n in names):
        return "v2"
    return None


def tf1_era(facts: ModuleFacts) -> bool:
    """The file calls TF1-only APIs under their plain ``tf.`` names: it was written for TensorFlow 1.x."""

    def compute(f: ModuleFacts) -> bool:
        for call in f.calls:
            name = call.name
            if name is None or not (name in _TF1_ONLY or name.startswith(_TF1_PREFIXES)):
                continue
            if _via(f, call) is None:
                return True
        return False

    return bool(facts.cached("tf1_era", compute))


def generation(facts: ModuleFacts, call: CallFact) -> Generation:
    via = _via(facts, call)
    if via == "v1":
        return "v1"
    if via == "v2":
        return "v2"
    return "v1" if tf1_era(facts) else "v2"
