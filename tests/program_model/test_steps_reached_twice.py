"""A training function the program reaches more than once (called twice, from two entries, in a loop)
is judged each time it is reached; its defect is still one finding."""

from __future__ import annotations

import pytest
from helpers import codes, fix

TRAIN = """
import tensorflow.compat.v1 as tf

def train(x, y):
    w = tf.get_variable("w", [4, 1], regularizer=tf.keras.regularizers.l2(1e-4))
    h = tf.layers.batch_normalization(tf.matmul(x, w), training=True)
    loss = tf.reduce_mean(tf.square(h - y))
    return tf.train.AdamOptimizer().minimize(loss)

def main():
    train(tf.placeholder(tf.float32, [None, 4]), tf.placeholder(tf.float32, [None, 1]))

def other_entry():
    main()

{calls}
"""

CALLS = {
    "called_twice": "main()\nmain()",
    "two_entries": "if __name__ == '__main__':\n    main()\n    other_entry()",
    "in_a_loop": "for _ in range(3):\n    main()",
}


@pytest.mark.parametrize("calls", sorted(CALLS))
def test_a_step_reached_twice_is_one_finding_per_defect(calls: str) -> None:
    source = TRAIN.format(calls=CALLS[calls])
    assert sorted(codes(source, "RC201", "RC207")) == ["RC201", "RC207"]
    fixed = fix(source, "RC201", "RC207")
    assert fixed.count("get_regularization_loss") == 1 and fixed.count("UPDATE_OPS") == 1
