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
    # The head alone is left out: RC106, advice (info), so the run still passes the default gate.
    assert code == 0 and f"{train}:3:97: RC106" in out


def test_an_import_no_file_can_match_is_not_a_project_module(tmp_path: Path) -> None:
    # A module name longer than the file system allows: looking for its file raises
    # ENAMETOOLONG, in the prefilter's look at imports and in the analysis alike.
    long_name = "m" * 300
    write(tmp_path / "blocks.py", "import keras\nlayer = keras.layers.Dense(3, kernel_regularizer='l2')\n")
    write(
        tmp_path / "train.py",
        f"import keras\nimport {long_name}\nfrom .{long_name} import thing\nfrom blocks import layer\n"
        "model = keras.Sequential([layer, keras.layers.Dense(2)])\n",
    )
    for extra in ([], ["--select", "ALL"]):
        code, out, err = run_cli(str(tmp_path), *extra, "--no-cache", "--output-format", "concise")
        assert not error_lines(err), err
        assert code in (0, 1), out
