"""Generated source files for the size benchmark (``bench.py --only size``) and the large-file tests.

Every generator returns the text of one file whose findings are known by construction:

- :func:`tf1_file`: a TF1 graph of ``w{i} = tf.Variable(...)`` / ``y{i} = tf.matmul(y{i-1}, w{i})``
  pairs (``y0 = tf.matmul(x, w0)``), a loss that penalizes ``w0`` only with one ``tf.nn.l2_loss`` and
  a ``minimize``: every other weight is reached by the loss and unpenalized (RC101 each);
- :func:`keras_file`: one functional Keras model of many ``Dense`` layers, the first one with a
  kernel regularizer, compiled and fitted: every other hidden layer is RC101;
- :func:`notebook_file`: the Keras model as a notebook, a few layers per code cell;
- :func:`sum_file`: a TF1 graph whose penalty is one sum of ``tf.nn.l2_loss`` terms over every weight
  but one (RC101 on that one). Up to :data:`MAX_CHAIN` terms the sum is one ``+`` chain; beyond, CPython
  cannot parse one chain ("maximum recursion depth exceeded during ast construction" near 3,000 terms),
  so it is a ``+`` chain of parenthesized chains of :data:`MAX_CHAIN` terms each;
- :func:`nested_blocks_file`, :func:`nested_calls_file`, :func:`nested_defs_file`: nesting as deep as
  CPython accepts (99 indented blocks, 200 open brackets), a small TF1 graph with one unpenalized
  weight at the bottom.

``expected(kind, size)`` gives the (code, cell, line) of each finding a default run must report.
"""

from __future__ import annotations

import json

MAX_CHAIN = 2_000  # terms in one `+` chain of sum_file
TF1_HEADER = ["import tensorflow as tf", "", "x = tf.compat.v1.placeholder(tf.float32, [None, 8])", ""]
TF1_TRAIN = "train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)"


def _tf1_pairs(count: int, indent: str = "") -> list[str]:
    out: list[str] = []
    for i in range(count):
        out.append(f"{indent}w{i} = tf.Variable(tf.random.normal([8, 8]), name='w{i}')")
        out.append(f"{indent}y{i} = tf.matmul({'x' if i == 0 else f'y{i - 1}'}, w{i})")
    return out


def tf1_pairs_for(lines: int) -> int:
    return max(2, (lines - len(TF1_HEADER) - 3) // 2)


def tf1_file(lines: int) -> str:
    """About ``lines`` lines: the weight pairs, then the loss and its training step."""
    count = tf1_pairs_for(lines)
    body = _tf1_pairs(count)
    tail = ["", f"loss = tf.reduce_mean(y{count - 1}) + 1e-4 * tf.nn.l2_loss(w0)", TF1_TRAIN]
    return "\n".join(TF1_HEADER + body + tail) + "\n"


KERAS_HEADER = [
    "import tensorflow as tf",
    "from tensorflow import keras",
    "from tensorflow.keras import layers, regularizers",
    "",
    "inputs = keras.Input((8,))",
    'x = layers.Dense(8, activation="relu", kernel_regularizer=regularizers.l2(1e-4))(inputs)',
]
KERAS_TAIL = [
    "outputs = layers.Dense(10)(x)",
    "model = keras.Model(inputs, outputs)",
    'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")',
    "model.fit(features, labels, epochs=1)",
]
KERAS_LAYER = 'x = layers.Dense(8, activation="relu")(x)'


def keras_layers_for(lines: int) -> int:
    return max(1, lines - len(KERAS_HEADER) - len(KERAS_TAIL))


def keras_file(lines: int) -> str:
    """About ``lines`` lines: one functional model, a Dense layer a line."""
    body = [KERAS_LAYER] * keras_layers_for(lines)
    return "\n".join(KERAS_HEADER + body + KERAS_TAIL) + "\n"


NOTEBOOK_CELL = 50  # code lines per cell


def notebook_file(lines: int) -> str:
    """The Keras model as a notebook (nbformat 4): the imports, then the layers a few dozen to a code cell,
    then the training cell; a markdown cell between code cells."""
    count = keras_layers_for(lines)
    cells: list[list[str]] = [KERAS_HEADER]
    for start in range(0, count, NOTEBOOK_CELL):
        cells.append([KERAS_LAYER] * min(NOTEBOOK_CELL, count - start))
    cells.append(KERAS_TAIL)
    notebook_cells = []
    for number, cell in enumerate(cells):
        if number:
            notebook_cells.append({"cell_type": "markdown", "metadata": {}, "source": [f"Cell {number}"]})
        source = [line + "\n" for line in cell]
        source[-1] = source[-1].rstrip("\n")
        notebook_cells.append(
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
        )
    notebook = {
        "cells": notebook_cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1) + "\n"


def _sum_missing(terms: int) -> int:
    return terms // 2


def sum_file(terms: int) -> str:
    """``terms`` weights chained like tf1_file, and one penalty summing ``tf.nn.l2_loss`` of all but one,
    a term a line."""
    count = terms + 1
    missing = _sum_missing(count)
    body = _tf1_pairs(count)
    names = [f"w{i}" for i in range(count) if i != missing]
    out = TF1_HEADER + body + ["", "penalty = ("]
    groups = [names[start : start + MAX_CHAIN] for start in range(0, len(names), MAX_CHAIN)]
    grouped = len(groups) > 1
    for number, group in enumerate(groups):
        indent = "        " if grouped else "    "
        if grouped:
            out.append(f"    {'+ ' if number else ''}(")
        for index, name in enumerate(group):
            out.append(f"{indent}{'+ ' if index else ''}tf.nn.l2_loss({name})")
        if grouped:
            out.append("    )")
    out += [")", f"loss = tf.reduce_mean(y{count - 1}) + 1e-4 * penalty", TF1_TRAIN]
    return "\n".join(out) + "\n"


MAX_BLOCKS = 97  # CPython refuses 100 levels of indentation ("too many levels of indentation")
CALL_DEPTH = 12  # regcheck.facts.program.interpreter.MAX_DEPTH: nested calls the program model follows
MAX_BRACKETS = 190  # ... and 200 open brackets ("too many nested parentheses")


def _tf1_small(indent: str) -> list[str]:
    return [
        f"{indent}w0 = tf.Variable(tf.random.normal([8, 8]), name='w0')",
        f"{indent}w1 = tf.Variable(tf.random.normal([8, 8]), name='w1')",
        f"{indent}w2 = tf.Variable(tf.random.normal([8, 8]), name='w2')",
        f"{indent}loss = tf.reduce_mean(tf.matmul(tf.matmul(tf.matmul(x, w0), w1), w2)) + 1e-4 * tf.nn.l2_loss(w0)",
        f"{indent}train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)",
    ]


def nested_blocks_file(depth: int = MAX_BLOCKS) -> str:
    """``depth`` nested blocks (if / for / with, in turn), the small graph at the bottom."""
    heads = ["if x is not None:", "for _step in range(1):", "with tf.name_scope('s'):"]
    out = TF1_HEADER[:]
    for level in range(depth):
        out.append("    " * level + heads[level % len(heads)])
    out += _tf1_small("    " * depth)
    return "\n".join(out) + "\n"


def nested_calls_file(depth: int = MAX_BRACKETS) -> str:
    """The loss wrapped in ``depth`` nested calls (``tf.identity(tf.identity(...))``)."""
    small = _tf1_small("")
    inner = "tf.reduce_mean(tf.matmul(tf.matmul(tf.matmul(x, w0), w1), w2))"
    wrapped = "tf.identity(" * depth + inner + ")" * depth
    small[3] = f"loss = {wrapped} + 1e-4 * tf.nn.l2_loss(w0)"
    return "\n".join(TF1_HEADER + small) + "\n"


def nested_defs_file(depth: int = MAX_BLOCKS) -> str:
    """``depth`` nested functions, each calling the next; the innermost builds the graph; the outermost
    is called at module level."""
    out = TF1_HEADER[:]
    for level in range(depth):
        out.append("    " * level + f"def level_{level}():")
    out += _tf1_small("    " * depth)
    out.append("    " * depth + "return train_op")
    for level in range(depth - 1, 0, -1):
        out.append("    " * level + f"return level_{level}()")
    out.append("level_0()")
    return "\n".join(out) + "\n"


# kind -> (generator, what the size counts, file suffix)
KINDS = {
    "tf1": (tf1_file, "lines", ".py"),
    "keras": (keras_file, "lines", ".py"),
    "notebook": (notebook_file, "lines", ".ipynb"),
    "sum": (sum_file, "terms", ".py"),
    "nested-blocks": (nested_blocks_file, "levels", ".py"),
    "nested-calls": (nested_calls_file, "levels", ".py"),
    "nested-defs": (nested_defs_file, "levels", ".py"),
}


def generate(kind: str, size: int) -> str:
    return KINDS[kind][0](size)


def expected(kind: str, size: int) -> list[tuple[str, int | None, int]]:
    """(code, cell, line) of every finding a default run reports: lines 1-based, in the cell for a
    notebook (cells counted among all cells, markdown ones too), cell None for a module."""
    if kind == "tf1":
        count = tf1_pairs_for(size)
        first = len(TF1_HEADER) + 1
        return [("RC101", None, first + 2 * i) for i in range(1, count)]
    if kind == "keras":
        # Every hidden layer but the first, and the output layer (unregularized too: RC101, not RC106).
        first = len(KERAS_HEADER) + 1
        return [("RC101", None, first + i) for i in range(keras_layers_for(size) + 1)]
    if kind == "notebook":
        count = keras_layers_for(size)
        cells = (count + NOTEBOOK_CELL - 1) // NOTEBOOK_CELL
        # Code cell k (k = 0 the imports) is cell 2k + 1: a markdown cell comes before each code cell but the first.
        found = [("RC101", 2 * (1 + i // NOTEBOOK_CELL) + 1, 1 + i % NOTEBOOK_CELL) for i in range(count)]
        return [*found, ("RC101", 2 * (cells + 1) + 1, 1)]
    if kind == "sum":
        return [("RC101", None, len(TF1_HEADER) + 1 + 2 * _sum_missing(size + 1))]
    if kind.startswith("nested-"):
        text = generate(kind, size)
        line = next(n for n, line in enumerate(text.splitlines(), 1) if "w1 = tf.Variable" in line)
        return [("RC101", None, line), ("RC101", None, line + 1)]
    raise KeyError(kind)
