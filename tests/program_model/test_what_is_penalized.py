"""What counts as a bias, and what counts as a penalty (RC102).

A variable added to what a kernel computed is a bias; one added to the inputs themselves (an
adversarial perturbation, a learned offset of the image) is not. A term counts as a penalty only
when it reaches a loss the program trains: a statistic computed for a summary penalizes nothing."""

from __future__ import annotations

import pytest
from helpers import codes

PERTURBATION = """
import tensorflow.compat.v1 as tf
x = tf.placeholder(tf.float32, [None, 28, 28, 1])
y = tf.placeholder(tf.float32, [None, 10])
{make}
logits = tf.layers.dense(tf.layers.flatten({fed}), 10)
ce = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
loss = ce + 0.02 * tf.nn.l2_loss(noise)
train = tf.train.AdamOptimizer(1e-2).minimize(loss, var_list=[noise])
"""


@pytest.mark.parametrize(
    "make",
    ['noise = tf.Variable(tf.zeros([28, 28, 1]), name="noise")', 'noise = tf.get_variable("delta", [28, 28, 1])'],
)
@pytest.mark.parametrize("fed", ["x + noise", "noise + x", "tf.add(x, noise)"])
def test_a_perturbation_of_the_inputs_is_not_a_bias(make: str, fed: str) -> None:
    assert codes(PERTURBATION.format(make=make, fed=fed), "RC102") == []


@pytest.mark.parametrize("added", ["tf.matmul(x, W) + b", "b + tf.matmul(x, W)", "tf.nn.relu(tf.matmul(x, W)) + b"])
def test_a_variable_added_to_a_kernels_output_is_a_bias(added: str) -> None:
    source = f"""
import tensorflow.compat.v1 as tf
x = tf.placeholder(tf.float32, [None, 64])
y = tf.placeholder(tf.float32, [None, 5])
W = tf.Variable(tf.zeros([64, 5]))
b = tf.Variable(tf.zeros([5]))
logits = {added}
loss = tf.reduce_mean(tf.square(logits - y)) + 1e-4 * (tf.nn.l2_loss(W) + tf.nn.l2_loss(b))
train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
"""
    assert codes(source, "RC102") == ["RC102"]


SUMMARY = """
import tensorflow.compat.v1 as tf
def summarize(v):
    m = tf.reduce_mean(v)
    tf.summary.scalar("stddev", tf.sqrt(tf.reduce_mean(tf.square(v - m))))
    tf.summary.scalar("norm", tf.nn.l2_loss(v))
x = tf.placeholder(tf.float32, [None, 64])
y = tf.placeholder(tf.float32, [None, 5])
W = tf.Variable(tf.zeros([64, 5]), name="W")
b = tf.Variable(tf.zeros([5]), name="b")
summarize(W)
summarize(b)
logits = tf.matmul(x, W) + b
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits)){added}
train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
"""


def test_a_statistic_for_a_summary_penalizes_nothing() -> None:
    assert codes(SUMMARY.format(added=""), "RC102") == []


def test_a_penalty_also_shown_in_a_summary_still_penalizes() -> None:
    assert codes(SUMMARY.format(added=" + 1e-4 * tf.nn.l2_loss(b)"), "RC102") == ["RC102"]


def test_without_a_training_step_in_view_every_penalty_counts() -> None:
    # A model module whose loss is minimized elsewhere: its penalty terms are judged as written.
    source = """
import tensorflow.compat.v1 as tf
def loss(x, labels):
    W = tf.get_variable("W", [64, 5])
    b = tf.get_variable("b", [5])
    logits = tf.matmul(x, W) + b
    return tf.reduce_mean(tf.square(logits - labels)) + 1e-4 * (tf.nn.l2_loss(W) + tf.nn.l2_loss(b))
"""
    assert codes(source, "RC102") == ["RC102"]
