"""Where the declarations decide nothing, each file's own code may (RULES.md, Versions): TensorFlow 1
names without ``compat.v1`` and Keras 2-only APIs mean Keras 2, ``import tf_keras`` and
``TF_USE_LEGACY_KERAS`` mean tf-keras, Keras 3-only APIs mean Keras 3; where nothing decides, a
verdict that differs between versions is given only in the form that holds in both."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from regcheck import check_source
from regcheck.facts import build_facts
from regcheck.facts.keras_version import file_keras


def _file(source: str, target: str = "unknown") -> tuple[str, str]:
    facts = build_facts("train.py", source, cst.parse_module(source))
    facts.keras_target = target
    found = file_keras(facts)
    return found.version, found.reason


CODE = [
    ("import tensorflow as tf\nx = tf.placeholder(tf.float32, [None, 3])\n", "2", "`tf.placeholder` (TensorFlow 1)"),
    ("import tensorflow as tf\nwith tf.Session() as sess:\n    pass\n", "2", "`tf.Session` (TensorFlow 1)"),
    ("import tensorflow as tf\nw = tf.get_variable('w', [3, 3])\n", "2", "`tf.get_variable` (TensorFlow 1)"),
    ("import tensorflow as tf\ny = tf.layers.dense(x, 3)\n", "2", "`tf.layers.dense` (TensorFlow 1)"),
    (
        "import tensorflow as tf\nr = tf.contrib.layers.l2_regularizer(0.1)\n",
        "2",
        "`tf.contrib.layers.l2_regularizer` (TensorFlow 1)",
    ),
    ("from tensorflow.contrib import slim\n", "2", "`tensorflow.contrib` (TensorFlow 1 / Keras 2)"),
    ("import tensorflow as tf\nk = tf.GraphKeys.REGULARIZATION_LOSSES\n", "2", "`tf.GraphKeys` (TensorFlow 1)"),
    ("import keras\nmodel.fit_generator(batches)\n", "2", "`.fit_generator()` (Keras 2 only)"),
    ("from keras.engine.topology import Layer\n", "2", "`keras.engine.topology` (Keras 2 only)"),
    ("from keras import backend as K\ny = K.sum(x)\n", "2", "`keras.backend.sum` (Keras 2 only as `import keras`)"),
    ("import keras\ny = keras.ops.sum(x)\n", "3", "`keras.ops.sum` (Keras 3 only)"),
]


@pytest.mark.parametrize("source, version, why", CODE)
def test_the_code_decides_an_unknown_version(source: str, version: str, why: str) -> None:
    assert _file(source) == (version, f"code: {why}")


@pytest.mark.parametrize(
    "source",
    [
        "import tensorflow as tf\ny = tf.keras.layers.Dense(3)\n",  # in every version
        "import tensorflow as tf\nx = tf.compat.v1.placeholder(tf.float32)\n",  # compat.v1: every TensorFlow 2
        "import tensorflow.compat.v1 as tf\nx = tf.placeholder(tf.float32)\n",
        "import tensorflow as tf\ntry:\n    p = tf.placeholder\nexcept AttributeError:\n    p = None\n",  # a fallback
        "import tensorflow as tf\nname = 'tf.placeholder'\n",  # only a string
    ],
)
def test_code_of_every_version_decides_nothing(source: str) -> None:
    assert _file(source) == (
        "unknown",
        "unknown: nothing declared decides, and the code uses no API of one version only",
    )


def test_code_of_both_versions_decides_nothing() -> None:
    source = "import tensorflow as tf\nimport keras\nx = tf.placeholder(tf.float32)\ny = keras.ops.sum(x)\n"
    assert _file(source) == (
        "unknown",
        "unknown: the code uses Keras 2 (`tf.placeholder` (TensorFlow 1)) and Keras 3 (`keras.ops.sum` (Keras 3 only)) APIs",
    )


@pytest.mark.parametrize("target", ["2", "3"])
def test_a_known_target_is_not_second_guessed_by_the_code(target: str) -> None:
    source = "import tensorflow as tf\nx = tf.placeholder(tf.float32)\n"
    assert _file(source, target) == (target, "project target")


@pytest.mark.parametrize("target", ["unknown", "3"])
@pytest.mark.parametrize(
    "source, why",
    [
        ("import tf_keras as keras\n", "import tf_keras"),
        ("from tf_keras import layers\n", "import tf_keras"),
        ("import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\nimport tensorflow as tf\n", "TF_USE_LEGACY_KERAS=1"),
    ],
)
def test_tf_keras_in_the_file_means_keras_2_whatever_the_target(target: str, source: str, why: str) -> None:
    assert _file(source, target) == ("2", why)


# --- what users see: findings on code whose version is unknown, or decided by the code ---------


@pytest.fixture
def undeclared(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # nothing above is read: the project declares nothing
    return tmp_path


def _check(folder: Path, source: str, select: str) -> list[tuple[int, str, str | None]]:
    findings = check_source(source, path=str(folder / "train.py"), select=[select])
    return [(f.line, f.message, f.keras) for f in findings]


KERAS_L2 = "import keras\nreg = keras.regularizers.l2(0.01)\n"


def test_rc601_is_not_given_on_keras_2_spellings_when_the_version_is_unknown(undeclared: Path) -> None:
    # `keras.regularizers.l2` is the only spelling Keras 2.3 has: calling it legacy holds only in Keras 3.
    assert _check(undeclared, KERAS_L2, "RC601") == []


def test_rc601_is_given_where_the_code_is_keras_3(undeclared: Path) -> None:
    source = KERAS_L2 + "y = keras.ops.sum(reg)\n"
    assert _check(undeclared, source, "RC601") == [
        (2, "`keras.regularizers.l2` is a legacy spelling; use `keras.regularizers.L2`", "3")
    ]


def test_rc601_on_tf1_code_converts_to_the_spelling_every_version_has(undeclared: Path) -> None:
    source = "import tensorflow as tf\nx = tf.placeholder(tf.float32)\nreg = tf.contrib.layers.l2_regularizer(0.01)\n"
    assert _check(undeclared, source, "RC601") == [
        (
            3,
            "`tf.contrib.layers.l2_regularizer` is a legacy spelling; use `keras.regularizers.l2` "
            "(tf.nn.l2_loss halves the square sum, Keras L2 does not, so the scale is halved)",
            "2",
        )
    ]


LATE_LAMBDA = """\
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(4), tf.keras.layers.Dense(2)])
for layer in model.layers:
    model.add_loss(lambda: 0.01 * tf.reduce_sum(tf.square(layer.kernel)))
"""


def test_rc105_gives_the_message_that_holds_in_both_and_no_fix(undeclared: Path) -> None:
    findings = check_source(LATE_LAMBDA, path=str(undeclared / "train.py"), select=["RC105"])
    assert [(f.message, f.fix, f.keras) for f in findings] == [
        (
            "`add_loss(lambda: ...)` raises in Keras 3 (it takes a tensor, inside `build()` / `call()`); in Keras 2 "
            "the lambda would read loop variable `layer` after the loop ended. Set the penalty on the variable "
            "instead (`layer.kernel.regularizer = ...`)",
            None,
            None,
        )
    ]
    (keras2,) = check_source(LATE_LAMBDA, path=str(undeclared / "train.py"), select=["RC105"], keras="2")
    assert keras2.fix is not None and keras2.keras == "2"


def test_findings_of_an_unknown_version_carry_no_keras_field(undeclared: Path) -> None:
    findings = check_source(LATE_LAMBDA, path=str(undeclared / "train.py"), select=["RC105"])
    assert findings and all("keras" not in f.to_json() and "keras_reason" not in f.to_json() for f in findings)
