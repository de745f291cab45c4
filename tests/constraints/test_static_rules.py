"""RC3xx / RC4xx on their meaning, and quiet on the correct forms (static path, no TensorFlow)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import codes, fix, lint

import regcheck

# --- the correct forms named by the issue stay quiet --------------------------

CORRECT_FORMS = {
    "max-norm on Conv2D over [0, 1, 2]": """
        import keras
        conv = keras.layers.Conv2D(16, 3, kernel_constraint=keras.constraints.MaxNorm(3, axis=[0, 1, 2]))
        """,
    "clip_by_norm on weights with the right axes": """
        import tensorflow.compat.v1 as tf
        w = tf.get_variable("w", [784, 256])
        h = tf.matmul(x, w)
        train_op = tf.train.AdamOptimizer().minimize(loss)
        with tf.control_dependencies([train_op]):
            clip = tf.assign(w, tf.clip_by_norm(w, 3.0, axes=[0]))
        """,
    "tensor-only orthogonality regularizer": """
        import tensorflow as tf
        def orthogonal(w):
            gram = tf.matmul(w, w, transpose_a=True)
            return 1e-3 * tf.reduce_sum(tf.square(gram - tf.eye(w.shape[-1])))
        layer = tf.keras.layers.Dense(32, kernel_regularizer=orthogonal)
        """,
    "Dense(1, sigmoid)": """
        import keras
        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
        """,
    "Dense(2) + softmax": """
        import keras
        model = keras.Sequential()
        model.add(keras.layers.Dense(2))
        model.add(keras.layers.Activation("softmax"))
        """,
}
ISSUE_CODES = ("RC301", "RC302", "RC303", "RC401", "RC402", "RC403", "RC404", "RC405", "RC407")


@pytest.mark.parametrize("name", sorted(CORRECT_FORMS))
def test_correct_forms_are_quiet(name: str) -> None:
    assert codes(CORRECT_FORMS[name], *ISSUE_CODES) == []


# --- kernel layouts (RC303) ----------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "axis", "fires"),
    [
        ("Dense(8", "0", False),
        ("Dense(8", "1", True),
        ("Conv1D(8, 3", "[0, 1]", False),
        ("Conv1D(8, 3", "0", True),
        ("Conv3D(8, 3", "[0, 1, 2, 3]", False),
        ("Conv3D(8, 3", "[0, 1, 2]", True),
        ("Conv2D(8, (1, 1)", "2", False),  # 1x1 kernel: the spatial axes have size 1
        ("Conv2DTranspose(8, 3", "[0, 1, 3]", False),
        ("Conv2DTranspose(8, 3", "[0, 1, 2]", True),
        ("LSTM(8", "0", False),
    ],
)
def test_kernel_layouts(layer: str, axis: str, fires: bool) -> None:
    source = f"import keras\nl = keras.layers.{layer}, kernel_constraint=keras.constraints.MaxNorm(2, axis={axis}))\n"
    assert ("RC303" in codes(source, "RC303")) is fires


def test_depthwise_exception_and_separable_kernels() -> None:
    depthwise = """
        import keras
        a = keras.layers.DepthwiseConv2D((22, 1), depthwise_constraint=keras.constraints.max_norm(1.0))
        b = keras.layers.DepthwiseConv2D((3, 3), depthwise_constraint=keras.constraints.max_norm(1.0))
        c = keras.layers.SeparableConv2D(8, 3, pointwise_constraint=keras.constraints.max_norm(1.0, axis=2))
        """
    lines = [f.line for f in lint(depthwise, "RC303")]
    assert lines == [4]  # only the 3x3 depthwise kernel; (22, 1) and the 1x1 pointwise are fine


def test_shared_constraint_object_gets_no_fix_but_each_layer_is_checked() -> None:
    source = """
        import keras
        bound = keras.constraints.MaxNorm(3)
        d = keras.layers.Dense(8, kernel_constraint=bound)
        c = keras.layers.Conv2D(8, 3, kernel_constraint=bound)
        """
    findings = lint(source, "RC303")
    assert [f.line for f in findings] == [5]
    assert findings[0].fix is None


def test_tf1_conv_variable_uses_its_consumer_layout() -> None:
    source = """
        import tensorflow.compat.v1 as tf
        w = tf.get_variable("w", [5, 5, 3, 16])
        y = tf.nn.conv2d_transpose(x, w, out_shape, strides=[1, 2, 2, 1])
        clip = tf.assign(w, tf.clip_by_norm(w, 2.0, axes=[0, 1, 2]))
        """
    assert fix(source, "RC303", unsafe=True).endswith("axes=[0, 1, 3]))\n")


# --- gradients vs weights (RC301, RC302) -----------------------------------------


def test_zip_of_gradients_and_variables() -> None:
    source = """
        import tensorflow as tf
        grads = tape.gradient(loss, model.trainable_variables)
        pairs = [(tf.clip_by_norm(g, 3.0, axes=[0]), v) for g, v in zip(grads, model.trainable_variables)]
        weights = [tf.clip_by_norm(v, 3.0, axes=[0]) for g, v in zip(grads, model.trainable_variables)]
        """
    assert [f.line for f in lint(source, "RC301")] == [4]
    assert sorted(f.line for f in lint(source, "RC302")) == [4, 5]


def test_same_rank_list_is_not_mixed() -> None:
    source = """
        import tensorflow.compat.v1 as tf
        w1 = tf.Variable(tf.random_normal([784, 256]))
        w2 = tf.Variable(tf.random_normal([256, 10]))
        ops = [tf.assign(w, tf.clip_by_norm(w, 3.0, axes=[0])) for w in tf.trainable_variables()]
        """
    assert codes(source, "RC302") == []


# --- regularizer functions: definitions, factories, classes, other modules -------


def test_factory_and_add_loss_are_followed() -> None:
    source = """
        import numpy as np
        import tensorflow as tf
        def make_reg(scale):
            def reg(w):
                return scale * np.sum(np.abs(w))
            return reg
        layer = tf.keras.layers.Dense(8, kernel_regularizer=make_reg(0.1))
        def penalty(w):
            tf.reduce_sum(w)
        model.add_loss(lambda: penalty(layer.kernel))
        model.add_loss(penalty(layer.kernel))
        """
    assert [f.line for f in lint(source, "RC401")] == [6]
    assert [f.line for f in lint(source, "RC407")] == [9, 10]


def test_regularizer_from_another_module_is_reported_at_the_use(tmp_path: Path) -> None:
    (tmp_path / "regs.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            def spectral(w):
                return 0.01 * np.linalg.norm(w, 2)
            """
        )
    )
    (tmp_path / "model.py").write_text(
        textwrap.dedent(
            """
            import tensorflow as tf
            from regs import spectral
            layer = tf.keras.layers.Dense(8, kernel_regularizer=spectral)
            """
        )
    )
    findings = regcheck.check_paths([str(tmp_path)], select=["RC401"])
    assert [(Path(f.path).name, f.line) for f in findings] == [("model.py", 4)]
    assert "regs.py:3" in findings[0].message


def test_decov_activity_penalty_is_not_a_weight_penalty() -> None:
    source = """
        import tensorflow as tf
        def decov(a):
            centered = a - tf.reduce_mean(a, axis=0)
            return 1e-4 * tf.reduce_sum(tf.square(tf.matmul(centered, centered, transpose_a=True)))
        layer = tf.keras.layers.Dense(8, activity_regularizer=decov)
        """
    assert codes(source, "RC403") == []


def test_orthogonal_rows_mode_and_unproven_forms() -> None:
    rows = """
        import keras
        def ortho(w):
            n = keras.ops.normalize(w, axis=1)
            p = keras.ops.matmul(n, keras.ops.transpose(n))
            s = w.shape[0]
            return 2e-3 * keras.ops.sum(keras.ops.abs(p * (1.0 - keras.ops.eye(s)))) / (s * (s - 1))
        layer = keras.layers.Dense(8, kernel_regularizer=ortho)
        """
    assert 'OrthogonalRegularizer(factor=0.002, mode="rows")' in fix(rows, "RC404", unsafe=True)
    # The same without abs() is another penalty: not proven, not reported.
    assert (
        codes(
            rows.replace(
                "keras.ops.abs(",
                "(",
            ),
            "RC404",
        )
        == []
    )


# --- heads (RC405) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fires"),
    [
        ("x = keras.layers.Dense(1)(h)\ny = keras.layers.Softmax()(x)", True),
        ("x = keras.layers.Dense(1)(h)\nx = keras.layers.Dropout(0.2)(x)\ny = keras.activations.softmax(x)", True),
        ("n = 1\ny = keras.layers.Dense(n, activation=keras.activations.softmax)(h)", True),
        ("y = keras.layers.Conv2D(1, 1, activation='softmax')(h)", True),
        ("x = keras.layers.Dense(1)(h)\nx = keras.layers.Dense(4)(x)\ny = keras.layers.Softmax()(x)", False),
        ("x = keras.layers.Dense(1)(h)\ny = keras.layers.Softmax(axis=1)(x)", False),
    ],
)
def test_softmax_heads(source: str, fires: bool) -> None:
    assert ("RC405" in codes("import keras\n" + source + "\n", "RC405")) is fires
