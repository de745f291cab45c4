"""The mutation benchmark's transformers (benchmarks/mutants/kinds.py) on small programs of our own:
each kind finds its site, makes exactly the intended change, and the result still parses."""

from __future__ import annotations

import ast
import json
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from mutants import syntax
from mutants.imports import Project
from mutants.kinds import FINDERS, Context, Site
from mutants.source import Source, load, same_shape


def sites(kind: str, text: str, path: str = "model.py", others: dict[str, str] | None = None) -> list[Site]:
    source = Source(path, textwrap.dedent(text))
    texts = {path: source.text, **(others or {})}
    ctx = Context("owner__toy", source, syntax.Tree(source.text), Project(texts))
    FINDERS[kind](ctx)
    found = ctx.found
    for site in found:
        site.features["_tree"] = ctx.tree  # kept for mutate()
    return found


def mutate(site: Site) -> str:
    tree = site.features["_tree"]
    new = syntax.apply(tree.module, site.rewrites).code
    ast.parse(new)
    return new


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """(lines only in old, lines only in new), in order."""
    import difflib

    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


SEQUENTIAL = """\
import tensorflow as tf
from tensorflow.keras import layers, regularizers

model = tf.keras.Sequential([
    layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dense(32, activation="relu",
                 kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
])
model.compile(optimizer="sgd", loss="mse")
"""


def test_drop_layer_regularizer_removes_one_keyword_and_knows_the_output_layer() -> None:
    found = sites("drop-layer-regularizer", SEQUENTIAL)
    assert [(s.line, s.expected[0]) for s in found] == [(5, "RC101"), (6, "RC101"), (8, "RC106")]
    removed, added = changed_lines(SEQUENTIAL, mutate(found[0]))
    assert added == ['    layers.Dense(64, activation="relu"),']
    removed, added = changed_lines(SEQUENTIAL, mutate(found[1]))
    assert removed == [
        '    layers.Dense(32, activation="relu",',
        "                 kernel_regularizer=regularizers.l2(1e-4)),",
    ]
    assert added == ['    layers.Dense(32, activation="relu"),']
    assert changed_lines(SEQUENTIAL, mutate(found[2]))[1] == ["    layers.Dense(10),"]


def test_drop_layer_regularizer_needs_another_regularized_layer_in_the_model() -> None:
    text = """\
    import tensorflow as tf
    a = tf.keras.Sequential([tf.keras.layers.Dense(4, kernel_regularizer="l2"), tf.keras.layers.Dense(1)])
    b = tf.keras.Sequential([tf.keras.layers.Dense(4, kernel_regularizer="l2"), tf.keras.layers.Dense(1)])
    """
    assert sites("drop-layer-regularizer", text) == []


def test_layer_sites_skip_zero_coefficients_and_layers_outside_any_model() -> None:
    text = """\
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    wd = 0.0
    zero = tf.keras.Sequential([
        layers.Dense(8, kernel_regularizer=regularizers.l2(wd)),
        layers.Dense(1, kernel_regularizer=regularizers.l2(wd)),
    ])
    demo_conv = layers.Conv2D(16, 3, kernel_regularizer=regularizers.l2(0.001))
    demo_dense = layers.Dense(16, kernel_regularizer=regularizers.l2(0.001))
    """
    assert sites("drop-layer-regularizer", text) == []
    assert sites("add-bias-penalty", text) == []


def test_a_layers_module_bound_by_assignment_is_recorded() -> None:
    text = """\
    import tensorflow as tf

    layers = tf.keras.layers

    def build(inputs):
        x = layers.Dense(8, kernel_regularizer="l2")(inputs)
        return tf.keras.Model(inputs, layers.Dense(1, kernel_regularizer="l2")(x))
    """
    assert [s.features.get("callee_alias") for s in sites("drop-layer-regularizer", text)] == ["layers", "layers"]


def test_the_output_layer_is_found_when_the_name_is_rebound() -> None:
    text = """\
    from tensorflow.keras import layers, models

    def build(inputs):
        x = layers.Dense(64, kernel_regularizer="l2")(inputs)
        x = layers.Dense(10, kernel_regularizer="l2")(x)
        x = layers.Activation("softmax")(x)
        return models.Model(inputs, x)
    """
    assert [s.expected[0] for s in sites("drop-layer-regularizer", text)] == ["RC101", "RC106"]


def test_drop_layer_regularizer_functional_output_and_partial_override() -> None:
    text = """\
    from functools import partial
    import tensorflow as tf
    from tensorflow.keras import layers

    Reg = partial(layers.Dense, activation="relu", kernel_regularizer=tf.keras.regularizers.l2(0.01))

    def build(inputs):
        h = Reg(64)(inputs)
        h = Reg(64)(h)
        outputs = Reg(1, activation=None)(h)
        return tf.keras.Model(inputs, outputs)
    """
    found = sites("drop-layer-regularizer", text)
    assert [(s.line, s.variant, s.expected[0]) for s in found] == [
        (8, "partial override", "RC101"),
        (9, "partial override", "RC101"),
        (10, "partial override", "RC106"),
    ]
    assert changed_lines(textwrap.dedent(text), mutate(found[1]))[1] == ["    h = Reg(64, kernel_regularizer=None)(h)"]


TF1_PENALTY = """\
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.float32, [None, 10])
w1 = tf.Variable(tf.truncated_normal([784, 256]))
b1 = tf.Variable(tf.zeros([256]))
w2 = tf.Variable(tf.truncated_normal([256, 10]))
b2 = tf.Variable(tf.zeros([10]))
hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
logits = tf.matmul(hidden, w2) + b2
beta = 0.01
ce = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
loss = ce + beta * (tf.nn.l2_loss(w1) + tf.nn.l2_loss(w2))
train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
"""


def test_drop_penalty_term_drops_one_weight_and_points_at_its_definition() -> None:
    found = sites("drop-penalty-term", TF1_PENALTY)
    assert [s.features["weight"] for s in found] == ["w1", "w2"]
    assert (5, 5) in found[0].anchors  # w1 = tf.Variable(...)
    assert changed_lines(TF1_PENALTY, mutate(found[0]))[1] == ["loss = ce + beta * (tf.nn.l2_loss(w2))"]
    assert changed_lines(TF1_PENALTY, mutate(found[1]))[1] == ["loss = ce + beta * (tf.nn.l2_loss(w1))"]


def test_drop_penalty_term_from_a_hand_kept_list() -> None:
    text = TF1_PENALTY.replace(
        "loss = ce + beta * (tf.nn.l2_loss(w1) + tf.nn.l2_loss(w2))",
        "weights = [w1, w2]\nloss = ce + beta * tf.add_n([tf.nn.l2_loss(v) for v in weights])",
    )
    found = sites("drop-penalty-term", text)
    assert [s.variant for s in found] == ["hand-kept list", "hand-kept list"]
    assert changed_lines(text, mutate(found[1]))[1] == ["weights = [w1]"]


def test_add_bias_penalty_to_a_layer_and_to_a_penalty_sum() -> None:
    found = sites("add-bias-penalty", SEQUENTIAL)
    assert len(found) == 3
    assert changed_lines(SEQUENTIAL, mutate(found[1]))[1] == [
        "                 kernel_regularizer=regularizers.l2(1e-4),",
        "                 bias_regularizer=regularizers.l2(1e-4)),",
    ]
    assert changed_lines(SEQUENTIAL, mutate(found[2]))[1] == [
        "    layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4)),"
    ]
    [term] = sites("add-bias-penalty", TF1_PENALTY)
    assert term.features["bias"] == "b1"
    assert changed_lines(TF1_PENALTY, mutate(term))[1] == [
        "loss = ce + beta * (tf.nn.l2_loss(w1) + tf.nn.l2_loss(w2) + tf.nn.l2_loss(b1))"
    ]


def test_add_bias_penalty_skips_layers_without_bias() -> None:
    text = SEQUENTIAL.replace('activation="relu", kernel', "use_bias=False, kernel")
    assert [s.line for s in sites("add-bias-penalty", text)] == [6, 8]


COLLECTION = """\
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784])
h = tf.layers.dense(x, 64, kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
logits = tf.layers.dense(h, 10, kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
ce = tf.losses.sparse_softmax_cross_entropy(labels=tf.zeros([1], tf.int32), logits=logits)
reg = tf.losses.get_regularization_loss()
loss = ce + reg
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
"""


def test_drop_collection_read_from_the_minimized_loss() -> None:
    [site] = sites("drop-collection-read", COLLECTION)
    assert changed_lines(COLLECTION, mutate(site))[1] == ["loss = ce"]
    assert (9, 9) in site.anchors  # the minimize call
    text = COLLECTION.replace(
        "reg = tf.losses.get_regularization_loss()\nloss = ce + reg", "loss = tf.losses.get_total_loss()"
    )
    [site] = sites("drop-collection-read", text)
    assert changed_lines(text, mutate(site))[1] == ["loss = tf.losses.get_total_loss(add_regularization_losses=False)"]


def test_drop_collection_read_needs_registered_penalties() -> None:
    text = COLLECTION.replace("kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4)", "use_bias=True")
    assert sites("drop-collection-read", text) == []


LOOP = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_regularizer="l2", input_shape=(4,))])
opt = tf.keras.optimizers.SGD()

def step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x)
        loss = tf.reduce_mean(tf.square(y - pred)) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""


def test_drop_model_losses_from_a_tape_loss() -> None:
    [site] = sites("drop-model-losses", LOOP)
    assert changed_lines(LOOP, mutate(site))[1] == ["        loss = tf.reduce_mean(tf.square(y - pred))"]
    assert (10, 10) in site.anchors  # tape.gradient


def test_drop_model_losses_from_train_step_and_an_augmented_assignment() -> None:
    text = """\
    import tensorflow as tf

    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.fc = tf.keras.layers.Dense(1, kernel_regularizer="l2")

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                pred = self(x, training=True)
                loss = self.compiled_loss(y, pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            return {}

    def custom(model, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(model(x) - y)
            loss += sum(model.losses)
        return tape.gradient(loss, model.trainable_variables)
    """
    first, second = sites("drop-model-losses", text)
    assert changed_lines(textwrap.dedent(text), mutate(first))[1] == ["            loss = self.compiled_loss(y, pred)"]
    removed, added = changed_lines(textwrap.dedent(text), mutate(second))
    assert removed == ["        loss += sum(model.losses)"] and added == []


def test_drop_model_losses_needs_penalties() -> None:
    assert sites("drop-model-losses", LOOP.replace(', kernel_regularizer="l2"', "")) == []


def test_penalty_after_tape_splits_the_penalty_off_or_moves_the_addition() -> None:
    [site] = sites("penalty-after-tape", LOOP)
    _, added = changed_lines(LOOP, mutate(site))
    assert added == ["        loss = tf.reduce_mean(tf.square(y - pred))", "    loss += tf.add_n(model.losses)"]
    text = LOOP.replace(
        "        loss = tf.reduce_mean(tf.square(y - pred)) + tf.add_n(model.losses)\n",
        "        loss = tf.reduce_mean(tf.square(y - pred))\n        loss += tf.add_n(model.losses)\n",
    )
    [site] = sites("penalty-after-tape", text)
    new = mutate(site)
    assert "    loss += tf.add_n(model.losses)\n    grads = tape.gradient" in new
    assert "        loss += tf.add_n" not in new


def test_penalty_after_tape_keeps_list_penalties_summed() -> None:
    text = LOOP.replace(
        "tf.reduce_mean(tf.square(y - pred)) + tf.add_n(model.losses)",
        "tf.add_n([tf.reduce_mean(tf.square(y - pred))] + model.losses)",
    )
    [site] = sites("penalty-after-tape", text)
    assert changed_lines(text, mutate(site))[1] == [
        "        loss = tf.add_n([tf.reduce_mean(tf.square(y - pred))])",
        "    loss += tf.add_n(model.losses)",
    ]


def test_list_added_replaces_the_sum_by_the_list() -> None:
    [site] = sites("list-added", LOOP)
    assert changed_lines(LOOP, mutate(site))[1] == ["        loss = tf.reduce_mean(tf.square(y - pred)) + model.losses"]
    text = LOOP.replace(
        "tf.reduce_mean(tf.square(y - pred)) + tf.add_n(model.losses)", "tf.add_n([main] + model.losses)"
    )
    [site] = sites("list-added", text)
    assert changed_lines(text, mutate(site))[1] == ["        loss = main + model.losses"]


def test_a_collection_read_passed_to_a_helper_and_appended_to_a_summed_list() -> None:
    text = """\
    import tensorflow as tf

    def total(losses, reg):
        parts = list(losses)
        if reg:
            reg_loss = tf.add_n(reg)
            parts.append(reg_loss)
        return tf.add_n(parts)

    def train(data_loss):
        h = tf.layers.dense(data_loss, 1, kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
        regs = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        loss = total([data_loss], regs)
        return tf.train.AdamOptimizer().minimize(loss)
    """
    [site] = sites("drop-collection-read", text)
    assert site.features["via"] == "parameter"
    assert changed_lines(textwrap.dedent(text), mutate(site)) == (["        parts.append(reg_loss)"], [])


UPDATE_OPS = """\
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 8])
h = tf.layers.batch_normalization(tf.layers.dense(x, 8), training=True)
loss = tf.reduce_mean(h)
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    # the train op
    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
"""


def test_drop_update_ops_unwraps_the_block_and_drops_the_dead_fetch() -> None:
    [site] = sites("drop-update-ops", UPDATE_OPS)
    new = mutate(site)
    assert new.endswith(
        "loss = tf.reduce_mean(h)\n# the train op\ntrain_op = tf.train.AdamOptimizer(1e-3).minimize(loss)\n"
    )
    assert "UPDATE_OPS" not in new


def test_drop_update_ops_from_a_group() -> None:
    text = UPDATE_OPS.replace(
        "with tf.control_dependencies(update_ops):\n    # the train op\n    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)",
        "minimize = tf.train.AdamOptimizer(1e-3).minimize(loss)\ntrain_op = tf.group(minimize, update_ops)",
    )
    [site] = sites("drop-update-ops", text)
    assert site.variant == "group"
    assert changed_lines(text, mutate(site)) == (
        ["update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)", "train_op = tf.group(minimize, update_ops)"],
        ["train_op = tf.group(minimize)"],
    )


def test_drop_update_ops_needs_batch_norm() -> None:
    assert sites("drop-update-ops", UPDATE_OPS.replace("tf.layers.batch_normalization", "tf.identity")) == []


def test_regularizer_after_build_inserts_the_loop_after_the_model() -> None:
    text = """\
    import tensorflow as tf

    base = tf.keras.applications.MobileNetV2(weights="imagenet", include_top=False)
    base.trainable = False
    """
    [site] = sites("regularizer-after-build", text)
    assert changed_lines(textwrap.dedent(text), mutate(site))[1] == [
        "for layer in base.layers:",
        "    if hasattr(layer, 'kernel_regularizer'):",
        "        layer.kernel_regularizer = tf.keras.regularizers.l2(1e-4)",
    ]


def test_separable_kernel_regularizer_renames_or_changes_the_class() -> None:
    text = """\
    from tensorflow.keras import Sequential, layers, regularizers

    model = Sequential([
        layers.SeparableConv2D(32, 3, depthwise_regularizer=regularizers.l2(1e-4)),
        layers.Conv2D(32, 3, kernel_regularizer=regularizers.l2(1e-4)),
    ])
    unused = layers.Conv2D(32, 3, kernel_regularizer=regularizers.l2(1e-4))
    """
    first, second = sites("separable-kernel-regularizer", text)
    assert changed_lines(textwrap.dedent(text), mutate(first))[1] == [
        "    layers.SeparableConv2D(32, 3, kernel_regularizer=regularizers.l2(1e-4)),"
    ]
    assert changed_lines(textwrap.dedent(text), mutate(second))[1] == [
        "    layers.SeparableConv2D(32, 3, kernel_regularizer=regularizers.l2(1e-4)),"
    ]


def test_sites_with_a_noqa_comment_are_left_alone() -> None:
    text = SEQUENTIAL.replace(
        "regularizers.l2(1e-4)),\n    layers.Dense(10", "regularizers.l2(1e-4)),  # noqa: RC101\n    layers.Dense(10"
    )
    assert [s.line for s in sites("drop-layer-regularizer", text)] == [5, 8]


# --- notebooks ---------------------------------------------------------------------------


def notebook(*cells: tuple[str, str]) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {})
            for kind, text in cells
        ],
    }


def test_a_notebook_mutation_changes_one_cell_and_keeps_ipython_lines(tmp_path: Path) -> None:
    nb = notebook(
        ("code", "%matplotlib inline\nimport tensorflow as tf\nfrom tensorflow.keras import layers\n"),
        ("markdown", "# A model\n"),
        (
            "code",
            "!nvidia-smi\nmodel = tf.keras.Sequential([\n    layers.Dense(8, kernel_regularizer='l2'),\n"
            "    layers.Dense(1, kernel_regularizer='l2'),\n])",
        ),
        ("code", "print 'python 2'"),
        ("code", "model.summary()"),
    )
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    source = load(path, "nb.ipynb")
    assert source is not None and [c.number for c in source.cells] == [1, 3, 5]
    tree = syntax.Tree(source.text)
    ctx = Context("owner__toy", source, tree, Project({"nb.ipynb": source.text}))
    FINDERS["drop-layer-regularizer"](ctx)
    first = ctx.found[0]
    assert (first.cell, source.place(first.line)) == (3, (3, 3))
    new_text = syntax.apply(tree.module, first.rewrites).code
    data = source.render(new_text, first.line)
    written = json.loads(data)
    assert written["cells"][2]["source"] == [
        "!nvidia-smi\n",
        "model = tf.keras.Sequential([\n",
        "    layers.Dense(8),\n",
        "    layers.Dense(1, kernel_regularizer='l2'),\n",
        "])",
    ]
    assert [c["source"] for i, c in enumerate(written["cells"]) if i != 2] == [
        c["source"] for i, c in enumerate(nb["cells"]) if i != 2
    ]
    path.write_bytes(data)
    again = load(path, "nb.ipynb")
    assert again is not None and again.text == new_text and same_shape(source, again)


def test_render_refuses_changes_outside_the_cell(tmp_path: Path) -> None:
    nb = notebook(("code", "a = 1\n"), ("code", "b = 2\n"))
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    source = load(path, "nb.ipynb")
    assert source is not None
    with pytest.raises(ValueError):
        source.render("a = 3\nb = 4\n", 1)
