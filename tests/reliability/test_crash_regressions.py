"""Crashes the sweep over installed keras/tensorflow sources found, kept small and fast here."""

from __future__ import annotations

from pathlib import Path

from reliability_support import error_lines, run_cli, write


def test_attribute_of_a_project_function_is_not_followed_as_a_class_member(tmp_path: Path) -> None:
    # tensorflow/python/ops/nn_ops.py and 78 other files: `helper.attr(...)` where helper is a def.
    write(tmp_path / "helpers.py", "def make():\n    pass\n")
    train = write(
        tmp_path / "train.py",
        "import keras\n"
        "from helpers import make\n"
        "model = keras.Sequential([keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.1)), keras.layers.Dense(2)])\n"
        "out = make.partial(model)\n",
    )
    code, out, err = run_cli(str(tmp_path), "--select", "ALL", "--no-cache", "--output-format", "concise")
    assert not error_lines(err), err
    assert code == 1 and f"{train}:3:97: RC101" in out
