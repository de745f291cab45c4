"""Branches on one flag are taken together: code that builds batch norm under ``if params.use_bn:``
and wires UPDATE_OPS under the same test never trains the unwired branch with batch norm in it, in
one function or across modules. A different flag, or no test, leaves the unwired branch reachable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, write_project

BUILD = """
    import tensorflow.compat.v1 as tf

    def build(x, params, training):
        h = tf.layers.dense(x, 16)
        if {built}:
            h = tf.layers.batch_normalization(h, training=training)
        return tf.layers.dense(h, 1)
"""

TRAIN = """
    import tensorflow.compat.v1 as tf
    from model import build

    def model_fn(features, labels, mode, params):
        loss = tf.reduce_mean(tf.square(build(features, params, True) - labels))
        optimizer = tf.train.AdamOptimizer()
        if {wired}:
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                train_op = optimizer.minimize(loss)
        else:
            train_op = optimizer.minimize(loss)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
"""


def _rc207(root: Path) -> list[tuple[str, int]]:
    status, out, err = run_cli(str(root), "--select", "RC207", "--output-format", "json", "--no-cache", "--exit-zero")
    assert status == 0, err
    return sorted((Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"])


@pytest.mark.parametrize(
    ("built", "wired"),
    [
        ("params.use_bn", "params.use_bn"),
        ("not params.plain", "not params.plain"),
        ("params.model.batch_norm", "params.model.batch_norm"),
    ],
)
def test_batch_norm_and_its_wiring_under_one_flag_across_modules(tmp_path: Path, built: str, wired: str) -> None:
    root = write_project(tmp_path, {"model.py": BUILD.format(built=built), "train.py": TRAIN.format(wired=wired)})
    assert _rc207(root) == []


@pytest.mark.parametrize("wired", ["params.fast", "not params.use_bn"])
def test_an_unwired_branch_that_the_flag_does_not_rule_out_is_reported(tmp_path: Path, wired: str) -> None:
    root = write_project(
        tmp_path, {"model.py": BUILD.format(built="params.use_bn"), "train.py": TRAIN.format(wired=wired)}
    )
    found = _rc207(root)
    assert len(found) == 1 and found[0][0] == "train.py"


def test_one_function_nested_flags_take_one_branch(tmp_path: Path) -> None:
    program = """
        import tensorflow.compat.v1 as tf

        def train(x, y, use_bn):
            h = tf.layers.dense(x, 16)
            if use_bn:
                h = tf.layers.batch_normalization(h, training=True)
            loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
            if not use_bn:
                return tf.train.AdamOptimizer().minimize(loss)
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                return tf.train.AdamOptimizer().minimize(loss)
    """
    assert _rc207(write_project(tmp_path, {"train.py": program})) == []
