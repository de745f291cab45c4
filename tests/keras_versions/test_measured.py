"""The Keras facts the versioned verdicts rest on, measured with TensorFlow, once under Keras 3
and once under tf-keras (TF_USE_LEGACY_KERAS=1), each in its own process; and the static
findings for the same code, with `keras` set to that version, agree with what was measured.

This runs the models for real (it does not go through `regcheck trace`): compute_loss double
counting, compiled_loss with and without regularization_losses=, a constraint passed as a
regularizer (and the RC305 fix training with the constraint applied), AdamW's default decay,
and RC104's Keras 3 fix growing model.losses.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from regcheck import check_source

pytestmark = pytest.mark.tensorflow

MEASURE = r"""
import json, os, sys
import numpy as np
import tensorflow as tf
keras = tf.keras
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 5)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
out = {"keras": "2" if os.environ.get("TF_USE_LEGACY_KERAS") == "1" else "3", "name": keras.__name__}

def model():
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.5))])
    m.compile(optimizer="sgd", loss="mse")
    return m

m = model()
xt, yt = tf.constant(x), tf.constant(y)
p = m(xt)
data = float(tf.reduce_mean(tf.square(yt - p)))
reg = float(tf.add_n(m.losses))
out["reg"] = reg
out["compute_loss_adds"] = float(m.compute_loss(x=xt, y=yt, y_pred=p)) - data
out["compiled_loss_adds"] = float(m.compiled_loss(yt, p)) - data
out["compiled_loss_with_reg_adds"] = float(m.compiled_loss(yt, p, regularization_losses=m.losses)) - data

d = keras.layers.Dense(4, kernel_regularizer=keras.constraints.max_norm(0.1))
d.build((None, 5))
out["constraint_loss_shapes"] = [list(t.shape) for t in d.losses]
fixed = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, kernel_constraint=keras.constraints.max_norm(0.1))])
fixed.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
fixed.fit(x, np.ones((8, 4), "float32"), epochs=1, verbose=0)
out["fixed_losses"] = len(fixed.losses)
out["fixed_max_column_norm"] = float(np.max(np.linalg.norm(fixed.layers[0].kernel.numpy(), axis=0)))

opt = keras.optimizers.AdamW(learning_rate=0.1)
v = tf.Variable(np.ones((3,), "float32"))
opt.apply_gradients([(tf.zeros((3,)), v)])
out["adamw_weight_decay"] = float(opt.weight_decay)
out["adamw_shrinks"] = float(v.numpy()[0]) < 1.0

late = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2), keras.layers.Dense(1)])
late.layers[0].kernel_regularizer = keras.regularizers.L2(0.1)
out["attribute_assignment_losses"] = len(late.losses)
try:
    late.layers[0].kernel.regularizer = keras.regularizers.L2(0.1)
except Exception:
    pass
out["variable_regularizer_losses"] = len(late.losses)
try:
    late.add_loss(lambda: tf.reduce_sum(late.layers[0].kernel))
    out["add_loss_lambda"] = "accepted"
except ValueError:
    out["add_loss_lambda"] = "raises"
print("RESULT " + json.dumps(out))
"""


def _measure(legacy: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    done = subprocess.run([sys.executable, "-c", MEASURE], env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture(scope="module")
def measurements() -> Iterator[dict[str, Future[dict]]]:
    """Both versions measured side by side, each a TensorFlow process of its own (2 when tf-keras is there)."""
    versions = ["3"] + (["2"] if importlib.util.find_spec("tf_keras") is not None else [])
    with ThreadPoolExecutor(max_workers=len(versions)) as pool:
        yield {version: pool.submit(_measure, legacy=version == "2") for version in versions}


@pytest.fixture(scope="module", params=["3", "2"])
def measured(request: pytest.FixtureRequest, measurements: dict[str, Future[dict]]) -> dict:
    if request.param == "2":
        pytest.importorskip("tf_keras")
    return measurements[request.param].result()


def _codes(source: str, version: str, *select: str) -> list[str]:
    return [f.code for f in check_source(textwrap.dedent(source), select=list(select), keras=version)]


TRAIN_STEP = """
import tensorflow as tf
class Custom(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.L2(0.5))
    def call(self, x):
        return self.dense(x)
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = {loss}
        grads = tape.gradient(loss, self.trainable_variables)
        return {{}}
"""


def test_compute_loss_adds_the_penalties_and_rc208_reports_adding_them_again(measured: dict) -> None:
    version = measured["keras"]
    assert measured["compute_loss_adds"] == pytest.approx(measured["reg"], rel=1e-5)  # in both versions
    twice = TRAIN_STEP.format(loss="self.compute_loss(x=x, y=y, y_pred=y_pred) + tf.add_n(self.losses)")
    once = TRAIN_STEP.format(loss="self.compute_loss(x=x, y=y, y_pred=y_pred)")
    assert _codes(twice, version, "RC208", "RC202") == ["RC208"]
    assert _codes(once, version, "RC208", "RC202") == []


def test_compiled_loss_verdicts_follow_what_the_version_adds(measured: dict) -> None:
    version = measured["keras"]
    alone = TRAIN_STEP.format(loss="self.compiled_loss(y, y_pred)")
    plus = TRAIN_STEP.format(loss="self.compiled_loss(y, y_pred) + tf.add_n(self.losses)")
    given = TRAIN_STEP.format(loss="self.compiled_loss(y, y_pred, regularization_losses=self.losses)")
    assert measured["compiled_loss_with_reg_adds"] == pytest.approx(measured["reg"], rel=1e-5)
    assert _codes(given, version, "RC202", "RC208") == []
    if version == "3":
        # The shim adds them without being asked: alone is right, plus counts twice.
        assert measured["compiled_loss_adds"] == pytest.approx(measured["reg"], rel=1e-5)
        assert _codes(alone, version, "RC202", "RC208") == []
        assert _codes(plus, version, "RC202", "RC208") == ["RC208"]
    else:
        assert measured["compiled_loss_adds"] == pytest.approx(0.0, abs=1e-6)
        assert _codes(alone, version, "RC202", "RC208") == ["RC202"]
        assert _codes(plus, version, "RC202", "RC208") == []


def test_constraint_as_regularizer_adds_the_kernel_and_the_fix_constrains(measured: dict) -> None:
    version = measured["keras"]
    assert measured["constraint_loss_shapes"] == [[5, 4]]  # the whole kernel, as a "penalty"
    assert measured["fixed_losses"] == 0
    assert measured["fixed_max_column_norm"] <= 0.1 + 1e-5
    source = (
        "import tensorflow as tf\nd = tf.keras.layers.Dense(4, kernel_regularizer=tf.keras.constraints.max_norm(0.1))\n"
    )
    findings = check_source(source, select=["RC305"], keras=version)
    assert [f.code for f in findings] == ["RC305"]
    assert findings[0].fix is not None and findings[0].fix.edits[0].content == "kernel_constraint"


def test_adamw_decays_by_default_and_rc501_says_so(measured: dict) -> None:
    version = measured["keras"]
    assert measured["adamw_weight_decay"] == pytest.approx(0.004)
    assert measured["adamw_shrinks"] is True
    source = """
    import tensorflow as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.L2(1e-4))])
    model.compile(optimizer=tf.keras.optimizers.AdamW(1e-3), loss="mse")
    """
    findings = check_source(textwrap.dedent(source), select=["RC501"], keras=version)
    assert [(f.code, f.keras) for f in findings] == [("RC501", version)]
    assert f"weight_decay=0.004 in Keras {version}" in findings[0].message


def test_rc104_fix_and_rc105_message_follow_the_version(measured: dict) -> None:
    version = measured["keras"]
    assert measured["attribute_assignment_losses"] == 0  # RC104's finding holds in both
    source = """
    import tensorflow as tf
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Dense):
            layer.kernel_regularizer = tf.keras.regularizers.L2(0.1)
    """
    (finding,) = check_source(textwrap.dedent(source), select=["RC104"], keras=version)
    if version == "3":
        assert measured["variable_regularizer_losses"] == 1  # the fix's line works
        assert finding.fix is not None and finding.fix.edits[0].content == "kernel.regularizer"
    else:
        assert measured["variable_regularizer_losses"] == 0  # tf-keras variables ignore it
        assert finding.fix is None or "kernel.regularizer" not in finding.fix.edits[0].content
    late = """
    import tensorflow as tf
    for layer in model.layers:
        model.add_loss(lambda: tf.reduce_sum(layer.kernel))
    """
    (finding,) = check_source(textwrap.dedent(late), select=["RC105"], keras=version)
    if version == "3":
        assert measured["add_loss_lambda"] == "raises"
        assert "raises in Keras 3" in finding.message and finding.fix is None
    else:
        assert measured["add_loss_lambda"] == "accepted"
        assert "raises" not in finding.message and finding.fix is not None
