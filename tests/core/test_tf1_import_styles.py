"""Every core rule works on TF1 graph code whatever the import style."""

from __future__ import annotations

import pytest
from helpers import codes, fix

# (import line, prefix for v1 APIs)
STYLES = [
    ("import tensorflow as tf", "tf.compat.v1."),
    ("import tensorflow.compat.v1 as tf", "tf."),
    ("import tensorflow as tf", "tf."),  # TF 1.x code
    ("from tensorflow.compat import v1 as tf1", "tf1."),
    ("import tensorflow.compat.v1 as tfv1", "tfv1."),
]

CASES = {
    "RC101": """
{imp}
w1 = {p}Variable({p}random_normal([784, 256]))
w2 = {p}Variable({p}random_normal([256, 10]))
loss = data_loss + 5e-4 * {p}nn.l2_loss(w2)
""",
    "RC102": """
{imp}
w = {p}get_variable("w", [784, 10])
b = {p}get_variable("b", [10])
loss = data_loss + 5e-4 * ({p}nn.l2_loss(w) + {p}nn.l2_loss(b))
""",
    "RC201": """
{imp}
w = {p}get_variable("w", [784, 10], regularizer={p}keras.regularizers.l2(0.01))
loss = {p}reduce_mean({p}square({p}matmul(x, w) - y))
train_op = {p}train.AdamOptimizer(1e-3).minimize(loss)
""",
    "RC204": """
{imp}
loss = data_loss + {p}losses.get_regularization_losses()
""",
    "RC205": """
{imp}
with {p}variable_scope("fc", regularizer=reg):
    w = {p}Variable({p}zeros([784, 10]), name="w")
""",
    "RC207": """
{imp}
h = {p}layers.batch_normalization(x, training=True)
train_op = {p}train.AdamOptimizer(1e-3).minimize(loss)
""",
    "RC406": """
{imp}
loss = {p}nn.sparse_softmax_cross_entropy_with_logits(logits, labels)
""",
}


@pytest.mark.parametrize("style", STYLES, ids=lambda s: f"{s[0]}|{s[1]}")
@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_in_every_import_style(code: str, style: tuple[str, str]) -> None:
    source = CASES[code].format(imp=style[0], p=style[1])
    assert code in codes(source, code)
    fixed = fix(source, code, unsafe=True)
    compile(fixed, "<fixed>", "exec")


def test_without_tensorflow_import_nothing_fires() -> None:
    # Same spelling, but `tf` is not TensorFlow here: names are resolved, not pattern-matched.
    source = """
import mylib as tf
w1 = tf.Variable(tf.random_normal([784, 256]))
w2 = tf.Variable(tf.random_normal([256, 10]))
loss = data_loss + 5e-4 * tf.nn.l2_loss(w2) + tensorflow_unused
"""
    assert codes(source) == []


@pytest.mark.parametrize(
    "imp, mod",
    [
        ("import tensorflow.contrib.slim as slim", "slim"),
        ("from tensorflow.contrib import slim", "slim"),
        ("import tf_slim as slim", "slim"),
        ("import tensorflow as tf", "tf.contrib.layers"),
    ],
)
def test_contrib_and_slim_layers(imp: str, mod: str) -> None:
    source = f"""
import tensorflow as tf
{imp}
net = {mod}.conv2d(images, 64, [3, 3], weights_regularizer={mod}.l2_regularizer(4e-5))
net = {mod}.conv2d(net, 64, [3, 3])
logits = {mod}.fully_connected(net, 10, weights_regularizer={mod}.l2_regularizer(4e-5))
loss = tf.losses.softmax_cross_entropy(onehot_labels=y, logits=logits)
train_op = tf.train.AdamOptimizer().minimize(loss)
"""
    found = codes(source)
    assert found.count("RC101") == 1  # the second conv2d
    assert "RC201" in found
    fixed = fix(source, unsafe=True)
    assert codes(fixed) == []
    assert "weights_regularizer" in fixed.splitlines()[4]


def test_slim_arg_scope_covers_its_layers() -> None:
    source = """
import tensorflow as tf
import tensorflow.contrib.slim as slim
with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(4e-5)):
    net = slim.conv2d(images, 64, [3, 3])
    net = slim.conv2d(net, 64, [3, 3])
    logits = slim.fully_connected(net, 10)
loss = slim.losses.softmax_cross_entropy(logits, y)
total = slim.losses.get_total_loss()
train_op = tf.train.AdamOptimizer().minimize(total)
"""
    assert codes(source) == []


def test_penalty_loop_over_hand_kept_list() -> None:
    source = """
import tensorflow as tf
w1 = tf.Variable(tf.random_normal([784, 256]))
w2 = tf.Variable(tf.random_normal([256, 128]))
w3 = tf.Variable(tf.random_normal([128, 10]))
reg = tf.add_n([tf.nn.l2_loss(w) for w in [w1, w3]])
loss = data_loss + 1e-4 * reg
"""
    assert codes(source) == ["RC101"]
    assert "for w in [w1, w3, w2]" in fix(source, unsafe=True)


def test_zero_coefficient_parameter_default_is_deliberate() -> None:
    source = """
import tensorflow as tf
def layer(x, shape, wd=0.0):
    w = tf.Variable(tf.truncated_normal(shape))
    tf.add_to_collection("losses", wd * tf.nn.l2_loss(w))
    return tf.matmul(x, w)
w_out = tf.Variable(tf.random_normal([256, 10]))
loss = data_loss + 0.0 * tf.nn.l2_loss(w_out)
"""
    assert "RC101" not in codes(source)


def test_all_variables_with_bias_filter_in_loop_body() -> None:
    source = """
import tensorflow as tf
reg = 0
for v in tf.trainable_variables():
    if "bias" not in v.name:
        reg += tf.nn.l2_loss(v)
"""
    assert codes(source) == []


def test_loss_from_another_module_is_unknown() -> None:
    source = """
import tensorflow.compat.v1 as tf
from losses import total_loss
w = tf.get_variable("w", [784, 10], regularizer=tf.keras.regularizers.l2(0.01))
train_op = tf.train.AdamOptimizer().minimize(total_loss)
"""
    assert "RC201" not in codes(source)


def test_scipy_minimize_is_not_an_optimizer() -> None:
    source = """
import tensorflow.compat.v1 as tf
import scipy.optimize
w = tf.get_variable("w", [784, 10], regularizer=tf.keras.regularizers.l2(0.01))
result = scipy.optimize.minimize(fun, x0)
"""
    assert codes(source) == []
