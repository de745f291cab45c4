"""A project's copy of a model-zoo network imports contrib's internal modules
(``tensorflow.contrib.layers.python.layers.layers``, ``...framework.python.ops.arg_scope``,
``tensorflow.python.framework.ops``): they are the public slim and TF names, and the penalties and
batch norm updates of the network are seen as if it used them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, write_project

ZOO = """
    from tensorflow.contrib.framework.python.ops import arg_scope
    from tensorflow.contrib.layers.python.layers import layers as layers_lib
    from tensorflow.contrib.layers.python.layers import regularizers
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import nn_ops

    def net(inputs, num_classes=10, is_training=True):
        h = layers_lib.conv2d(inputs, 32, [3, 3])
        h = layers_lib.flatten(h)
        return layers_lib.fully_connected(h, num_classes, activation_fn=None)

    def net_arg_scope(weight_decay=4e-5):
        params = {"decay": 0.997, "updates_collections": ops.GraphKeys.UPDATE_OPS}
        with arg_scope([layers_lib.conv2d, layers_lib.fully_connected],
                       weights_regularizer=regularizers.l2_regularizer(weight_decay)):
            with arg_scope([layers_lib.conv2d], activation_fn=nn_ops.relu,
                           normalizer_fn=layers_lib.batch_norm, normalizer_params=params) as sc:
                return sc
"""

TRAIN = """
    import tensorflow.compat.v1 as tf
    from tensorflow.contrib.framework.python.ops import arg_scope
    import zoo

    def model_fn(features, labels, mode, params):
        with arg_scope(zoo.net_arg_scope()):
            logits = zoo.net(features, is_training=True)
        tf.losses.sparse_softmax_cross_entropy(labels, logits)
        loss = {loss}
        {train}
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
"""
MINIMIZE = "train_op = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)"
WIRED = "with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n            " + MINIMIZE


def _codes(root: Path) -> list[str]:
    status, out, err = run_cli(
        str(root), "--select", "RC201,RC207", "--output-format", "json", "--no-cache", "--exit-zero"
    )
    assert status == 0, err
    return sorted(f["code"] for f in json.loads(out)["findings"])


@pytest.mark.parametrize(
    ("loss", "train", "expected"),
    [
        ("tf.losses.get_total_loss()", WIRED, []),
        ("tf.losses.get_total_loss(add_regularization_losses=False)", WIRED, ["RC201"]),
        ("tf.losses.get_total_loss()", MINIMIZE, ["RC207"]),
    ],
)
def test_a_network_copied_with_contribs_internal_imports(
    tmp_path: Path, loss: str, train: str, expected: list[str]
) -> None:
    root = write_project(tmp_path, {"zoo.py": ZOO, "train.py": TRAIN.format(loss=loss, train=train)})
    assert _codes(root) == expected
