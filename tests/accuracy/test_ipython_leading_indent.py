"""A cell whose first line is indented runs in IPython even when later lines are not (leading_indent)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from helpers import run_cli

PARTLY_INDENTED = (
    " my_seq = tf.keras.Sequential([tf.keras.layers.Conv2D(1, (1, 1)),\n"
    "                               tf.keras.layers.BatchNormalization()])\n"
    "my_seq(tf.zeros([1, 2, 3, 3]))"
)
BUGGY = "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits, labels))"


def _write(tmp_path: Path, *cells: str) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, str(path))
    return path


def test_partly_indented_cell_is_not_a_syntax_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "import tensorflow as tf", PARTLY_INDENTED, "    model.add(x)\n    \nmodel.summary()")
    code, out, err = run_cli(str(path), "--output-format", "json", "--no-cache")
    assert (code, json.loads(out)["findings"]) == (0, []), err


def test_a_fix_elsewhere_leaves_a_partly_indented_cell_as_it_was(tmp_path: Path) -> None:
    path = _write(tmp_path, "import tensorflow as tf", PARTLY_INDENTED, BUGGY)
    code, out, err = run_cli(str(path), "--fix", "--no-cache")
    assert code == 0, out + err
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]
    assert cells[1] == PARTLY_INDENTED
    assert "logits=logits, labels=labels" in cells[2]


def test_a_syntax_error_in_a_partly_indented_cell_points_at_the_stored_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "import tensorflow as tf", "  x = 1\ny = (\n")
    code, out, err = run_cli(str(path), "--output-format", "json", "--no-cache")
    findings = json.loads(out)["findings"]
    assert code == 1, err
    assert [(f["code"], f["cell"], f["line"]) for f in findings] == [("RC000", 2, 2)]
