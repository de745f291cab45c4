"""RC102 regularized-bias: a bias is penalized.

Two views under one code: TF1 penalty terms, variables, layers and slim scopes (RegularizedBias), and
Keras layers per model (KerasRegularizedBias, which reads regcheck.facts.keras_coverage)."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, Invalid, unsafe_fix
from regcheck.checks.keras_fixes import remove_arg_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.dataflow import is_none_literal, resolve_expr
from regcheck.facts.keras_coverage import has_bias, penalized_args
from regcheck.facts.penalties import PENALTY_VOCABULARY, PenaltyTerm, penalty_terms
from regcheck.facts.roles import Role
from regcheck.facts.tf1_layers import layer_calls
from regcheck.facts.variables import variables
from regcheck.findings import Finding, Fix


class RegularizedBias(Check):
    code = "RC102"
    name = "regularized-bias"
    severity = "warning"
    summary = "a bias is penalized"
    fix_safety = "unsafe"
    graph = True
    triggers = vocabulary.trigger_words(PENALTY_VOCABULARY)

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
    ]
    INVALID = [
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
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for term in penalty_terms(facts):
            if term.zero:
                continue
            if term.all_variables and not term.part_only and (not term.filtered or term.biases_pass_filter):
                how = "its filter excludes only normalization variables, so" if term.filtered else "so"
                yield self.finding(
                    facts,
                    term.call,
                    f"the penalty sums over all trainable variables; {how} every bias is penalized too",
                    fix=_filter_fix(facts, term),
                )
                continue
            reported: set[cst.CSTNode] = set()
            for variable in term.covers:
                if variable.role is not Role.BIAS:
                    continue
                # One finding per spot: a name bound to several biases (`b = tf.Variable(...)` in a
                # loop, or rebound) is one defect at the term, not one per binding.
                where = term.call if term.loop is None else variable.call.node
                if where in reported:
                    continue
                reported.add(where)
                yield self.finding(
                    facts,
                    where,
                    f"bias `{variable.symbol}` is penalized",
                    symbol=variable.symbol,
                    fix=_drop_term_fix(facts, term, variable.symbol),
                )
        reported_scopes: set[cst.CSTNode] = set()
        for variable in variables(facts):
            if variable.role is not Role.BIAS or not variable.collection_penalized:
                continue
            if variable.regularizer is not None:
                arg = variable.call.arg("regularizer")
                assert arg is not None
                yield self.finding(
                    facts,
                    arg,
                    f"bias `{variable.symbol}` is created with a regularizer",
                    symbol=variable.symbol,
                    fix=unsafe_fix(
                        "Remove the bias regularizer", edits.remove_argument(facts, variable.call.node, arg)
                    ),
                )
            elif variable.scope_regularizer is not None and variable.scope_regularizer not in reported_scopes:
                reported_scopes.add(variable.scope_regularizer)
                yield self.finding(
                    facts,
                    variable.scope_regularizer,
                    f"the variable_scope regularizer also penalizes bias `{variable.symbol}`; "
                    "pass `regularizer=` to the weights' get_variable calls instead",
                    symbol=variable.symbol,
                )
        yield from self._arg_scope_biases(facts)
        for layer in layer_calls(facts):
            if layer.bias_regularizer is not None:
                keyword = layer.bias_regularizer.keyword.value if layer.bias_regularizer.keyword else "bias_regularizer"
                yield self.finding(
                    facts,
                    layer.bias_regularizer,
                    f"`{keyword}` penalizes the bias of `{layer.symbol}`",
                    symbol=layer.symbol,
                    fix=unsafe_fix(
                        f"Remove `{keyword}`", edits.remove_argument(facts, layer.call.node, layer.bias_regularizer)
                    ),
                )

    def _arg_scope_biases(self, facts: ModuleFacts) -> Iterable[Finding]:
        """``slim.arg_scope([slim.conv2d], biases_regularizer=...)``: every conv bias in the scope is penalized."""
        for scope in facts.calls_named("slim.arg_scope"):
            arg = scope.arg("biases_regularizer")
            if arg is None or is_none_literal(arg.value) or _may_be_off(facts, arg.value):
                continue
            # slim builds no bias where a normalizer_fn is set or biases_initializer=None.
            normalizer, initializer = scope.arg("normalizer_fn"), scope.arg("biases_initializer")
            if (normalizer is not None and not is_none_literal(normalizer.value)) or (
                initializer is not None and is_none_literal(initializer.value)
            ):
                continue
            yield self.finding(
                facts,
                arg,
                "`biases_regularizer` in this arg_scope penalizes the bias of every layer it covers",
                fix=unsafe_fix("Remove `biases_regularizer`", edits.remove_argument(facts, scope.node, arg)),
            )


# Regularizers that add nothing: a value that may be one of these is a switch (a config flag), not a penalty.
_NO_REGULARIZERS = frozenset({"tf.no_regularizer", "slim.no_regularizer"})


def _may_be_off(facts: ModuleFacts, value: cst.BaseExpression) -> bool:
    """``biases_regularizer = weights_regularizer if cfg.BIAS_DECAY else tf.no_regularizer``."""
    for resolved in resolve_expr(facts, value):
        candidates = [resolved.body, resolved.orelse] if isinstance(resolved, cst.IfExp) else [resolved]
        for candidate in candidates:
            if is_none_literal(candidate) or facts.canonical(candidate) in _NO_REGULARIZERS:
                return True
    return False


def _drop_term_fix(facts: ModuleFacts, term: PenaltyTerm, symbol: str) -> Fix | None:
    if term.loop is not None or len(term.covers) != 1:
        return None
    edit = edits.remove_operand(facts, term.term)
    if edit is None:
        return None
    return unsafe_fix(f"Remove the penalty on `{symbol}`", edit)


def _filter_fix(facts: ModuleFacts, term: PenaltyTerm) -> Fix | None:
    loop = term.loop
    if loop is None or not isinstance(loop.owner, cst.CompFor) or not isinstance(term.subject, cst.Name):
        return None
    name = term.subject.value
    condition = f' if "bias" not in {name}.name'
    return unsafe_fix("Leave biases out of the penalty", edits.insert_after(facts, loop.owner.iter, condition))


class KerasRegularizedBias(Check):
    code = "RC102"
    triggers = (b"regularizer",)

    VALID = [
        """
from tensorflow.keras import layers, regularizers
out = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4))
""",
        """
from keras import layers
from keras.regularizers import l2
out = layers.Dense(10, kernel_regularizer=l2(1e-4), bias_regularizer=None)
""",
        # No bias at all: the bias regularizer has nothing to act on.
        """
from tensorflow.keras import layers, regularizers
conv = layers.Conv2D(64, 3, use_bias=False, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4))
""",
    ]
    INVALID = [
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
        for use, arg, where in penalized_args(facts, ("bias",)):
            if not has_bias(use):
                continue  # `Conv2D(..., use_bias=False, bias_regularizer=...)`: there is no bias to penalize
            yield self.finding(
                facts,
                where,
                f"the bias of `{use.layer.cls}` is penalized",
                symbol=use.layer.cls,
                fix=remove_arg_fix(facts, use, arg, where, "biases are usually left unregularized"),
            )
