"""``--add-noqa`` works on notebooks: the comment goes on the finding's line in its cell, the notebook
keeps its JSON style, outputs and metadata, and checking it again finds nothing to report."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from helpers import run_cli

CELLS = [
    nbformat.v4.new_markdown_cell("# Training"),
    nbformat.v4.new_code_cell("%matplotlib inline\nimport tensorflow.compat.v1 as tf"),
    nbformat.v4.new_code_cell(
        'weights = {\n    "h1": tf.Variable(tf.random_normal([784, 256])),\n'
        '    "out": tf.Variable(tf.random_normal([256, 10])),\n}'
    ),
    nbformat.v4.new_code_cell(
        'logits = tf.matmul(tf.nn.relu(tf.matmul(x, weights["h1"])), weights["out"])\n'
        "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits, y))  # the data term\n"
        'loss = loss + 0.01 * tf.nn.l2_loss(weights["out"])\n'
        "train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)",
        execution_count=3,
        outputs=[nbformat.v4.new_output("stream", text="done\n")],
    ),
    nbformat.v4.new_code_cell("def broken(:\n    pass"),
]


def test_add_noqa_comments_notebook_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = CELLS
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(nb, "train.ipynb")
    before = Path("train.ipynb").read_text()

    code, out, err = run_cli("train.ipynb", "--add-noqa", "--no-cache")
    # RC101 (cell 3) and RC406 (cell 4) get a comment; the syntax error (RC000) cannot, and is reported.
    assert out.splitlines()[-1] == "Added 2 noqa directives.", out + err
    assert "train.ipynb:cell 5:1:12: RC000" in out and code == 1
    after = nbformat.read("train.ipynb", as_version=4)
    assert after.cells[2].source.splitlines()[1].endswith("),  # noqa: RC101")
    assert after.cells[3].source.splitlines()[1].endswith("))  # the data term  # noqa: RC406")
    assert after.cells[3].outputs == nb.cells[3].outputs and after.metadata == nb.metadata
    changed = [(a, b) for a, b in zip(before.splitlines(), Path("train.ipynb").read_text().splitlines()) if a != b]
    assert len(changed) == 2 and len(before.splitlines()) == len(Path("train.ipynb").read_text().splitlines())

    # Only the syntax error is left, and a second run adds nothing.
    code, out, _ = run_cli("train.ipynb", "--no-cache", "--output-format", "concise")
    assert out.splitlines()[:-1] == ["train.ipynb:cell 5:1:12: RC000 syntax error: invalid syntax (error)"]
    written = Path("train.ipynb").read_bytes()
    assert run_cli("train.ipynb", "--add-noqa", "--no-cache")[1].splitlines()[-1] == "Added 0 noqa directives."
    assert Path("train.ipynb").read_bytes() == written
