"""RC101 unregularized-weight: some weights of a trained model or graph are penalized and others are not.

The unit is what is trained together (regcheck.facts.program.coverage): a training step's loss and
the variables it is differentiated for, or, where no training step is in view, a Keras model, a TF1
graph, or layers wired together. TF1 variables, ``tf.layers`` and Keras layers are judged alike, by the
penalties that reach them (a term in the loss, the REGULARIZATION_LOSSES collection the loss reads,
``model.losses``). Only the head left out is RC106's advice; a unit without any penalty is a choice."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks.base import Check, Invalid
from regcheck.checks.coverage_fixes import add_penalty_fix, target_symbol
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.penalties import PENALTY_VOCABULARY
from regcheck.facts.program.gaps import Gap, Missing, Weight, weight_gaps
from regcheck.findings import Finding


class UnregularizedWeight(Check):
    code = "RC101"
    name = "unregularized-weight"
    severity = "warning"
    summary = "some weights of a model are penalized and others are not"
    fix_safety = "unsafe"
    graph = True
    triggers = (*vocabulary.trigger_words(PENALTY_VOCABULARY), b"regularizer")
    # The regularized blocks may live in a module this file imports, the unregularized head here.
    import_triggers = (b"_regularizer=",)

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
        # A builder nobody calls here, whose layers are all regularized, trained at module level.
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
def build_model():
    return keras.Sequential([
        layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)),
        layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
    ])
model = build_model()
model.compile("adam", "mse")
model.fit(x, y)
""",
        # Two graphs, one per `with graph.as_default():` block: the first's penalty says nothing of the second.
        """
import tensorflow.compat.v1 as tf
g1 = tf.Graph()
with g1.as_default():
    w1 = tf.get_variable("w1", [784, 10])
    loss1 = data_loss + 0.01 * tf.nn.l2_loss(w1)
g2 = tf.Graph()
with g2.as_default():
    w2 = tf.get_variable("w2", [784, 256])
    w3 = tf.get_variable("w3", [256, 10])
""",
        # A helper that resets the default graph starts a new graph each time it is called.
        """
import tensorflow.compat.v1 as tf
def reset_graph():
    tf.reset_default_graph()
reset_graph()
w1 = tf.get_variable("w1", [784, 10])
loss = data_loss + 0.01 * tf.nn.l2_loss(w1)
reset_graph()
w2 = tf.get_variable("w2", [784, 256])
w3 = tf.get_variable("w3", [256, 10])
""",
        # A GAN: each optimizer trains its own variables; only the discriminator is penalized, throughout.
        """
import tensorflow.compat.v1 as tf
g1 = tf.get_variable("g1", [100, 256])
g2 = tf.get_variable("g2", [256, 784])
d1 = tf.get_variable("d1", [784, 256])
d2 = tf.get_variable("d2", [256, 1])
fake = tf.matmul(tf.matmul(z, g1), g2)
d_loss = tf.reduce_mean(tf.matmul(tf.matmul(fake, d1), d2)) + 1e-4 * (tf.nn.l2_loss(d1) + tf.nn.l2_loss(d2))
g_loss = -tf.reduce_mean(tf.matmul(tf.matmul(fake, d1), d2))
d_step = tf.train.AdamOptimizer().minimize(d_loss, var_list=[d1, d2])
g_step = tf.train.AdamOptimizer().minimize(g_loss, var_list=[g1, g2])
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
        # The basic seed case, with every call style: the builder is called at module level,
        Invalid(
            """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
def build_model():
    return keras.Sequential([
        layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)),
        layers.Dense(64),
        layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
    ])
model = build_model()
""",
            line=7,
        ),
        # from main() under the main guard,
        Invalid(
            """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
def build_model():
    return keras.Sequential([
        layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)),
        layers.Dense(64),
        layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
    ])
def main():
    model = build_model()
    model.compile("adam", "mse")
    model.fit(x, y)
if __name__ == "__main__":
    main()
""",
            line=7,
        ),
        # or defined only (another module calls it).
        Invalid(
            """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
def build_model():
    return keras.Sequential([
        layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)),
        layers.Dense(64),
        layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
    ])
""",
            line=7,
        ),
        # One name bound to three weights (a text CNN's `W` in each scope): only the last is penalized.
        Invalid(
            """
import tensorflow.compat.v1 as tf
with tf.name_scope("embedding"):
    W = tf.Variable(tf.random_uniform([10000, 128], -1.0, 1.0), name="W")
    embedded = tf.nn.embedding_lookup(W, input_x)
with tf.name_scope("conv"):
    W = tf.Variable(tf.truncated_normal([3, 128, 1, 64], stddev=0.1), name="W")
    conv = tf.nn.conv2d(embedded, W, strides=[1, 1, 1, 1], padding="VALID")
with tf.name_scope("output"):
    W = tf.get_variable("W", shape=[64, 2])
    l2_loss = tf.nn.l2_loss(W)
    scores = tf.matmul(conv, W)
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=scores, labels=input_y)) + 0.1 * l2_loss
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
""",
            line=7,
        ),
        # A helper that creates each weight with its own coefficient: `wd=None` leaves one out.
        Invalid(
            """
import tensorflow.compat.v1 as tf
def variable_with_weight_decay(name, shape, wd):
    var = tf.get_variable(name, shape)
    if wd is not None:
        tf.add_to_collection("losses", tf.multiply(tf.nn.l2_loss(var), wd))
    return var
w1 = variable_with_weight_decay("w1", [784, 256], 0.004)
w2 = variable_with_weight_decay("w2", [256, 256], None)
w3 = variable_with_weight_decay("w3", [256, 10], 0.004)
h = tf.matmul(tf.matmul(tf.matmul(x, w1), w2), w3)
""",
            line=9,
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for gap in weight_gaps(facts):
            if gap.output_only:
                continue  # only the head is left out: RC106's advice, not a warning
            for missing in gap.missing:
                yield self.finding(
                    facts,
                    missing.anchor,
                    message(facts, gap, missing),
                    symbol=weight_label(facts, missing.weight, missing.anchor).strip("`"),
                    fix=add_penalty_fix(facts, missing.weight, gap.active, missing.anchor),
                )


def message(facts: ModuleFacts, gap: Gap, missing: Missing) -> str:
    """What RC101 and RC106 say about one unpenalized weight."""
    label = weight_label(facts, missing.weight, missing.anchor) + _built_elsewhere(facts, missing.weight)
    penalized = describe_active(facts, gap.active)
    if _is_layer(missing.weight):
        verb = "are" if len(gap.active) > 1 else "is"
        return f"{label} has no kernel regularizer while {penalized} of the same {_unit_word(gap)} {verb} regularized"
    return f"weight {label} is not regularized while {penalized} of the same {_unit_word(gap)} is"


def _built_elsewhere(facts: ModuleFacts, weight: Weight) -> str:
    """ " (built in blocks.py, line 7)" for a weight another module builds (the finding is at the call
    here that leads to it)."""
    site = weight.first.site
    return "" if site.facts is facts else f" (built in {site.place_from(facts)})"


def _unit_word(gap: Gap) -> str:
    return "model" if gap.unit.keras else "graph"


def _is_layer(weight: Weight) -> bool:
    """A Keras layer's kernel (a library class, or a custom layer's own weight), told by its class."""
    layer = weight.layer
    if layer is None or layer.tf1 or layer.cls == "<variables>":
        return False
    return weight.first.slot == "kernel" or (weight.first.slot == "weight" and layer.instance is not None)


def weight_label(facts: ModuleFacts, weight: Weight, anchor: cst.CSTNode) -> str:
    layer = weight.layer
    if _is_layer(weight):
        assert layer is not None
        return f"`{layer.cls}`"
    symbol = target_symbol(facts, anchor) if isinstance(anchor, cst.Call) else None
    variable = weight.first
    return f"`{symbol or variable.symbol or variable.name or facts.code(anchor)}`"


def describe_active(facts: ModuleFacts, active: list[Weight]) -> str:
    """ "`w_out` (line 20)", or "`Conv2D` (line 8) and 2 other layers"."""
    first = min(active, key=lambda w: _line(facts, w) or 0)
    where = _line(facts, first)
    place = f" (line {where})" if where is not None else ""
    label = (
        f"`{first.layer.cls}`"
        if _is_layer(first) and first.layer is not None
        else weight_label(facts, first, first.first.site.node)
    )
    if not _is_layer(first):
        return f"{label}{place}"
    others = len(active) - 1
    more = f" and {others} other layer{'s' if others > 1 else ''}" if others else ""
    return f"{label}{place}{more}"


def _line(facts: ModuleFacts, weight: Weight) -> int | None:
    """The line in this module that penalizes the weight (its penalty term, or the layer itself)."""
    for cover in weight.covers:
        if cover.state != "active" or cover.site is None:
            continue
        node = cover.site.node if cover.site.facts is facts else cover.site.via(facts)
        if node is not None and cover.how in ("term",) and cover.site.facts is facts:
            return facts.span(node).line
    site = weight.first.site
    node = site.node if site.facts is facts else site.via(facts)
    return facts.span(node).line if node is not None else None
