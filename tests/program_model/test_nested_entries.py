"""A training step defined inside the function that builds the model (``main()`` defines
``train_step`` and hands it to a loop, a ``tf.function`` or nobody): it runs as an entry of its
own, with the closure it was defined in, so its loss is judged as the same code at module level."""

from __future__ import annotations

import textwrap

import pytest
from helpers import codes

BUILD = "model = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.L2(5e-4))])"
STEP = """
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x, training=True) - y)){added}
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""


def _program(shape: str, added: str) -> str:
    step = textwrap.dedent(STEP.format(added=added))
    body = f"{BUILD}\nopt = tf.keras.optimizers.SGD(0.1)\n"
    if shape == "module":
        return f"import tensorflow as tf\n{body}{step}"
    nested = textwrap.indent(body + step, "    ")
    if shape == "main":
        return f"import tensorflow as tf\n\ndef main():\n{nested}"
    if shape == "main-guarded":
        return f"import tensorflow as tf\n\ndef main():\n{nested}\nif __name__ == '__main__':\n    main()\n"
    if shape == "tf-function":
        decorated = textwrap.indent(body + "@tf.function" + step, "    ")
        return f"import tensorflow as tf\n\ndef main():\n{decorated}"
    if shape == "two-levels":
        inner = textwrap.indent(textwrap.indent(step, "    "), "    ")
        return f"import tensorflow as tf\n\ndef main():\n{textwrap.indent(body, '    ')}    def fit():\n{inner}"
    raise AssertionError(shape)


@pytest.mark.parametrize("shape", ["module", "main", "main-guarded", "tf-function", "two-levels"])
def test_a_step_that_drops_model_losses_is_found_wherever_it_is_defined(shape: str) -> None:
    assert codes(_program(shape, ""), "RC202") == ["RC202"]


@pytest.mark.parametrize("shape", ["module", "main", "main-guarded", "tf-function", "two-levels"])
def test_a_step_that_adds_model_losses_is_quiet_wherever_it_is_defined(shape: str) -> None:
    assert codes(_program(shape, " + tf.add_n(model.losses)"), "RC202") == []
