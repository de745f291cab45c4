"""RC101 / RC102 / RC103 on Keras layers built in every style."""

from __future__ import annotations

import re
import textwrap

import pytest
from helpers import codes, fix, lint

STYLES = {
    "sequential_list": """
        from tensorflow import keras
        from tensorflow.keras import layers, regularizers
        model = keras.Sequential([
            layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)),
            layers.Dense(10{head}),
        ])
    """,
    "model_add": """
        from keras.models import Sequential
        from keras.layers import Dense
        from keras.regularizers import l2
        model = Sequential()
        model.add(Dense(64, kernel_regularizer=l2(1e-4)))
        model.add(Dense(10{head}))
    """,
    "functional": """
        import keras
        from keras import layers, regularizers
        def build():
            inputs = keras.Input((784,))
            x = layers.Dense(64, kernel_regularizer=regularizers.L2(1e-4))(inputs)
            outputs = layers.Dense(10{head})(x)
            return keras.Model(inputs, outputs)
    """,
    "subclassed": """
        import tensorflow as tf
        from tensorflow.keras.regularizers import L2
        class Net(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = tf.keras.layers.Conv2D(32, 3, kernel_regularizer=L2(1e-4))
                self.head = tf.keras.layers.Dense(10{head})
    """,
    "helper_block": """
        from tensorflow.keras import layers, regularizers
        def conv_block(x, filters):
            x = layers.Conv2D(filters, 3, kernel_regularizer=regularizers.l2(5e-4))(x)
            return layers.BatchNormalization()(x)
        def build(x):
            for filters in (32, 64, 128):
                x = conv_block(x, filters)
            return layers.Dense(10{head})(x)
    """,
    "keras1_names": """
        from keras.layers import Convolution2D, Dense
        from keras.regularizers import l2
        def build(x):
            x = Convolution2D(32, 3, 3, W_regularizer=l2(5e-4))(x)
            return Dense(10{head_k1})(x)
    """,
    "class_alias_and_partial": """
        from functools import partial
        import tensorflow as tf
        Conv = partial(tf.keras.layers.Conv2D, kernel_size=3, kernel_regularizer=tf.keras.regularizers.l2(1e-4))
        Dense = tf.keras.layers.Dense
        def build(x):
            x = Conv(32)(x)
            return Dense(10{head})(x)
    """,
}


def _source(style: str, head: str) -> str:
    text = STYLES[style]
    return text.replace("{head}", head).replace("{head_k1}", head.replace("kernel_", "W_"))


_FIRST_REGULARIZER = re.compile(r", (kernel|W)_regularizer=[\w.]+\([\d.e-]+\)")


def _hidden_left_out(style: str) -> str:
    """The head regularized, the hidden layer (the style's first regularizer) not."""
    return _FIRST_REGULARIZER.sub("", _source(style, ", kernel_regularizer='l2'"), count=1)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_only_the_head_left_out_is_rc106_advice(style: str) -> None:
    findings = lint(_source(style, ""), "RC101", "RC106")
    assert [f.code for f in findings] == ["RC106"]
    assert "output layer" in findings[0].message and "regularized" in findings[0].message


@pytest.mark.parametrize("style", sorted(STYLES))
def test_rc101_fires_on_an_unregularized_hidden_layer(style: str) -> None:
    findings = lint(_hidden_left_out(style), "RC101", "RC106")
    assert [f.code for f in findings] == ["RC101"]
    assert "no kernel regularizer" in findings[0].message


@pytest.mark.parametrize("style", sorted(STYLES))
def test_rc101_quiet_when_every_kernel_is_regularized(style: str) -> None:
    regularized = _source(style, ", kernel_regularizer='l2'")
    assert codes(regularized, "RC101", "RC106") == []


@pytest.mark.parametrize("style", ["sequential_list", "model_add", "functional", "subclassed", "keras1_names"])
def test_rc106_fix_copies_the_models_regularizer(style: str) -> None:
    fixed = fix(_source(style, ""), "RC106", unsafe=True)
    assert codes(fixed, "RC101", "RC106") == []
    # Unsafe: safe mode leaves the code alone.
    assert fix(_source(style, ""), "RC106") == textwrap.dedent(_source(style, ""))


def test_zero_coefficient_counts_as_deliberate() -> None:
    assert codes(_source("functional", ", kernel_regularizer=regularizers.L2(0.0)"), "RC101") == []


def test_noqa_marks_intentional_partial_coverage() -> None:
    source = """
        from tensorflow import keras
        from tensorflow.keras import layers, regularizers
        model = keras.Sequential([
            layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)),
            layers.Dense(10),  # noqa: RC101 - the classifier head stays unregularized
        ])
    """
    assert codes(source, "RC101") == []


def test_model_without_regularizers_is_consistent() -> None:
    source = """
        import keras
        model = keras.Sequential([keras.layers.Dense(64), keras.layers.Dense(10)])
    """
    assert codes(source, "RC101", "RC102", "RC103", "RC202") == []


def test_helper_parameter_judged_per_call_site() -> None:
    source = """
        from tensorflow.keras import layers
        from tensorflow.keras.regularizers import l2
        def conv_block(x, filters, reg=None):
            return layers.Conv2D(filters, 3, kernel_regularizer=reg)(x)
        def build(x):
            x = conv_block(x, 32, reg=l2(1e-4))
            x = conv_block(x, 64)
            return x
    """
    findings = lint(source, "RC101")
    assert [f.line for f in findings] == [8]  # the call that passes no regularizer


def test_helper_parameter_without_call_site_is_unknown() -> None:
    source = """
        from tensorflow.keras import layers
        def conv_block(x, filters, reg=None):
            x = layers.Conv2D(filters, 3, kernel_regularizer=reg)(x)
            return layers.Conv2D(filters, 1)(x)
    """
    assert codes(source, "RC101") == []


def test_separate_models_are_judged_separately() -> None:
    source = """
        from keras import layers, models
        from keras.regularizers import l2
        def encoder():
            return models.Sequential([layers.Dense(64, kernel_regularizer=l2(1e-4)), layers.Dense(32, kernel_regularizer=l2(1e-4))])
        def critic():
            return models.Sequential([layers.Dense(64), layers.Dense(1)])
    """
    assert codes(source, "RC101") == []


def test_rc102_bias_regularizer_and_keras1_b_regularizer() -> None:
    source = """
        from tensorflow.keras import layers, regularizers
        from keras.layers import Dense
        from keras.regularizers import l2
        a = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4))
        b = Dense(10, W_regularizer=l2(0.01), b_regularizer=l2(0.01))
        c = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=None)
    """
    assert [f.line for f in lint(source, "RC102")] == [5, 6]
    fixed = fix(source, "RC102", unsafe=True)
    assert "bias_regularizer=regularizers" not in fixed and "b_regularizer" not in fixed


def test_rc102_custom_layer_add_weight() -> None:
    source = """
        import keras
        class Scale(keras.layers.Layer):
            def build(self, shape):
                self.w = self.add_weight(name="kernel", shape=(shape[-1], 4), regularizer="l2")
                self.b = self.add_weight(name="bias", shape=(4,), regularizer="l2")
    """
    assert [f.line for f in lint(source, "RC102")] == [6]


def test_rc103_normalization_embedding_and_all_variable_sweep() -> None:
    source = """
        import tensorflow as tf
        from tensorflow.keras import layers, regularizers
        bn = layers.BatchNormalization(gamma_regularizer=regularizers.l2(1e-4))
        emb = layers.Embedding(1000, 16, embeddings_regularizer="l2")
        ln = layers.LayerNormalization()
    """
    assert [f.line for f in lint(source, "RC103")] == [4, 5]
    sweep = """
        import tensorflow as tf
        model = tf.keras.Sequential([tf.keras.layers.Embedding(1000, 16), tf.keras.layers.Dense(1)])
        penalty = 1e-4 * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables])
    """
    assert codes(sweep, "RC103") == ["RC103"]
