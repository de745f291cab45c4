"""A variable named at run time (``"b_" + str(i)``, ``f"bias_{i}"``, ``"b%d" % i``) takes its role from
the literal start of its name, as a literal name would: a penalized bias made in a loop or a
comprehension is a penalized bias."""

from __future__ import annotations

import pytest
from helpers import codes

LAYER = """
import tensorflow as tf
from tensorflow.keras.regularizers import l2

class Cross(tf.keras.layers.Layer):
    def __init__(self, n=2):
        super().__init__()
        self.n = n

    def build(self, input_shape):
        dim = int(input_shape[-1])
        self.ws = [self.add_weight(name="w_" + str(i), shape=(dim, 1), regularizer=l2(1e-4)) for i in range(self.n)]
        self.bs = [self.add_weight(name={name}, shape=(dim, 1), regularizer={reg}) for i in range(self.n)]

    def call(self, x):
        for w, b in zip(self.ws, self.bs):
            x = x + tf.matmul(x, w) + tf.transpose(b)
        return x
"""

TF1 = """
import tensorflow.compat.v1 as tf
x = tf.placeholder(tf.float32, [None, 8])
h = x
for i in range(3):
    w = tf.get_variable("w%d" % i, [8, 8], regularizer=tf.keras.regularizers.l2(1e-4))
    b = tf.get_variable({name}, [8], regularizer={reg})
    h = tf.nn.relu(tf.matmul(h, w) + b)
"""


@pytest.mark.parametrize(
    ("program", "name", "regularizer"),
    [
        *((LAYER, name, "l2(1e-4)") for name in ('"b_" + str(i)', 'f"bias_{i}"', '"b_%d" % i', '"b_0"')),
        *((TF1, name, "tf.keras.regularizers.l2(1e-4)") for name in ('"b_" + str(i)', 'f"bias_{i}"', '"b_%d" % i')),
    ],
)
def test_a_computed_bias_name_is_a_bias(program: str, name: str, regularizer: str) -> None:
    assert codes(program.format(name=name, reg=regularizer), "RC102") == ["RC102"]
    assert codes(program.format(name=name, reg="None"), "RC102") == []


@pytest.mark.parametrize("name", ['"w_" + str(i)', 'f"kernel_{i}"'])
def test_a_computed_kernel_name_is_not_a_bias(name: str) -> None:
    assert codes(LAYER.format(name=name, reg="l2(1e-4)"), "RC102") == []
