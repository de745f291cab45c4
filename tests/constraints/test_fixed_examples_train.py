"""Fixed examples build and train one step with TensorFlow (few, small tests)."""

from __future__ import annotations

import pytest
from helpers import codes, fix

# Every test here trains with TensorFlow: deselected by `-m "not tensorflow"`, skipped where numpy is missing.
pytestmark = pytest.mark.tensorflow
np = pytest.importorskip("numpy")


def _run(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<fixed example>", "exec"), namespace)
    return namespace


def _step(model, x: np.ndarray, y: np.ndarray) -> None:
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)


RC303_EXAMPLE = """
import keras
model = keras.Sequential([
    keras.Input((6, 6, 3)),
    keras.layers.Conv2D(4, 3, kernel_initializer="ones", kernel_constraint=keras.constraints.MaxNorm(0.5)),
    keras.layers.Flatten(),
    keras.layers.Dense(2),
])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
"""


def test_rc303_fixed_max_norm_bounds_each_filter() -> None:
    pytest.importorskip("tensorflow")
    fixed = fix(RC303_EXAMPLE, "RC303", unsafe=True)
    assert "axis=[0, 1, 2]" in fixed and codes(fixed, "RC303") == []
    x = np.random.default_rng(0).normal(size=(8, 6, 6, 3)).astype("float32")
    y = np.zeros((8, 2), "float32")
    norms = {}
    for label, source in (("fixed", fixed), ("original", RC303_EXAMPLE)):
        model = _run(source)["model"]
        _step(model, x, y)
        kernel = np.asarray(model.layers[0].kernel)
        norms[label] = np.sqrt((kernel**2).sum(axis=(0, 1, 2)))  # one norm per filter: its incoming weights
    assert np.all(norms["fixed"] <= 0.5 + 1e-5)
    assert np.any(norms["original"] > 0.5 + 1e-3)  # axis=0 bounds slices, not filters


ORTHOGONAL_EXAMPLES = {
    "RC402": """
import keras
import tensorflow as tf
def orthogonal(w):
    gram = tf.matmul(w, w, transpose_a=True)
    return 1e-3 * tf.reduce_sum(tf.square(gram - tf.eye(w.shape)))
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, kernel_regularizer=orthogonal)])
model.compile(optimizer="sgd", loss="mse")
""",
    "RC403": """
import keras
import tensorflow as tf
def orthogonal(w):
    gram = tf.matmul(w, w, transpose_a=True)
    return 1e-3 * tf.reduce_sum(tf.square(gram - tf.eye(w.shape[-1])))
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activity_regularizer=orthogonal)])
model.compile(optimizer="sgd", loss="mse")
""",
    "RC404": """
import keras
import tensorflow as tf
def orthogonal(w):
    normalized = tf.math.l2_normalize(w, axis=0)
    product = tf.matmul(tf.transpose(normalized), normalized)
    size = product.shape[0]
    off_diagonal = product * (1.0 - tf.eye(size))
    pairs = size * (size - 1.0) / 2.0
    return 0.05 * 0.5 * tf.reduce_sum(tf.abs(off_diagonal)) / pairs
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, kernel_regularizer=orthogonal)])
model.compile(optimizer="sgd", loss="mse")
""",
}


@pytest.mark.parametrize("code", sorted(ORTHOGONAL_EXAMPLES))
def test_fixed_regularizer_examples_train_one_step(code: str) -> None:
    pytest.importorskip("tensorflow")
    source = ORTHOGONAL_EXAMPLES[code]
    fixed = fix(source, code, unsafe=True)
    assert fixed != source and codes(fixed, code) == []
    model = _run(fixed)["model"]
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    _step(model, x, np.zeros((4, 3), "float32"))
    kernel = model.layers[0].kernel
    penalty = float(sum(model.losses)) if model.losses else 0.0
    assert penalty > 0.0
    if code == "RC404":
        # The proof behind the fix: the hand-written penalty and the built-in agree on the same weights.
        original = _run(source)["orthogonal"]
        builtin = model.layers[0].kernel_regularizer
        assert float(original(kernel)) == pytest.approx(float(builtin(kernel)), rel=1e-5)


def test_rc405_fixed_head_is_not_constant() -> None:
    pytest.importorskip("tensorflow")
    source = """
import keras
model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="softmax"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
"""
    fixed = fix(source, "RC405", unsafe=True)
    assert 'activation="sigmoid"' in fixed
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = (rng.random((16, 1)) > 0.5).astype("float32")
    outputs = {}
    for label, text in (("fixed", fixed), ("original", source)):
        model = _run(text)["model"]
        _step(model, x, y)
        outputs[label] = np.asarray(model(x))
    assert np.allclose(outputs["original"], 1.0)  # the bug: softmax over one unit
    assert outputs["fixed"].std() > 0
