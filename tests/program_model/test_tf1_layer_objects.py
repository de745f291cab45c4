"""``tf.layers.Dense(...)`` / ``tf.compat.v1.layers.Conv2D(...)`` objects behave as the ``tf.layers``
functions do: their penalties go to REGULARIZATION_LOSSES (RC201 when the loss never reads it),
and an object built without a regularizer among regularized ones is RC101, whether the objects are
module-level or attributes of a Keras layer that wraps TF1-style code."""

from __future__ import annotations

import pytest
from helpers import codes

SPELLINGS = ["tf.layers", "tf.compat.v1.layers"]


@pytest.mark.parametrize("layers", SPELLINGS)
@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        ("tf.reduce_mean(tf.square(out))", ["RC201"]),
        ("tf.reduce_mean(tf.square(out)) + tf.losses.get_regularization_loss()", []),
    ],
)
def test_penalties_of_layer_objects_fill_the_collection(layers: str, loss: str, expected: list[str]) -> None:
    source = f"""
import tensorflow as tf
x = tf.compat.v1.placeholder(tf.float32, [None, 784])
h = {layers}.Dense(256, kernel_regularizer=tf.keras.regularizers.l2(1e-4))(x)
out = {layers}.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))(h)
loss = {loss}
train = tf.compat.v1.train.AdamOptimizer().minimize(loss)
"""
    assert codes(source, "RC201") == expected


@pytest.mark.parametrize("layers", SPELLINGS)
def test_an_object_left_unregularized_in_a_wrapping_keras_layer(layers: str) -> None:
    source = f"""
import tensorflow as tf

class CompatModel(tf.keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.conv_1 = {layers}.Conv2D(3, 3, kernel_regularizer="l2")
        self.conv_2 = {layers}.Conv2D(4, 4)

    def call(self, inputs):
        out = self.conv_2(self.conv_1(inputs))
        return {layers}.conv2d(out, 5, 5, kernel_regularizer="l2")

layer = CompatModel()
layer(tf.ones(shape=(10, 10, 10, 10)))
"""
    assert codes(source, "RC101", "RC106") == ["RC101"]
