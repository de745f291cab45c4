"""RC207 for every way TF1 code builds batch normalization: the function, the ``tf.layers`` class,
a project subclass of it (a TPU batch norm), slim's; in the training script or in the module that
builds the network. Training mode puts the moving-average updates in UPDATE_OPS; inference mode
(``training=False``, or the class's default) puts none."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from helpers import run_cli

SUBCLASS = """
class TpuBatchNormalization(tf.layers.BatchNormalization):
    def __init__(self, fused=False, **kwargs):
        super(TpuBatchNormalization, self).__init__(fused=fused, **kwargs)
"""
FORMS = {
    "function": ("", "tf.layers.batch_normalization(h, training={training})"),
    "class": ("", "tf.layers.BatchNormalization(axis=-1)(h, training={training})"),
    "subclass": (SUBCLASS, "TpuBatchNormalization(axis=-1)(h, training={training})"),
}
TRAIN = "train_op = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)"
TRAIN_WITH_UPDATES = "with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n    " + TRAIN


def _net(form: str, training: str) -> str:
    helpers, call = FORMS[form]
    return (
        "import tensorflow.compat.v1 as tf\n"
        + helpers
        + "\ndef net(x, is_training):\n"
        + "    h = tf.layers.conv2d(x, 16, 3)\n"
        + f"    h = {call.format(training=training)}\n"
        + "    return tf.layers.dense(tf.layers.flatten(h), 10)\n"
    )


def _findings(root: Path) -> list[tuple[str, int]]:
    status, out, err = run_cli(str(root), "--select", "RC207", "--output-format", "json", "--no-cache", "--exit-zero")
    assert status == 0, err
    return sorted((Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"])


def _project(root: Path, form: str, training: str, train: str, split: bool) -> Path:
    script = (
        "x = tf.placeholder(tf.float32, [None, 32, 32, 3])\n"
        "y = tf.placeholder(tf.int64, [None])\n"
        "loss = tf.losses.sparse_softmax_cross_entropy(y, net(x, True))\n" + train + "\n"
    )
    if split:
        (root / "nets.py").write_text(_net(form, training))
        (root / "train.py").write_text("import tensorflow.compat.v1 as tf\nfrom nets import net\n" + script)
    else:
        (root / "train.py").write_text(_net(form, training) + script)
    return root


@pytest.mark.parametrize("split", [False, True], ids=["one-module", "two-modules"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_training_mode_without_update_ops_is_reported_at_the_train_op(tmp_path: Path, form: str, split: bool) -> None:
    root = _project(tmp_path, form, "is_training", TRAIN, split)
    found = _findings(root)
    assert len(found) == 1 and found[0][0] == "train.py", found
    text = (root / "train.py").read_text()
    assert text.splitlines()[found[0][1] - 1].startswith("train_op = ")


@pytest.mark.parametrize("split", [False, True], ids=["one-module", "two-modules"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_update_ops_run_is_quiet(tmp_path: Path, form: str, split: bool) -> None:
    assert _findings(_project(tmp_path, form, "is_training", TRAIN_WITH_UPDATES, split)) == []


@pytest.mark.parametrize("form", sorted(FORMS))
def test_inference_mode_puts_no_updates(tmp_path: Path, form: str) -> None:
    assert _findings(_project(tmp_path, form, "False", TRAIN, split=False)) == []


def test_slim_batch_norm_as_a_normalizer() -> None:
    source = textwrap.dedent(
        """
        import tensorflow.compat.v1 as tf
        import tf_slim as slim
        x = tf.placeholder(tf.float32, [None, 32, 32, 3])
        y = tf.placeholder(tf.int64, [None])
        net = slim.conv2d(x, 16, [3, 3], normalizer_fn=slim.batch_norm, normalizer_params={"is_training": True})
        logits = slim.fully_connected(slim.flatten(net), 5, activation_fn=None)
        tf.losses.sparse_softmax_cross_entropy(y, logits)
        train = tf.train.RMSPropOptimizer(1e-4).minimize(tf.losses.get_total_loss())
        """
    )
    from helpers import codes

    assert codes(source, "RC207") == ["RC207"]


@pytest.mark.parametrize(
    "session",
    [
        "with tf.Session() as sess:\n    for xb in batches:\n        sess.run([train_op, update_ops], feed_dict={{x: xb}})\n",
        "sess = tf.Session()\nfor xb in batches:\n    sess.run([train_op, update_ops])\n",
        "with tf.Session() as sess:\n    for xb in batches:\n        sess.run(train_op)\n        sess.run(update_ops)\n",
    ],
    ids=["same-run", "session-object", "own-run"],
)
def test_update_ops_run_by_the_session(tmp_path: Path, session: str) -> None:
    train = (
        TRAIN
        + "\nupdate_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)\n"
        + session.replace("{{", "{").replace("}}", "}")
    )
    assert _findings(_project(tmp_path, "function", "is_training", train, split=False)) == []


@pytest.mark.parametrize("layer", ["slim.fully_connected", "slim.conv2d"])
@pytest.mark.parametrize(("updates", "expected"), [("None", []), ("tf.GraphKeys.UPDATE_OPS", ["RC207"])])
def test_normalizer_params_given_by_an_arg_scope(layer: str, updates: str, expected: list[str]) -> None:
    from helpers import codes

    source = f"""
import tensorflow.compat.v1 as tf
import tf_slim as slim
x = tf.placeholder(tf.float32, [None, 8, 8, 4])
params = {{"is_training": True, "decay": 0.9, "updates_collections": {updates}}}
with slim.arg_scope([{layer}], normalizer_fn=slim.batch_norm, normalizer_params=params):
    h = {layer}(x, 8)
loss = tf.reduce_mean(h)
train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
"""
    assert codes(source, "RC207") == expected
