"""Collections the code names itself (``tf.add_to_collection("losses", ...)``, summed with
``tf.add_n(tf.get_collection("losses"))``): what was added reaches the loss as if written there,
whoever adds it (the module, a helper given the regularizer, a loop), so coverage is judged the
same as for terms written into the loss."""

from __future__ import annotations

import pytest
from helpers import codes, lint

HEAD = """
import tensorflow.compat.v1 as tf
x = tf.placeholder(tf.float32, [None, 28, 28, 1])
y = tf.placeholder(tf.int64, [None])
conv_w = tf.get_variable("conv_w", [5, 5, 1, 32])
h = tf.reshape(tf.nn.relu(tf.nn.conv2d(x, conv_w, [1, 1, 1, 1], "SAME")), [-1, 28 * 28 * 32])
fc1_w = tf.get_variable("fc1_w", [28 * 28 * 32, 100])
fc2_w = tf.get_variable("fc2_w", [100, 10])
logits = tf.matmul(tf.nn.relu(tf.matmul(h, fc1_w)), fc2_w)
ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
"""

ADDED = {
    "l2-loss": 'for w in {ws}:\n    tf.add_to_collection("losses", 1e-4 * tf.nn.l2_loss(w))\n',
    "regularizer": 'reg = tf.keras.regularizers.l2(1e-4)\nfor w in {ws}:\n    tf.add_to_collection("losses", reg(w))\n',
    "helper": 'def decay(w, wd):\n    tf.add_to_collection("losses", wd * tf.nn.l2_loss(w))\n'
    "for w in {ws}:\n    decay(w, 1e-4)\n",
}
TRAINED = {
    "add-n": 'loss = ce + tf.add_n(tf.get_collection("losses"))\n',
    "data-in-collection": 'tf.add_to_collection("losses", ce)\nloss = tf.add_n(tf.get_collection("losses"))\n',
}


def _program(added: str, trained: str, weights: str) -> str:
    return (
        HEAD
        + ADDED[added].format(ws=weights)
        + TRAINED[trained]
        + "train = tf.train.AdamOptimizer(1e-3).minimize(loss)\n"
    )


@pytest.mark.parametrize("trained", sorted(TRAINED))
@pytest.mark.parametrize("added", sorted(ADDED))
def test_a_weight_left_out_of_the_collection(added: str, trained: str) -> None:
    findings = lint(_program(added, trained, "[fc1_w, fc2_w]"), "RC101", "RC106")
    assert [(f.code, f.line) for f in findings] == [("RC101", 5)]
    assert "`conv_w`" in findings[0].message


@pytest.mark.parametrize("trained", sorted(TRAINED))
@pytest.mark.parametrize("added", sorted(ADDED))
def test_every_weight_in_the_collection(added: str, trained: str) -> None:
    assert codes(_program(added, trained, "[conv_w, fc1_w, fc2_w]"), "RC101", "RC106", "RC201") == []


def test_a_collection_filled_where_it_cannot_be_seen_judges_nothing() -> None:
    # Nothing added in view: the collection may hold anything, as before.
    source = (
        HEAD
        + 'loss = ce + tf.add_n(tf.get_collection("losses"))\ntrain = tf.train.AdamOptimizer(1e-3).minimize(loss)\n'
    )
    assert codes(source, "RC101", "RC106") == []
