"""The graph path checks RC208, RC305 and RC501 for real, under Keras 3 and under tf-keras
(TF_USE_LEGACY_KERAS=1): each scenario is built and run to its first training step by the
trace runner (all scenarios of one Keras version in one process), and the graph's verdict
must agree with the static one for the same code and Keras version."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from graph_background import JOBS, SCRATCH, background, has_tf_keras, start_all

from regcheck import check_source
from regcheck.graph.trace import trace_many

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")

CODES = ("RC202", "RC208", "RC305", "RC501")

HEAD = """\
import numpy as np
import tensorflow as tf
x = np.ones((8, 5), "float32")
y = np.ones((8, 1), "float32")
L2 = tf.keras.regularizers.L2(1e-4)
"""
TRAIN_STEP = (
    HEAD
    + """\
class Custom(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(1, kernel_regularizer=L2)
    def call(self, x):
        return self.dense(x)
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = {loss}
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {{}}
model = Custom()
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
"""
)
LOOP = (
    HEAD
    + """\
model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(4, kernel_regularizer={regularizer})])
mse = tf.keras.losses.MeanSquaredError()
with tf.GradientTape() as tape:
    loss = mse(np.ones((8, 4), "float32"), model(x, training=True)) + tf.add_n(model.losses)
grads = tape.gradient(loss, model.trainable_variables)
"""
)
FIT = (
    HEAD
    + """\
model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(10, kernel_regularizer=L2)])
model.compile(optimizer=tf.keras.optimizers.{optimizer}(1e-3), loss="mse")
model.fit(x, np.ones((8, 10), "float32"), epochs=1, verbose=0)
"""
)

# name -> (script, {keras version: the codes both paths must report})
SCENARIOS = {
    "compute_loss_twice": (
        TRAIN_STEP.format(loss="self.compute_loss(x=x, y=y, y_pred=y_pred) + tf.add_n(self.losses)"),
        {"3": {"RC208"}, "2": {"RC208"}},
    ),
    "compute_loss_once": (
        TRAIN_STEP.format(loss="self.compute_loss(x=x, y=y, y_pred=y_pred)"),
        {"3": set(), "2": set()},
    ),
    # Keras 3's compiled_loss adds model.losses itself (TF backend); tf-keras's does not.
    "compiled_loss_plus_losses": (
        TRAIN_STEP.format(loss="self.compiled_loss(y, y_pred) + tf.add_n(self.losses)"),
        {"3": {"RC208"}, "2": set()},
    ),
    "constraint_as_regularizer": (
        LOOP.format(regularizer="tf.keras.constraints.max_norm(0.1)"),
        {"3": {"RC305"}, "2": {"RC305"}},
    ),
    "l2_regularizer": (LOOP.format(regularizer="L2"), {"3": set(), "2": set()}),
    # AdamW decays by default (weight_decay=0.004) in both.
    "adamw_default_decay_and_l2": (FIT.format(optimizer="AdamW"), {"3": {"RC501"}, "2": {"RC501"}}),
    "adam_and_l2": (FIT.format(optimizer="Adam"), {"3": set(), "2": set()}),
}


def _trace_all(folder: Path, legacy: bool) -> dict[str, object]:
    entries = []
    for name, (script, _) in SCENARIOS.items():
        (folder / f"{name}.py").write_text(script)
        entries.append(f"{name}.py")
    results = trace_many(entries, keras="2" if legacy else "3", cwd=str(folder), timeout=300)
    return dict(zip(SCENARIOS, results))


# Both versions' traces start in the background at collection (graph_background.py).
JOBS["traced"] = {"semantics-3": lambda: _trace_all(Path(tempfile.mkdtemp(dir=SCRATCH)), legacy=False)}
if has_tf_keras():
    JOBS["traced"]["semantics-2"] = lambda: _trace_all(Path(tempfile.mkdtemp(dir=SCRATCH)), legacy=True)


@pytest.fixture(scope="module", params=["3", "2"])
def traced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    if request.param == "2":
        pytest.importorskip("tf_keras")
    start_all("traced")
    legacy = request.param == "2"
    work = lambda: _trace_all(tmp_path_factory.mktemp(f"keras{request.param}"), legacy=legacy)  # noqa: E731
    return request.param, background(f"semantics-{request.param}", work).result()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_graph_and_static_verdicts_agree(traced: tuple[str, dict], name: str) -> None:
    version, results = traced
    script, expected = SCENARIOS[name]
    result = results[name]
    assert result.error is None, result.error
    graph = {f.code for f in result.findings if f.code in CODES}
    static = {f.code for f in check_source(script, path=f"{name}.py", select=list(CODES), keras=version)}
    assert graph == expected[version], [f.message for f in result.findings]
    assert static == expected[version]
    assert all(f.source == "graph" and f.path == f"{name}.py" for f in result.findings)
