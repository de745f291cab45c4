"""A regularizer given under a flag the program model cannot read (``l2(wd) if use_l2 else None``,
the flag a parameter with a default) penalizes on the paths where the flag is on: a layer left
without one on every path is RC101 next to flagged ones, a separable convolution given one is
RC107, and a loop that drops ``model.losses`` is RC202. A bias regularizer under a config flag is
a deliberate choice (RC102 stays quiet)."""

from __future__ import annotations

from helpers import codes

HELPER = """
import tensorflow as tf
from tensorflow.keras import layers, regularizers

def _l2(use_l2=True):
    return regularizers.l2(1e-4) if use_l2 else None

def build(use_l2=True):
    inp = layers.Input((32, 32, 3))
    x = layers.{first}(16, 3, kernel_regularizer=_l2(use_l2))(inp)
    x = layers.Conv2D(16, 3{second})(x)
    x = layers.Dense(10, kernel_regularizer=_l2(use_l2))(layers.Flatten()(x))
    return tf.keras.Model(inp, x)
"""


def test_a_layer_left_out_on_every_path() -> None:
    assert codes(HELPER.format(first="Conv2D", second=""), "RC101", "RC106") == ["RC101"]
    assert codes(HELPER.format(first="Conv2D", second=", kernel_regularizer=_l2(use_l2)"), "RC101") == []


def test_a_separable_convolution_given_a_flagged_kernel_regularizer() -> None:
    source = HELPER.format(first="SeparableConv2D", second=", kernel_regularizer=_l2(use_l2)")
    assert codes(source, "RC107") == ["RC107"]


def test_a_loop_that_drops_model_losses() -> None:
    source = (
        HELPER.format(first="Conv2D", second=", kernel_regularizer=_l2(use_l2)")
        + """
model = build()
opt = tf.keras.optimizers.SGD(0.1)
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""
    )
    assert codes(source, "RC202") == ["RC202"]


def test_a_bias_regularizer_under_a_config_flag_is_deliberate() -> None:
    source = """
import tensorflow as tf
def build(bias_decay=False):
    reg = tf.keras.regularizers.l2(1e-4)
    return tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=reg, bias_regularizer=reg if bias_decay else None)])
"""
    assert codes(source, "RC102") == []
