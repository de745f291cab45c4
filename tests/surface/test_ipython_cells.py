"""RC000 in notebooks: a cell that IPython runs is not a syntax error (uniformly indented cells,
magics, automagics such as `cd ..` or `ls -la` on their own line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

TF1 = (
    "w1 = tf.get_variable('w1', [3, 4], regularizer=tf.contrib.layers.l2_regularizer(0.1))\n"
    "loss = tf.reduce_mean(w1)\n"
    "train = tf.train.AdamOptimizer().minimize(loss)\n"
)


def _write(path: Path, *cells: str) -> Path:
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c} for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    return path


def _concise(path: Path, *extra: str) -> tuple[int, list[str]]:
    code, out, err = run_cli(str(path), "--output-format", "concise", "--no-cache", *extra)
    assert "Traceback" not in err and "error:" not in err, err
    return code, out.splitlines()


@pytest.mark.parametrize(
    "cell",
    [
        "cd ..",
        "cd /content/drive",
        "ls",
        "ls -la data/",
        "pwd",
        "pip install -q tensorflow-addons",
        "mkdir -p checkpoints",
        "rm -rf logs/",
        "%load_ext tensorboard",
        "%%time\nx = 1",
        "!nvidia-smi",
        "if True:\n    !ls\n    cd data",
        "    import os\n    x = os.getcwd()\n",
        "\tx = 1\n\ty = 2",
        "?? Dense",
        "? tf.keras.layers.Dense",
        "Dense ??",
        "tf.nn.l2_loss?",
    ],
)
def test_cells_ipython_runs_are_not_syntax_errors(tmp_path: Path, cell: str) -> None:
    path = _write(tmp_path / "nb.ipynb", "import tensorflow as tf", cell)
    assert _concise(path) == (0, ["All checks passed!"])


@pytest.mark.parametrize("cell", ["cd(", "ls = ", "pwd +", "  x = 1\n y = 2"])
def test_real_syntax_errors_are_still_rc000(tmp_path: Path, cell: str) -> None:
    path = _write(tmp_path / "nb.ipynb", "import tensorflow as tf", cell)
    code, lines = _concise(path)
    assert code == 1 and len(lines) == 2 and f"{path}:cell 2:" in lines[0] and " RC000 " in lines[0], lines


def test_python_named_like_a_magic_is_linted_as_python(tmp_path: Path) -> None:
    # `ls = ...` and `time.sleep()` are Python, not automagics: the cell is analysed.
    path = _write(tmp_path / "nb.ipynb", "import tensorflow as tf\nimport time\nls = [1]\ntime.sleep(0)\n" + TF1)
    code, lines = _concise(path)
    assert code == 1 and lines[0] == f"{path}:cell 1:7:43: RC201 " + lines[0].split(" RC201 ", 1)[1]


def test_an_indented_cell_is_analysed_with_columns_of_the_cell_and_fixed_in_place(tmp_path: Path) -> None:
    indented = "".join("    " + line for line in TF1.splitlines(keepends=True))
    path = _write(tmp_path / "nb.ipynb", "import tensorflow as tf\nls\ncd ..", indented)
    code, lines = _concise(path)
    assert code == 1
    assert lines[0].startswith(f"{path}:cell 2:3:47: RC201 "), lines  # 43 + the 4 columns IPython strips
    data = json.loads(run_cli(str(path), "--output-format", "json", "--no-cache")[1])
    (edit,) = data["findings"][0]["fix"]["edits"]
    assert edit["line"] == 2 and edit["column"] > 4

    assert run_cli(str(path), "--fix", "--no-cache")[0] == 0
    fixed = json.loads(path.read_text())["cells"]
    assert fixed[0]["source"] == "import tensorflow as tf\nls\ncd .."
    assert fixed[1]["source"] == indented.replace(
        "    loss = tf.reduce_mean(w1)\n", "    loss = tf.reduce_mean(w1) + tf.losses.get_regularization_loss()\n"
    )
    assert _concise(path) == (0, ["All checks passed!"])
