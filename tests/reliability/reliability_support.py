"""Samples and helpers shared by the reliability tests."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from regcheck.cli import main

# RC201 with a safe fix: the collection sum is added to the minimized loss.
TF1_BUGGY = (
    "import tensorflow as tf\n"
    "w1 = tf.get_variable('w1', [3, 4], regularizer=tf.contrib.layers.l2_regularizer(0.1))\n"
    "loss = tf.reduce_mean(w1)\n"
    "train = tf.train.AdamOptimizer().minimize(loss)\n"
)
FIXED_LOSS = "loss = tf.reduce_mean(w1) + tf.losses.get_regularization_loss()"
# RC207 with a safe fix that inserts a multi-line `with` block.
TF1_BATCHNORM = (
    "import tensorflow.compat.v1 as tf\n"
    "h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=is_training)\n"
    "train_op = tf.train.AdamOptimizer().minimize(loss)\n"
)


def run_cli(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process; ``stdin`` feeds ``-``."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("regcheck: error: ")]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path
