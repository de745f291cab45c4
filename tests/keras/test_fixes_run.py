"""The RC202 and RC105 fixes produce code that trains with the penalty (one small TensorFlow step each)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from helpers import codes, fix

pytestmark = pytest.mark.tensorflow

RC202_LOOP = """
import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5))])
loss_fn = keras.losses.MeanSquaredError()
optimizer = keras.optimizers.SGD(0.1)
x = np.ones((4, 3), "float32")
y = np.zeros((4, 2), "float32")


def train_step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
"""

RC105_LOOP = """
import numpy as np
import tensorflow as tf
import keras


class Penalties:
    # tf.keras 2 semantics: add_loss keeps zero-argument callables, evaluated when losses are read.
    def __init__(self):
        self._fns = []

    def add_loss(self, fn):
        self._fns.append(fn)

    @property
    def losses(self):
        return [fn() for fn in self._fns]


keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
penalties = Penalties()
for layer in model.layers:
    penalties.add_loss(lambda: 0.01 * tf.reduce_sum(tf.square(layer.kernel)))
x = np.ones((4, 3), "float32")
y = np.zeros((4, 2), "float32")


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y)) + sum(penalties.losses)
    return loss, tape.gradient(loss, model.trainable_variables)
"""


def _run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "regcheck_fix_run"}
    exec(compile(source, "<fixed>", "exec"), namespace)
    return namespace


def test_rc202_fixed_loop_trains_with_the_penalty() -> None:
    pytest.importorskip("tensorflow")
    source = textwrap.dedent(RC202_LOOP)
    assert codes(source, "RC202") == ["RC202"]
    fixed = fix(source, "RC202")
    assert fixed != source and codes(fixed, "RC202") == []

    before, after = _run(source), _run(fixed)
    # Same seed, same initial weights: only the loss differs.
    for a, b in zip(before["model"].get_weights(), after["model"].get_weights()):
        assert (a == b).all()
    x, y = after["x"], after["y"]
    data_loss = float(after["loss_fn"](y, after["model"](x)))
    penalty = float(sum(after["model"].losses))
    without = float(before["train_step"](x, y))
    with_penalty = float(after["train_step"](x, y))
    assert penalty > 0
    assert with_penalty > without
    assert with_penalty == pytest.approx(data_loss + penalty, rel=1e-5)


def test_rc105_fixed_lambdas_penalize_every_layer() -> None:
    tf = pytest.importorskip("tensorflow")
    source = textwrap.dedent(RC105_LOOP)
    # Judged as tf-keras code, whose add_loss keeps the callables (Penalties emulates it): Keras 3's
    # add_loss(lambda) raises instead, and RC105 offers no fix there.
    fixed = fix(source, "RC105", keras="2")
    assert "lambda layer=layer:" in fixed and codes(fixed, "RC105", keras="2") == []

    before, after = _run(source), _run(fixed)
    kernels = [layer.kernel for layer in after["model"].layers]
    expected = sum(0.01 * float(tf.reduce_sum(tf.square(k))) for k in kernels)
    assert float(sum(after["penalties"].losses)) == pytest.approx(expected, rel=1e-5)
    # The late-bound original penalizes the last kernel twice and the first one not at all.
    last = 0.01 * float(tf.reduce_sum(tf.square(before["model"].layers[-1].kernel)))
    assert float(sum(before["penalties"].losses)) == pytest.approx(2 * last, rel=1e-5)

    x, y = after["x"], after["y"]
    _, grads_fixed = after["train_step"](x, y)
    _, grads_late = before["train_step"](x, y)
    first_kernel = 0  # trainable_variables: [kernel0, bias0, kernel1, bias1]
    kernel = after["model"].trainable_variables[first_kernel]
    # The fixed penalty's gradient reaches the first kernel: 0.02 * kernel on top of the data gradient.
    difference = grads_fixed[first_kernel] - grads_late[first_kernel]
    assert float(tf.reduce_max(tf.abs(difference - 0.02 * kernel))) < 1e-5
