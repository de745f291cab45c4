"""A "regularizer" that returns no penalty (the max-norm trick: it registers clip ops in a collection
of its own and returns None on purpose) adds nothing to any loss: no RC201 for a collection that
holds nothing of it, no peer for RC101/RC106, and no RC407, which is for a penalty forgotten."""

from __future__ import annotations

import pytest
from helpers import codes

SOURCE = """
import tensorflow.compat.v1 as tf
def max_norm_regularizer(threshold, collection="max_norm"):
    def max_norm(weights):
        clipped = tf.clip_by_norm(weights, clip_norm=threshold, axes=0)
        tf.add_to_collection(collection, tf.assign(weights, clipped))
        {ending}
    return max_norm
x = tf.placeholder(tf.float32, [None, 4])
y = tf.placeholder(tf.int32, [None])
h = tf.layers.dense(x, 8, tf.nn.relu, kernel_regularizer=max_norm_regularizer(1.0))
logits = tf.layers.dense(h, 3)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
clip_all = tf.get_collection("max_norm")
"""


def test_returning_none_on_purpose_is_not_a_penalty() -> None:
    assert codes(SOURCE.format(ending="return None"), "RC101", "RC106", "RC201", "RC407") == []


@pytest.mark.parametrize("ending", ["pass", "return"])
def test_forgetting_to_return_is_rc407_and_nothing_else(ending: str) -> None:
    assert codes(SOURCE.format(ending=ending), "RC101", "RC106", "RC201", "RC407") == ["RC407"]
