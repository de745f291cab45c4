"""An all-variables penalty filtered by name (``if "bias" not in v.name``) is judged on the names the
variables have at run time: TF1 ``scope/name:0``, ``tf.layers`` ``conv1d/bias:0``, Keras 3 ``bias``
and Keras 2 ``dense/bias:0``. A filter that misses the biases' names penalizes them (RC102); one
that matches them does not; a filter that is not about names is judged by role."""

from __future__ import annotations

import pytest
from helpers import codes

TF1 = """
import tensorflow.compat.v1 as tf
x = tf.placeholder(tf.float32, [None, 16])
y = tf.placeholder(tf.int32, [None])
with tf.variable_scope("hidden"):
    W1 = tf.get_variable("{w}", [16, 32])
    b1 = tf.get_variable("{b}", [32])
logits = tf.matmul(tf.nn.relu(tf.matmul(x, W1) + b1), tf.get_variable("W_out", [32, 5]))
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
penalty = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if {test}]) * 1e-4
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss + penalty)
"""


@pytest.mark.parametrize(
    ("b", "test", "expected"),
    [
        ("b_hidden", "'bias' not in v.name", ["RC102"]),  # the bias is named b_*
        ("bias", "'bias' not in v.name", []),
        ("biases", "'bias' not in v.name.lower()", []),
        ("b", "not v.name.endswith('b:0')", []),
        ("b", "v.name not in ['bias', 'b']", ["RC102"]),  # full names are never equal to a short one
        ("b", "'/b:' not in v.name and 'bias' not in v.name", []),
        ("b", "'W' in v.name", []),
        ("b", "'W' in v.name or 'kernel' in v.name", []),
    ],
)
def test_tf1_names(b: str, test: str, expected: list[str]) -> None:
    assert codes(TF1.format(w="W", b=b, test=test), "RC102") == expected


TF_LAYERS = """
import tensorflow.compat.v1 as tf
x = tf.placeholder(tf.float32, [None, 10, 4])
y = tf.placeholder(tf.int32, [None, 10])
logits = tf.layers.conv1d(tf.layers.conv1d(x, 8, 1), 3, 1)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
l2 = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if {test}]) * 5e-4
train_op = tf.train.AdamOptimizer(0.005).minimize(loss + l2)
"""


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("v.name not in ['bias', 'gamma', 'beta']", ["RC102"]),
        ("'bias' not in v.name", []),
        ("'kernel' in v.name", []),
        ("len(v.shape) > 1", []),  # not about names: judged by role, a weights-only filter
    ],
)
def test_tf_layers_names(test: str, expected: list[str]) -> None:
    assert codes(TF_LAYERS.format(test=test), "RC102") == expected


def test_keras_names_differ_by_version_and_the_role_decides() -> None:
    # Keras 3 names the bias "bias" (excluded), Keras 2 "dense/bias:0" (kept): the names disagree, so
    # the filter is read as meant, a weights-only filter.
    source = """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
def step(x, y):
    with tf.GradientTape() as tape:
        penalty = tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables if v.name not in ["bias"]])
        loss = tf.reduce_mean(tf.square(model(x) - y)) + 1e-4 * penalty
    return tape.gradient(loss, model.trainable_variables)
"""
    assert codes(source, "RC102") == []


# The filter written as a loop body: a flag bound to a test, a guard that skips, a switch argument.
LOOP_HELPER = """
import tensorflow.compat.v1 as tf

def weight_decay(rate, var_list, skip_biases=True):
    decays = []
    for v in var_list:
{loop}
    return tf.add_n(decays) * rate

x = tf.placeholder(tf.float32, [None, 16])
y = tf.placeholder(tf.int32, [None])
logits = tf.layers.dense(tf.layers.dense(x, 32, name="hidden"), 5, name="out")
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.AdamOptimizer().minimize(loss + weight_decay(1e-4, tf.trainable_variables(){switch}))
"""

LOOP_FILTERS = {
    "flag": ['is_bias = v.name.endswith("bias:0")', "if not is_bias:", "    decays.append(tf.nn.l2_loss(v))"],
    "flag_and_switch": [
        'is_bias = len(v.shape.as_list()) == 1 and v.name.endswith("bias:0")',
        "if not (skip_biases and is_bias):",
        "    decays.append(tf.nn.l2_loss(v))",
    ],
    "guard": ['if "bias" in v.name:', "    continue", "decays.append(tf.nn.l2_loss(v))"],
    "flag_guard": ['is_bias = "bias" in v.name', "if is_bias:", "    continue", "decays.append(tf.nn.l2_loss(v))"],
    "two_flags": [
        'keep = "bias" not in v.name',
        "keep = keep and 'gamma' not in v.name",
        "if keep:",
        "    decays.append(tf.nn.l2_loss(v))",
    ],
}


@pytest.mark.parametrize("form", sorted(LOOP_FILTERS))
def test_loop_body_filters_leave_the_biases_out(form: str) -> None:
    loop = "\n".join("        " + line for line in LOOP_FILTERS[form])
    assert codes(LOOP_HELPER.format(loop=loop, switch=""), "RC102") == []


@pytest.mark.parametrize("form", ["guard_on_kernels", "flag_on_kernels"])
def test_loop_body_filters_that_keep_the_biases_are_reported(form: str) -> None:
    lines = {
        "guard_on_kernels": ['if "kernel" in v.name:', "    continue", "decays.append(tf.nn.l2_loss(v))"],
        "flag_on_kernels": [
            'skip = v.name.endswith("kernel:0")',
            "if not skip:",
            "    decays.append(tf.nn.l2_loss(v))",
        ],
    }[form]
    loop = "\n".join("        " + line for line in lines)
    assert codes(LOOP_HELPER.format(loop=loop, switch=""), "RC102") == ["RC102"]


def test_a_switch_that_turns_the_filter_off_penalizes_the_biases() -> None:
    loop = "\n".join("        " + line for line in LOOP_FILTERS["flag_and_switch"])
    assert codes(LOOP_HELPER.format(loop=loop, switch=", skip_biases=False"), "RC102") == ["RC102"]
