"""RC102 regularized-bias: a bias is penalized.

Every way the code penalizes a bias is one finding where it is written: a ``bias_regularizer=``
(``b_regularizer=``, ``biases_regularizer=``) argument, ``get_variable(regularizer=)`` for a bias, the
regularizer of a ``variable_scope`` or the ``biases_regularizer`` of a ``slim.arg_scope`` that covers
biases, a term on a bias written into a loss, or a sum over every trainable variable whose filter lets
the biases through (regcheck.facts.program.declared)."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, Invalid, unsafe_fix
from regcheck.checks.coverage_fixes import target_symbol, without_term_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.penalties import PENALTY_VOCABULARY
from regcheck.facts.program.declared import Penalized, penalized
from regcheck.facts.roles import Role
from regcheck.findings import Finding, Fix

_BIASES = frozenset({Role.BIAS})


class RegularizedBias(Check):
    code = "RC102"
    name = "regularized-bias"
    severity = "warning"
    summary = "a bias is penalized"
    fix_safety = "unsafe"
    graph = True
    triggers = (*vocabulary.trigger_words(PENALTY_VOCABULARY), b"regularizer")
    # A call here may turn on a regularizer that a helper of an imported module gives (``bias_wd=``).
    import_triggers = (b"regularizer",)

    VALID = [
        """
import tensorflow as tf
w = tf.Variable(tf.random_normal([784, 10]))
b = tf.Variable(tf.zeros([10]))
loss = data_loss + 0.01 * tf.nn.l2_loss(w)
""",
        """
import tensorflow as tf
l2 = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if "bias" not in v.name])
""",
        # The variables of one layer picked by index: whether it has a bias is not visible here.
        """
import tensorflow as tf
loss = tf.add_n([tf.nn.l2_loss(v) for v in self.layers_[0].trainable_variables])
""",
        # A bias penalty behind a config switch that can turn it off.
        """
import tensorflow as tf
slim = tf.contrib.slim
weights_regularizer = slim.l2_regularizer(1e-4)
if cfg.BIAS_DECAY:
    biases_regularizer = weights_regularizer
else:
    biases_regularizer = tf.no_regularizer
with slim.arg_scope([slim.conv2d], weights_regularizer=weights_regularizer, biases_regularizer=biases_regularizer):
    net = slim.conv2d(images, 64, [3, 3])
""",
        # slim builds no biases where a normalizer_fn is set.
        """
import tensorflow as tf
slim = tf.contrib.slim
with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, biases_regularizer=slim.l2_regularizer(2e-4)):
    net = slim.conv2d(images, 64, [3, 3])
""",
        # Filters on the shape or on what to keep leave biases out as well.
        """
import tensorflow as tf
a = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if len(v.shape) > 1])
b = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if "kernel" in v.name])
c = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if "bn" not in v.name and "bias" not in v.name])
""",
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10], regularizer=tf.keras.regularizers.l2(0.01))
b = tf.get_variable("b", [10])
""",
        """
from tensorflow.keras import layers, regularizers
out = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4))
""",
        """
from keras import layers
from keras.regularizers import l2
out = layers.Dense(10, kernel_regularizer=l2(1e-4), bias_regularizer=None)
""",
        # A norm of a network's output (a benchmark's objective), not of its parameters.
        """
import tensorflow as tf
slim = tf.contrib.slim
inputs = tf.Variable(tf.random_normal([2, 32, 32, 3]))
net = slim.conv2d(inputs, 8, [3, 3], scope="conv_1")
logits = slim.fully_connected(tf.reduce_mean(net, [1, 2]), 10, activation_fn=None)
grads = tf.gradients(tf.nn.l2_loss(logits), tf.trainable_variables())
""",
        # No bias at all: the bias regularizer has nothing to act on.
        """
from tensorflow.keras import layers, regularizers
conv = layers.Conv2D(64, 3, use_bias=False, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4))
""",
    ]
    INVALID = [
        # A model zoo's arg_scope function: the fully connected logits under it keep their bias, and
        # the scope penalizes it, whoever enters the scope.
        Invalid(
            """
import tensorflow as tf
slim = tf.contrib.slim
def net_arg_scope(weight_decay=0.00004):
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        biases_regularizer=slim.l2_regularizer(weight_decay)):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm) as scope:
            return scope
""",
            line=7,
        ),
        # slim's arg_scope hands the bias regularizer to every conv layer.
        """
import tensorflow as tf
slim = tf.contrib.slim
with slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(2e-4),
                    biases_regularizer=slim.l2_regularizer(2e-4)):
    net = slim.conv2d(images, 64, [3, 3])
""",
        # One name bound to biases in several places: one finding at the penalty.
        Invalid(
            """
import tensorflow as tf
if wide:
    b = tf.Variable(tf.zeros([256]))
else:
    b = tf.Variable(tf.zeros([64]))
loss = data_loss + 0.01 * tf.nn.l2_loss(b)
""",
            line=7,
        ),
        # The filter leaves out batch norm, not the biases (the TPU reference models' pattern).
        """
import tensorflow.compat.v1 as tf
if params["enable_lars"]:
    loss = cross_entropy
else:
    loss = cross_entropy + 1e-4 * tf.add_n([
        tf.nn.l2_loss(v)
        for v in tf.trainable_variables()
        if "batch_normalization" not in v.name and "evonorm" not in v.name
    ])
""",
        """
import tensorflow as tf
w = tf.Variable(tf.random_normal([784, 10]))
b = tf.Variable(tf.zeros([10]))
loss = data_loss + 0.01 * (tf.nn.l2_loss(w) + tf.nn.l2_loss(b))
""",
        """
import tensorflow as tf
l2 = 0.001 * tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables()])
""",
        """
import tensorflow as tf
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x)) + 1e-4 * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables])
""",
        """
import tensorflow.compat.v1 as tf
out = tf.layers.dense(x, 10, bias_regularizer=tf.keras.regularizers.l2(0.01))
""",
        """
import tensorflow.compat.v1 as tf
with tf.variable_scope("fc", regularizer=tf.keras.regularizers.l2(0.01)):
    w = tf.get_variable("w", [784, 10])
    b = tf.get_variable("b", [10])
""",
        """
from tensorflow.keras import layers, regularizers
out = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4))
""",
        """
from keras.layers import Dense
from keras.regularizers import l2
out = Dense(10, W_regularizer=l2(0.01), b_regularizer=l2(0.01))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for place in penalized(facts, _BIASES):
            symbol = _symbol(facts, place)
            yield self.finding(
                facts, place.node, _message(facts, place, symbol), symbol=symbol, fix=_fix(facts, place, symbol)
            )


def _symbol(facts: ModuleFacts, place: Penalized) -> str | None:
    if not place.variables:
        return None
    variable = place.variables[0]
    layer = variable.layer
    if layer is not None and not layer.tf1 and not variable.explicit and variable.slot == "bias":
        return layer.cls
    if layer is not None and layer.tf1:
        return layer.symbol or variable.symbol or layer.cls
    call = variable.site.node if variable.site.facts is facts else place.node
    named = target_symbol(facts, call)
    return named or variable.name or variable.symbol


def _message(facts: ModuleFacts, place: Penalized, symbol: str | None) -> str:
    if place.how == "all_variables":
        named = next((v.tf_names[-1] for v in place.variables if v.tf_names), None)
        if place.filtered and named is not None:
            return (
                f"the penalty sums over all trainable variables and its name filter lets the biases "
                f"through (`{named}`): they are penalized too"
            )
        if place.filtered:
            return (
                "the penalty sums over all trainable variables; its filter excludes only normalization "
                "variables, so every bias is penalized too"
            )
        return "the penalty sums over all trainable variables, so every bias is penalized too"
    if place.how == "term":
        if not place.local:
            return f"this call penalizes bias `{symbol}`"
        return f"bias `{symbol}` is penalized"
    if place.how == "scope":
        return (
            f"the variable_scope regularizer also penalizes bias `{symbol}`; "
            "pass `regularizer=` to the weights' get_variable calls instead"
        )
    if place.how == "arg_scope":
        return "`biases_regularizer` in this arg_scope penalizes the bias of every layer it covers"
    keyword = _keyword(place)
    variable = place.variables[0]
    layer = variable.layer
    if not place.local:
        return f"the call passes a regularizer for the bias of `{symbol}`"
    if layer is None or variable.explicit:
        return f"bias `{symbol}` is created with a regularizer"
    if layer.tf1:
        return f"`{keyword}` penalizes the bias of `{symbol}`"
    return f"the bias of `{symbol}` is penalized"


def _keyword(place: Penalized) -> str:
    node = place.declaration.node if place.declaration is not None else None
    if isinstance(node, cst.Arg) and node.keyword is not None:
        return node.keyword.value
    return "bias_regularizer"


def _fix(facts: ModuleFacts, place: Penalized, symbol: str | None) -> Fix | None:
    declaration = place.declaration
    if place.how in ("argument", "arg_scope") and declaration is not None and place.local:
        arg, call = declaration.node, declaration.call
        if not isinstance(arg, cst.Arg) or not isinstance(call, cst.Call) or not any(a is arg for a in call.args):
            return None
        keyword = _keyword(place)
        variable = place.variables[0] if place.variables else None
        if variable is not None and variable.explicit:
            what = "Remove the bias regularizer"
        elif place.how == "arg_scope" or (variable is not None and variable.layer is not None and variable.layer.tf1):
            what = f"Remove `{keyword}`"
        else:
            what = f"Remove `{keyword}` (biases are usually left unregularized)"
        return unsafe_fix(what, edits.remove_argument(facts, call, arg))
    if place.how == "term" and place.term is not None and len(place.variables) == 1 and place.local:
        return without_term_fix(facts, place.term, f"Remove the penalty on `{symbol}`")
    if place.how == "all_variables" and place.term is not None:
        return _filter_fix(facts, place)
    return None


def _filter_fix(facts: ModuleFacts, place: Penalized) -> Fix | None:
    """``[tf.nn.l2_loss(v) for v in tf.trainable_variables()]``: leave the biases out."""
    varset = place.term.covers_all if place.term is not None else None
    node = varset.node if varset is not None else None
    loop = facts.parent(node) if node is not None else None
    if not isinstance(loop, cst.CompFor) or loop.iter is not node or not isinstance(loop.target, cst.Name):
        return None
    condition = f' if "bias" not in {loop.target.value}.name'
    return unsafe_fix("Leave biases out of the penalty", edits.insert_after(facts, loop.iter, condition))
