"""Fixes that write a Keras name spell the keras package the way the file does, one rule like another."""

from __future__ import annotations

import pytest
from helpers import fix

ORTHOGONAL = """
{imports}
def orthogonal(w):
    normalized = tf.math.l2_normalize(w, axis=0)
    product = tf.matmul(tf.transpose(normalized), normalized)
    size = product.shape[0]
    off_diagonal = product * (1.0 - tf.eye(size))
    pairs = size * (size - 1.0) / 2.0
    return 0.01 * 0.5 * tf.reduce_sum(tf.abs(off_diagonal)) / pairs
layer = {keras}.layers.Dense(64, kernel_regularizer=orthogonal)
"""
LEGACY_L2 = """
{imports}
reg = tf.contrib.layers.l2_regularizer(0.01)
"""


@pytest.mark.parametrize(
    ("imports", "keras", "spelled", "adds_import"),
    [
        ("import tensorflow as tf", "tf.keras", "tf.keras.regularizers.", False),
        ("import tensorflow as tf\nfrom tensorflow import keras as K", "K", "K.regularizers.", False),
        # The v1 API's keras is the legacy namespace: the Keras package is named instead.
        ("import tensorflow.compat.v1 as tf\nimport keras", "keras", "keras.regularizers.", False),
        ("import tensorflow.compat.v1 as tf", "tf.keras", "keras.regularizers.", True),
    ],
)
def test_rc404_and_rc601_fixes_agree_on_the_keras_spelling(imports: str, keras: str, spelled: str, adds_import: bool) -> None:
    for template, code in ((ORTHOGONAL, "RC404"), (LEGACY_L2, "RC601")):
        fixed = fix(template.format(imports=imports, keras=keras), code, unsafe=True)
        replaced = fixed.split("=", 1)[1] if code == "RC601" else fixed.split("kernel_regularizer=", 1)[1]
        assert replaced.strip().startswith(spelled), (code, fixed)
        assert ("import keras\n" in fixed.replace(imports, "")) is adds_import, (code, fixed)
