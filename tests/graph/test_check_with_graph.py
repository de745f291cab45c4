"""`regcheck check --graph ENTRY`: the graph confirms or refutes static findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")

# The static path sees only `penalized = [w_out]` (it does not read code run by `exec`); the graph
# sees the appended hidden kernel in the penalty too, so RC101 on w_hidden is refuted. The bias
# penalty (RC102 on b_out) is real, and the graph confirms it.
SCRIPT = textwrap.dedent(
    """\
    import numpy as np
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.float32, [None, 2])
    w_hidden = tf.Variable(tf.random_normal([4, 8]), name="w_hidden")
    w_out = tf.Variable(tf.random_normal([8, 2]), name="w_out")
    b_out = tf.Variable(tf.zeros([2]), name="b_out")
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w_hidden)), w_out) + b_out
    penalized = [w_out]
    exec("penalized.append(w_hidden)")
    reg = tf.add_n([tf.nn.l2_loss(w) for w in penalized])
    loss = tf.reduce_mean(tf.square(logits - y)) + 1e-3 * reg + 1e-3 * tf.nn.l2_loss(b_out)
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    """
)


def test_graph_refutes_and_confirms(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    static = subprocess.run(
        [sys.executable, "-m", "regcheck", "train.py", "--output-format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    static_codes = {(f["code"], f["symbol"]) for f in json.loads(static.stdout)["findings"]}
    assert ("RC101", "w_hidden") in static_codes  # what the static path alone believes

    merged = subprocess.run(
        [sys.executable, "-m", "regcheck", "train.py", "--graph", "train.py", "--output-format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert merged.returncode == 1, merged.stderr[-2000:]
    report = json.loads(merged.stdout)
    kept = {(f["code"], f["symbol"]): f for f in report["findings"]}
    assert ("RC101", "w_hidden") not in kept
    refuted = report["summary"]["refuted"]
    assert [(r["code"], r["symbol"]) for r in refuted] == [("RC101", "w_hidden")]
    assert "w_hidden" in refuted[0]["reason"]
    assert kept[("RC102", "b_out")]["confirmed"] is True
