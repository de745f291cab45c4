"""The safe wiring fixes make TF1 code train on what it declares: checked by running TensorFlow.

Each scenario's buggy code is fixed by regcheck; the buggy and the fixed code
then build real graphs in one child process (TF1 mode is process-global), each
in a fresh tf.Graph, and report the numbers this test compares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from helpers import codes, fix

pytest.importorskip("tensorflow")
pytest.importorskip("tf_keras")

PRELUDE = """
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
rng = np.random.RandomState(0)
x = tf.constant(rng.rand(16, 4).astype("float32"))
y = tf.constant(rng.rand(16, 1).astype("float32"))
"""

RC201 = """
w = tf.get_variable("w", [4, 1], initializer=tf.ones_initializer(), regularizer=tf.keras.regularizers.l2(0.5))
loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
"""

RC204 = """
w = tf.get_variable("w", [4, 1], initializer=tf.ones_initializer(), regularizer=tf.keras.regularizers.l2(0.5))
v = tf.get_variable("v", [4, 1], initializer=tf.ones_initializer(), regularizer=tf.keras.regularizers.l2(0.5))
data_loss = tf.reduce_mean(tf.square(tf.matmul(x, w + v) - y))
loss = data_loss + tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
"""

RC207 = """
is_training = True
h = tf.layers.batch_normalization(x, training=is_training)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
"""

PROBE = """
with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    data = float(session.run(tf.reduce_mean(tf.square(tf.matmul(x, tf.ones([4, 1])) - y))))
    before = session.run(loss)
    moving = [v for v in tf.global_variables() if "moving_mean" in v.name]
    mean_before = session.run(moving[0]).tolist() if moving else None
    session.run(train_op)
    mean_after = session.run(moving[0]).tolist() if moving else None
result = {"data": data, "loss": np.asarray(before).tolist(), "mean_before": mean_before, "mean_after": mean_after}
"""


RUNNER = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
results = {}
for name, program in json.loads(sys.stdin.read()).items():
    with tf.Graph().as_default():  # one fresh graph per program: one TensorFlow import for all
        namespace = {}
        exec(program, namespace)
    results[name] = namespace["result"]
print(json.dumps(results))
"""


def run_graphs(bodies: dict[str, str]) -> dict[str, dict]:
    programs = {
        name: textwrap.dedent(PRELUDE) + textwrap.dedent(body) + textwrap.dedent(PROBE) for name, body in bodies.items()
    }
    # tf.compat.v1.layers needs the Keras 2 implementation (tf-keras) under TF 2.16+.
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(programs), capture_output=True, text=True, timeout=600, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    bodies = {"RC201": RC201, "RC204": RC204, "RC207": RC207}
    programs = {f"{code}-broken": body for code, body in bodies.items()}
    programs.update({f"{code}-fixed": fixed(body, code) for code, body in bodies.items()})
    return run_graphs(programs)


def fixed(body: str, code: str) -> str:
    source = textwrap.dedent(PRELUDE) + textwrap.dedent(body)
    assert code in codes(source, code)
    after = fix(source, code)
    assert code not in codes(after, code)
    return after[len(textwrap.dedent(PRELUDE)) :]


def test_rc201_fix_adds_the_declared_penalty_to_the_trained_loss(outcomes: dict[str, dict]) -> None:
    assert "tf.losses.get_regularization_loss()" in fixed(RC201, "RC201")
    before, after = outcomes["RC201-broken"], outcomes["RC201-fixed"]
    assert before["loss"] == pytest.approx(before["data"])  # the bug: the penalty is not in the loss
    # l2(0.5) on a ones(4, 1) kernel: 0.5 * 4 = 2.0 on top of the data loss.
    assert after["loss"] == pytest.approx(after["data"] + 2.0, rel=1e-5)


def test_rc204_fix_keeps_the_loss_scalar(outcomes: dict[str, dict]) -> None:
    broken, repaired = outcomes["RC204-broken"], outcomes["RC204-fixed"]
    assert isinstance(broken["loss"], list) and len(broken["loss"]) == 2  # broadcast into a vector
    assert isinstance(repaired["loss"], float)
    data = repaired["loss"] - 4.0  # two kernels, 0.5 * 4 each
    assert broken["loss"] == pytest.approx([data + 2.0, data + 2.0], rel=1e-5)


def test_rc207_fix_updates_the_moving_statistics(outcomes: dict[str, dict]) -> None:
    assert "control_dependencies" in fixed(RC207, "RC207")
    broken, repaired = outcomes["RC207-broken"], outcomes["RC207-fixed"]
    assert broken["mean_before"] == broken["mean_after"]  # the bug: statistics never move
    assert repaired["mean_before"] != repaired["mean_after"]
