"""RC101 unregularized-weight: some weights of a model are penalized and others are not.

Two views under one code: TF1 variables and layers per graph (UnregularizedWeight), and Keras layers
per model (KerasUnregularizedKernel, which reads regcheck.facts.keras_coverage)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.checks.keras_fixes import add_regularizer_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.keras_coverage import describe_penalized, kernel_gaps
from regcheck.facts.penalties import PENALTY_VOCABULARY, PenaltyTerm, penalty_terms
from regcheck.facts.roles import Role
from regcheck.facts.tf1_layers import LayerCall, layer_calls
from regcheck.facts.tf1_units import roots_of
from regcheck.facts.variables import VariableFact, variables
from regcheck.findings import Edit, Finding, Fix


@dataclass(eq=False)
class _Weight:
    symbol: str
    anchor: cst.CSTNode
    variable: VariableFact | None = None
    layer: LayerCall | None = None


class UnregularizedWeight(Check):
    code = "RC101"
    name = "unregularized-weight"
    severity = "warning"
    summary = "some weights of a model are penalized and others are not"
    fix_safety = "unsafe"
    graph = True
    triggers = vocabulary.trigger_words(PENALTY_VOCABULARY)

    VALID = [
        # Every weight is penalized; biases are not.
        """
import tensorflow as tf
w1 = tf.Variable(tf.random_normal([784, 256]))
w2 = tf.Variable(tf.random_normal([256, 10]))
b2 = tf.Variable(tf.zeros([10]))
loss = tf.reduce_mean(tf.square(y - tf.matmul(tf.matmul(x, w1), w2) - b2))
loss += 0.01 * (tf.nn.l2_loss(w1) + tf.nn.l2_loss(w2))
""",
        # A zero coefficient is a deliberate choice.
        """
import tensorflow.compat.v1 as tf
w1 = tf.get_variable("w1", [784, 256])
w2 = tf.get_variable("w2", [256, 10])
loss = data_loss + 0.01 * tf.nn.l2_loss(w2) + 0.0 * tf.nn.l2_loss(w1)
""",
        # All trainable variables, filtered: covers every weight.
        """
import tensorflow as tf
w1 = tf.Variable(tf.random_normal([784, 256]))
w2 = tf.Variable(tf.random_normal([256, 10]))
l2 = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if "bias" not in v.name])
""",
        # tf.layers with a kernel_regularizer on every layer.
        """
import tensorflow as tf
reg = tf.contrib.layers.l2_regularizer(0.1)
h = tf.layers.dense(x, 256, kernel_regularizer=reg)
out = tf.layers.dense(h, 10, kernel_regularizer=reg)
""",
        # Norms that normalize weights are not penalties: weight normalization, a cosine classifier.
        """
import tensorflow as tf
v = tf.get_variable("v", [256, 128])
g = tf.get_variable("g", [128])
w = g * v / tf.norm(v, axis=0)
kernel = tf.get_variable("kernel", [128, 10])
logits = tf.matmul(tf.nn.l2_normalize(h, 1), kernel / tf.norm(kernel, ord=2, axis=0, keepdims=True))
""",
        # Two networks in one module, each trained elsewhere: only one is regularized, consistently.
        """
import tensorflow.compat.v1 as tf
def cifar_model(x):
    h = tf.layers.dense(x, 256, kernel_regularizer=tf.keras.regularizers.l2(1e-4))
    return tf.layers.dense(h, 10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))
def imagenet_model(x):
    h = tf.layers.dense(x, 1024)
    return tf.layers.dense(h, 1000)
""",
        # A notebook that starts a new graph: the first graph's penalty says nothing about the second.
        """
import tensorflow.compat.v1 as tf
w1 = tf.get_variable("w1", [784, 10])
loss = data_loss + 0.01 * tf.nn.l2_loss(w1)
tf.reset_default_graph()
w2 = tf.get_variable("w2", [784, 256])
w3 = tf.get_variable("w3", [256, 10])
with tf.Graph().as_default():
    w4 = tf.get_variable("w4", [784, 10])
""",
    ]
    INVALID = [
        # Weights kept in a list: only the last one is penalized.
        """
import tensorflow as tf
weights = [tf.Variable(tf.random.normal([784, 256])), tf.Variable(tf.random.normal([256, 10]))]
loss = data_loss + 0.01 * tf.nn.l2_loss(weights[-1])
""",
        # A helper's weights belong to the graph of the code that calls it.
        """
import tensorflow.compat.v1 as tf
def layer(x, n):
    return tf.layers.dense(x, n)
h = layer(x, 256)
logits = tf.layers.dense(h, 10, kernel_regularizer=tf.keras.regularizers.l2(0.01))
""",
        """
import tensorflow as tf
w_hidden = tf.Variable(tf.random_normal([784, 256]))
w_out = tf.Variable(tf.random_normal([256, 10]))
loss = cross_entropy + 0.01 * tf.nn.l2_loss(w_out)
""",
        """
import tensorflow.compat.v1 as tf
h = tf.layers.dense(x, 256)
out = tf.layers.dense(h, 10, kernel_regularizer=tf.keras.regularizers.l2(0.01))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        terms = penalty_terms(facts)
        weights, penalized_by = _coverage(facts, terms)
        # The graphs each weight and each penalty term is built into, asked once per node.
        weight_roots = {w.anchor: roots_of(facts, w.anchor) for w in weights}
        term_roots = [(t, roots_of(facts, t.call)) for t in terms]
        graphs = dict.fromkeys(
            root for roots in [*weight_roots.values(), *(r for _, r in term_roots)] for root in roots
        )
        for root in graphs:
            if any(t.all_variables and root in roots for t, roots in term_roots):
                continue  # every weight of this graph is in the penalty (biases are RC102's business)
            mine = [w for w in weights if root in weight_roots[w.anchor]]
            penalizing = [p for w in mine for p in penalized_by.get(w.anchor, []) if p.active]
            missing = [w for w in mine if w.anchor not in penalized_by]
            if not penalizing or not missing:
                continue  # nothing penalized with a non-zero coefficient (a consistent choice), or nothing left out
            first = min(penalizing, key=lambda p: facts.span(p.node).line)  # positions only when reporting
            for weight in missing:
                yield self.finding(
                    facts,
                    weight.anchor,
                    f"weight `{weight.symbol}` is not regularized while {first.describe(facts)} of the same graph is",
                    symbol=weight.symbol,
                    fix=_fix(facts, weight, terms),
                )


@dataclass(eq=False)
class _Penalty:
    """What penalizes one weight: a penalty term, a get_variable/scope regularizer or a layer's argument."""

    node: cst.CSTNode
    what: str
    active: bool

    def describe(self, facts: ModuleFacts) -> str:
        return f"{self.what} (line {facts.span(self.node).line})"


def _coverage(facts: ModuleFacts, terms: list[PenaltyTerm]) -> tuple[list[_Weight], dict[cst.CSTNode, list[_Penalty]]]:
    """The weights (by creating call) and what penalizes each of them."""
    weights: list[_Weight] = []
    penalized: dict[cst.CSTNode, list[_Penalty]] = {}
    for variable in variables(facts):
        if variable.role is not Role.WEIGHT or _not_trainable(variable):
            continue
        weights.append(_Weight(variable.symbol, variable.call.node, variable=variable))
        if variable.collection_penalized:
            node = variable.regularizer or variable.scope_regularizer or variable.call.node
            penalized.setdefault(variable.call.node, []).append(
                _Penalty(node, f"the regularizer of `{variable.symbol}`", True)
            )
    for layer in layer_calls(facts):
        weights.append(_Weight(layer.symbol, layer.call.node, layer=layer))
        if layer.kernel_regularizer is not None or layer.kernel_from_arg_scope:
            penalty = _Penalty(layer.call.node, f"the kernel of `{layer.symbol}`", layer.kernel_regularizer is not None)
            penalized.setdefault(layer.call.node, []).append(penalty)
    for term in terms:
        for variable in term.covers:
            active = variable.role is Role.WEIGHT and not term.zero
            penalty = _Penalty(term.call, f"`{variable.symbol}`", active)
            penalized.setdefault(variable.call.node, []).append(penalty)
    return weights, penalized


def _not_trainable(variable: VariableFact) -> bool:
    trainable = variable.call.value("trainable")
    return isinstance(trainable, cst.Name) and trainable.value == "False"


def _fix(facts: ModuleFacts, weight: _Weight, terms: list[PenaltyTerm]) -> Fix | None:
    if weight.layer is not None:
        return _layer_fix(facts, weight.layer)
    variable = weight.variable
    assert variable is not None
    if variable.via_get_variable:
        template = next(
            (v.regularizer for v in variables(facts) if v.regularizer is not None and v.role is Role.WEIGHT), None
        )
        if template is not None:
            code = facts.code(template)
            return unsafe_fix(
                f"Add `regularizer={code}` to `{variable.symbol}`",
                edits.add_keyword(facts, variable.call.node, "regularizer", code),
            )
    if "(" in variable.symbol:
        return None  # not bound to a name the penalty could refer to
    for term in terms:
        if term.zero or not any(v.role is Role.WEIGHT for v in term.covers):
            continue
        if term.source_list is not None:
            return unsafe_fix(
                f"Add `{variable.symbol}` to the list of penalized weights",
                edits.insert_after(facts, term.source_list.elements[-1].value, f", {variable.symbol}"),
            )
        if term.loop is None:
            return _term_fix(facts, term, variable)
    return None


def _term_fix(facts: ModuleFacts, term: PenaltyTerm, variable: VariableFact) -> Fix:
    new_term = facts.code(term.term.deep_replace(term.subject, cst.parse_expression(variable.symbol)))
    separator = ", " if isinstance(facts.parent(term.term), cst.Element) else " + "
    edit: Edit = edits.insert_after(facts, term.term, f"{separator}{new_term.strip()}")
    return unsafe_fix(f"Add `{new_term.strip()}` to the penalty", edit)


def _layer_fix(facts: ModuleFacts, layer: LayerCall) -> Fix | None:
    template = next(
        (other.kernel_regularizer for other in layer_calls(facts) if other.kernel_regularizer is not None), None
    )
    if template is None:
        return None
    code = facts.code(template.value)
    keyword = template.keyword.value if template.keyword is not None else layer.kernel_keyword
    if layer.call.name and layer.call.name.startswith("tf.layers.") != (keyword == "kernel_regularizer"):
        keyword = layer.kernel_keyword
    return unsafe_fix(f"Add `{keyword}={code}`", edits.add_keyword(facts, layer.call.node, keyword, code))


class KerasUnregularizedKernel(Check):
    code = "RC101"
    triggers = (b"regularizer",)
    # The regularized blocks may live in a module this file imports, the unregularized head here.
    import_triggers = (b"_regularizer=",)

    VALID = [
        # Every kernel is regularized (biases are not).
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dropout(0.5),
    layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
])
""",
        # A deliberate zero on the head counts as a choice.
        """
import keras
from keras.regularizers import l2
inputs = keras.Input((784,))
x = keras.layers.Dense(256, kernel_regularizer=l2(1e-4))(inputs)
outputs = keras.layers.Dense(10, kernel_regularizer=l2(0.0))(x)
""",
        # Two models in one file: one regularized throughout, the other not at all.
        """
from tensorflow.keras import layers, models
from tensorflow.keras.regularizers import L2
def generator():
    return models.Sequential([layers.Dense(128, kernel_regularizer=L2(1e-4)), layers.Dense(784, kernel_regularizer=L2(1e-4))])
def discriminator():
    return models.Sequential([layers.Dense(128), layers.Dense(1)])
""",
        # A tutorial (one module, or a notebook's cells in order) that builds a baseline and a
        # regularized variant: two models, each consistent. The name `model` is rebound.
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile("adam", "mse")
model = keras.Sequential()
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001)))
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001)))
model.compile("adam", "mse")
""",
        # Functional models wired separately in one builder.
        """
import keras
inputs = keras.Input((8,))
x = keras.layers.Dense(32, kernel_regularizer="l2")(inputs)
regularized = keras.Model(inputs, keras.layers.Dense(4, kernel_regularizer="l2")(x))
other_in = keras.Input((8,))
y = keras.layers.Dense(32)(other_in)
plain = keras.Model(other_in, keras.layers.Dense(4)(y))
""",
    ]
    INVALID = [
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dense(64, activation="relu"),
    layers.Dense(10),
])
""",
        # Keras 1 spelling and a helper block called many times.
        """
from keras.layers import Convolution2D, Dense
from keras.regularizers import l2
def block(x, n):
    return Convolution2D(n, 3, 3, W_regularizer=l2(5e-4))(x)
def build(x):
    x = block(x, 32)
    x = block(x, 64)
    x = Dense(128)(x)
    return Dense(10, W_regularizer=l2(5e-4))(x)
""",
        # A subclassed model.
        """
import tensorflow as tf
class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(32, 3, kernel_regularizer="l2")
        self.head = tf.keras.layers.Dense(10)
        self.conv2 = tf.keras.layers.Conv2D(32, 3)
""",
        # A helper's conv built in a loop feeds the next block: hidden, even though it is the last
        # kernel layer the builder reaches (DenseNet's dense block).
        """
from keras.layers import Conv2D, Input, concatenate
from keras.models import Model
from keras.regularizers import l2
def conv_block(x, filters):
    x = Conv2D(filters * 4, (1, 1), kernel_regularizer=l2(1e-4))(x)
    return Conv2D(filters, (3, 3))(x)
def dense_block(x, layers, filters):
    for i in range(layers):
        x = concatenate([x, conv_block(x, filters)])
    return x
def build():
    inputs = Input((32, 32, 3))
    x = Conv2D(16, (3, 3), kernel_regularizer=l2(1e-4))(inputs)
    return Model(inputs, dense_block(x, 4, 12))
""",
        # Regularizers handed over through a literal `**dict`.
        """
import tensorflow as tf
reg = {"kernel_regularizer": tf.keras.regularizers.L2(1e-4)}
model = tf.keras.Sequential([tf.keras.layers.Dense(10, **reg), tf.keras.layers.Dense(10), tf.keras.layers.Dense(1, **reg)])
""",
        # One functional model among others: its hidden layer is unpenalized.
        """
import keras
a = keras.Input((8,))
plain = keras.Model(a, keras.layers.Dense(4)(keras.layers.Dense(32)(a)))
b = keras.Input((8,))
h = keras.layers.Dense(32)(b)
h = keras.layers.Dense(32, kernel_regularizer="l2")(h)
mixed = keras.Model(b, keras.layers.Dense(4, kernel_regularizer="l2")(h))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for gap in kernel_gaps(facts):
            if gap.output_only:
                continue  # only the head is left out: RC106's advice, not a warning
            for use, where in gap.missing:
                yield self.finding(
                    facts,
                    where,
                    f"`{use.layer.cls}` in `{gap.model.label}` has no kernel regularizer while "
                    f"{describe_penalized(facts, gap.active)}",
                    symbol=use.layer.cls,
                    fix=add_regularizer_fix(facts, use, gap.active) if where is use.layer.call.node else None,
                )
