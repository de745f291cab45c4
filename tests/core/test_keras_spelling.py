"""Fixes that write a Keras name spell the keras package the way the file does, one rule like another."""

from __future__ import annotations

import pytest
from helpers import fix

from regcheck.checks.rc404_handwritten_orthogonal_regularizer import HandwrittenOrthogonalRegularizer

# The check's own sample that the built-in provably matches, with the imports and keras spelling varied.
ORTHOGONAL = (
    HandwrittenOrthogonalRegularizer.INVALID[1]
    .replace("import tensorflow as tf", "{imports}")
    .replace("tf.keras.layers", "{keras}.layers")
)
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
def test_rc404_and_rc601_fixes_agree_on_the_keras_spelling(
    imports: str, keras: str, spelled: str, adds_import: bool
) -> None:
    for template, code in ((ORTHOGONAL, "RC404"), (LEGACY_L2, "RC601")):
        fixed = fix(template.format(imports=imports, keras=keras), code, unsafe=True)
        replaced = fixed.split("=", 1)[1] if code == "RC601" else fixed.split("kernel_regularizer=", 1)[1]
        assert replaced.strip().startswith(spelled), (code, fixed)
        assert ("import keras\n" in fixed.replace(imports, "")) is adds_import, (code, fixed)
