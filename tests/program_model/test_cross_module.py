"""The program model follows a training step across modules and across notebook cells.

TF1 code registers its regularizers in one module, builds batch norm in another and minimizes in a
third (issue 17, cause 4). Each program here is written for one pattern, with every module split that
shows it; the finding must be where the loss is trained, and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, write_project

MODEL = """
    import tensorflow.compat.v1 as tf

    def inference(x):
        with tf.variable_scope("hidden"):
            w1 = tf.get_variable("w", [784, 128], regularizer=tf.keras.regularizers.l2(1e-4))
            h = tf.nn.relu(tf.matmul(x, w1))
        with tf.variable_scope("out"):
            w2 = tf.get_variable("w", [128, 10], regularizer=tf.keras.regularizers.l2(1e-4))
            return tf.matmul(h, w2)
"""

BATCH_NORM_MODEL = """
    import tensorflow.compat.v1 as tf

    def inference(x, training):
        h = tf.layers.dense(x, 64)
        h = tf.layers.batch_normalization(h, training=training)
        return tf.layers.dense(h, 10)
"""

# The loss reads the collection (or not) in train.py; the helper that minimizes lives in utils.py.
TRAIN_OPTIMIZE = """
    import tensorflow.compat.v1 as tf

    def optimize(loss):
        return tf.train.AdamOptimizer(1e-3).minimize(loss)
"""


def _findings(root: Path, code: str) -> list[tuple[str, int]]:
    """The rule's findings, the same whether it is selected alone or runs with every rule (the files a
    selected rule needs parsed may hold none of its words)."""
    found = []
    for select in (["--select", code], []):
        status, out, err = run_cli(str(root), *select, "--output-format", "json", "--no-cache", "--exit-zero")
        assert status == 0, err
        found.append(
            sorted((Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"] if f["code"] == code)
        )
    assert found[0] == found[1], f"alone: {found[0]}, with every rule: {found[1]}"
    return found[0]


@pytest.mark.parametrize("style", ["module_level", "main", "guard"])
def test_collection_filled_in_one_module_and_unread_where_the_loss_is_minimized(tmp_path: Path, style: str) -> None:
    body = {
        "module_level": "logits = model.inference(x)\nloss = tf.reduce_mean(logits)\ntrain_op = tf.train.AdamOptimizer().minimize(loss)\n",
        "main": "def main():\n    logits = model.inference(x)\n    loss = tf.reduce_mean(logits)\n    train_op = tf.train.AdamOptimizer().minimize(loss)\nmain()\n",
        "guard": "if __name__ == '__main__':\n    logits = model.inference(x)\n    loss = tf.reduce_mean(logits)\n    train_op = tf.train.AdamOptimizer().minimize(loss)\n",
    }[style]
    train = "import tensorflow.compat.v1 as tf\nimport model\nx = tf.placeholder(tf.float32, [None, 784])\n" + body
    root = write_project(tmp_path, {"model.py": MODEL, "train.py": train})
    found = _findings(root, "RC201")
    assert len(found) == 1 and found[0][0] == "train.py"
    reads = train.replace("tf.reduce_mean(logits)", "tf.reduce_mean(logits) + tf.losses.get_regularization_loss()")
    assert _findings(write_project(tmp_path / "read", {"model.py": MODEL, "train.py": reads}), "RC201") == []


def test_minimized_by_a_helper_of_another_module_is_reported_at_the_call_that_hands_it_the_loss(tmp_path: Path) -> None:
    train = """
        import tensorflow.compat.v1 as tf
        import model
        from utils import optimize
        x = tf.placeholder(tf.float32, [None, 784])
        loss = tf.reduce_mean(model.inference(x))
        train_op = optimize(loss)
    """
    root = write_project(tmp_path, {"model.py": MODEL, "utils.py": TRAIN_OPTIMIZE, "train.py": train})
    assert _findings(root, "RC201") == [("train.py", 7)]


def test_batch_norm_built_in_another_module_needs_update_ops_where_the_train_op_is(tmp_path: Path) -> None:
    train = """
        import tensorflow.compat.v1 as tf
        from resnet_model import inference
        x = tf.placeholder(tf.float32, [None, 784])
        loss = tf.reduce_mean(inference(x, training=True))
        train_op = tf.train.AdamOptimizer().minimize(loss)
    """
    root = write_project(tmp_path, {"resnet_model.py": BATCH_NORM_MODEL, "train.py": train})
    assert _findings(root, "RC207") == [("train.py", 6)]
    fixed = train.replace(
        "train_op = tf.train.AdamOptimizer().minimize(loss)",
        "with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n"
        "            train_op = tf.train.AdamOptimizer().minimize(loss)",
    )
    assert (
        _findings(write_project(tmp_path / "fixed", {"resnet_model.py": BATCH_NORM_MODEL, "train.py": fixed}), "RC207")
        == []
    )


def test_update_ops_run_by_one_train_op_do_not_cover_another(tmp_path: Path) -> None:
    """A GAN: the discriminator's train op runs UPDATE_OPS, the generator's (whose batch norm it is) does not."""
    source = """
        import tensorflow.compat.v1 as tf
        z = tf.placeholder(tf.float32, [None, 100])
        with tf.variable_scope("generator"):
            g = tf.layers.dense(z, 784)
            g = tf.layers.batch_normalization(g, training=True)
        with tf.variable_scope("discriminator"):
            d = tf.layers.dense(g, 1)
        g_vars = tf.trainable_variables("generator")
        d_vars = tf.trainable_variables("discriminator")
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            d_train = tf.train.AdamOptimizer().minimize(tf.reduce_mean(d), var_list=d_vars)
        g_train = tf.train.AdamOptimizer().minimize(-tf.reduce_mean(d), var_list=g_vars)
    """
    root = write_project(tmp_path, {"gan.py": source})
    assert _findings(root, "RC207") == [("gan.py", 13)]


def test_notebook_cells_are_run_in_order_and_each_graph_judged_alone(tmp_path: Path) -> None:
    import nbformat

    cells = [
        "import tensorflow.compat.v1 as tf\ndef reset_graph():\n    tf.reset_default_graph()",
        "reset_graph()\nw1 = tf.get_variable('w1', [784, 10])\nloss = data_loss + 0.01 * tf.nn.l2_loss(w1)",
        "reset_graph()\nw2 = tf.get_variable('w2', [784, 256])\nw3 = tf.get_variable('w3', [256, 10])\n"
        "loss = data_loss + 0.01 * tf.nn.l2_loss(w3)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    (tmp_path / "nb.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
    status, out, err = run_cli(
        str(tmp_path), "--select", "RC101", "--output-format", "json", "--no-cache", "--exit-zero"
    )
    assert status == 0, err
    found = [(f["cell"], f["line"]) for f in json.loads(out)["findings"]]
    assert found == [(3, 2)]  # w2, in the third cell's graph; the second cell's graph is consistent


# A Keras layer helper whose bias regularizer is off unless a caller asks for one.
LAYER_HELPER = """
    import tensorflow as tf

    def dense(units, wd=None, bias_wd=None):
        kernel = tf.keras.regularizers.L2(wd) if wd is not None else None
        bias = tf.keras.regularizers.L2(bias_wd) if bias_wd is not None else None
        return tf.keras.layers.Dense(units, kernel_regularizer=kernel, bias_regularizer=bias)
"""

STEP = """
    import tensorflow as tf

    @tf.function
    def step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y)) + tf.add_n(model.losses)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""


@pytest.mark.parametrize("call", ["direct", "unpacked", "indexed"])
def test_bias_regularizer_asked_for_by_the_model_module_is_reported_there_only(tmp_path: Path, call: str) -> None:
    """ops.py makes the layer, model.py asks for the bias penalty, train.py only calls build_model():
    one finding, at model.py's call, however train.py receives the model."""
    model = """
        import tensorflow as tf
        from ops import dense

        def build_model():
            model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), dense(8, wd=1e-3), dense(2, wd=1e-3, bias_wd=2e-3)])
            return [model, tf.keras.optimizers.SGD(0.01)]
    """
    receive = {
        "direct": "model = build_model()[0]\n    optimizer = build_model()[1]",
        "unpacked": "model, optimizer = build_model()",
        "indexed": "built = build_model()\n    model, optimizer = built[0], built[1]",
    }[call]
    train = f"""
        import tensorflow as tf
        from model import build_model
        from steps import step

        def main():
            {receive}
            step(model, optimizer, tf.zeros([2, 4]), tf.zeros([2, 2]))

        main()
    """
    root = write_project(tmp_path, {"ops.py": LAYER_HELPER, "model.py": model, "steps.py": STEP, "train.py": train})
    assert _findings(root, "RC102") == [("model.py", 6)]


def test_bias_regularizer_asked_for_by_the_training_script_is_reported_at_its_call(tmp_path: Path) -> None:
    """model.py passes its own argument on (off by default); train.py turns it on: train.py's call."""
    model = """
        import tensorflow as tf
        from ops import dense

        def build_model(bias_wd=None):
            return tf.keras.Sequential([tf.keras.Input(shape=(4,)), dense(8, wd=1e-3), dense(2, wd=1e-3, bias_wd=bias_wd)])
    """
    train = """
        import tensorflow as tf
        from model import build_model
        from steps import step

        model = build_model(bias_wd=2e-3)
        step(model, tf.keras.optimizers.SGD(0.01), tf.zeros([2, 4]), tf.zeros([2, 2]))
    """
    root = write_project(tmp_path, {"ops.py": LAYER_HELPER, "model.py": model, "steps.py": STEP, "train.py": train})
    assert _findings(root, "RC102") == [("train.py", 6)]


# An estimator head shared by several model functions: it adds REGULARIZATION_LOSSES and minimizes.
HEAD = """
    import tensorflow as tf

    def train_op_fn(optimizer):
        def minimize(loss):
            return optimizer.minimize(loss, global_step=tf.compat.v1.train.get_global_step())
        return minimize

    def head(logits, labels, mode, make_train_op):
        loss = tf.compat.v1.losses.sigmoid_cross_entropy(labels, logits)
        total = loss + tf.compat.v1.losses.get_regularization_loss()
        return tf.estimator.EstimatorSpec(mode, loss=total, train_op=make_train_op(total))
"""


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.l2(1e-5))", [("model.py", 8)]),
        ("tf.compat.v1.layers.dense(features, 1, kernel_regularizer=tf.keras.regularizers.l2(1e-5))", []),
    ],
)
def test_keras_penalties_handed_to_a_head_that_reads_the_collection(tmp_path: Path, layer: str, expected: list) -> None:
    """Keras layers' penalties never enter REGULARIZATION_LOSSES (tf.layers' do): the model function
    that hands them to the shared head is where the mistake is; the head itself is reported nowhere."""
    call = f"{layer}(features)" if layer.startswith("tf.keras") else layer
    model = f"""
        import tensorflow as tf
        from heads import head, train_op_fn

        def model_fn(features, labels, mode):
            logits = {call}
            optimizer = tf.compat.v1.train.AdamOptimizer()
            return head(logits, labels, mode, train_op_fn(optimizer))
    """
    root = write_project(tmp_path, {"heads.py": HEAD, "model.py": model})
    assert _findings(root, "RC209") == expected


SCOPED_NET = """
    import tensorflow as tf
    slim = tf.contrib.slim

    def net_arg_scope(weight_decay=4e-5):
        with slim.arg_scope([slim.conv2d, slim.fully_connected],
                            weights_regularizer=slim.l2_regularizer(weight_decay),
                            biases_regularizer=slim.l2_regularizer(weight_decay)) as sc:
            return sc

    def net(images, num_classes=5, is_training=True):
        x = tf.reduce_mean(slim.conv2d(images, 16, [3, 3]), [1, 2])
        return slim.fully_connected(x, num_classes, activation_fn=None)
"""


@pytest.mark.parametrize("script", ["eval", "train"])
def test_an_arg_scope_functions_bias_regularizer_is_reported_where_it_is_written(tmp_path: Path, script: str) -> None:
    """The model module's arg_scope function penalizes biases: one finding, there, whatever script
    enters the scope (an evaluation script, or the training script)."""
    tail = {
        "eval": "predictions = tf.argmax(logits, 1)",
        "train": "loss = tf.losses.get_total_loss()\ntrain_op = tf.train.AdamOptimizer().minimize(loss)",
    }[script]
    body = (
        "import tensorflow as tf\nfrom net import net, net_arg_scope\nslim = tf.contrib.slim\n"
        "images = tf.placeholder(tf.float32, [None, 32, 32, 3])\n"
        "with slim.arg_scope(net_arg_scope()):\n    logits = net(images, is_training=False)\n" + tail + "\n"
    )
    root = write_project(tmp_path, {"net.py": SCOPED_NET, f"{script}.py": body})
    assert _findings(root, "RC102") == [("net.py", 8)]
