"""One defect, one finding: not one per binding of a name, not one per module that imports it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from helpers import lint, run_cli


def test_a_name_bound_to_several_biases_is_one_finding() -> None:
    source = """
        import tensorflow as tf
        for size in (64, 128, 256):
            b = tf.Variable(tf.zeros([size]))
        w = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))
        loss = data_loss + 0.01 * (tf.nn.l2_loss(w) + tf.nn.l2_loss(b))
    """
    assert [(f.code, f.line) for f in lint(source, "RC102")] == [("RC102", 7)]


BLOCKS = """
    from tensorflow.keras import layers, regularizers
    def conv_block(x, filters):
        return layers.Conv2D(filters, 3, kernel_regularizer=regularizers.l2(1e-4),
                             bias_regularizer=regularizers.l2(1e-4))(x)
"""
TRAIN = """
    from tensorflow import keras
    from blocks import conv_block
    def build():
        inputs = keras.Input((32, 32, 3))
        return keras.Model(inputs, conv_block(conv_block(inputs, 32), 64))
"""


def test_a_bias_penalized_in_an_imported_block_is_reported_where_it_is_built(tmp_path: Path) -> None:
    (tmp_path / "blocks.py").write_text(textwrap.dedent(BLOCKS), encoding="utf-8")
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN), encoding="utf-8")
    code, out, err = run_cli(str(tmp_path), "--select", "RC102", "--output-format", "json", "--no-cache")
    assert code == 1, err
    assert [(Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"]] == [("blocks.py", 5)]


def test_a_bias_regularizer_passed_by_the_caller_is_reported_at_the_call(tmp_path: Path) -> None:
    blocks = """
        from tensorflow.keras import layers, regularizers
        def conv_block(x, filters, bias_reg=None):
            return layers.Conv2D(filters, 3, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=bias_reg)(x)
    """
    train = TRAIN.replace("conv_block(inputs, 32)", "conv_block(inputs, 32, bias_reg=keras.regularizers.l2(1e-4))")
    (tmp_path / "blocks.py").write_text(textwrap.dedent(blocks), encoding="utf-8")
    (tmp_path / "train.py").write_text(textwrap.dedent(train), encoding="utf-8")
    code, out, err = run_cli(str(tmp_path), "--select", "RC102", "--output-format", "json", "--no-cache")
    assert code == 1, err
    assert [(Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"]] == [("train.py", 6)]


def test_a_fix_lands_after_a_parenthesized_last_argument() -> None:
    from helpers import fix

    source = """
        from tensorflow import keras
        from tensorflow.keras import layers, regularizers
        model = keras.Sequential([
            layers.Conv2D(32, (3, 3), kernel_regularizer=regularizers.l2(1e-4)),
            layers.Conv2D(64, (3, 3)),
            layers.Dense(16, input_shape=(10000,)),
            layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
        ])
    """
    assert all(f.fix is not None for f in lint(source, "RC101"))
    fixed = fix(source, "RC101", unsafe=True)
    assert "layers.Conv2D(64, (3, 3), kernel_regularizer=regularizers.l2(1e-4))" in fixed
    assert "layers.Dense(16, input_shape=(10000,), kernel_regularizer=regularizers.l2(1e-4))" in fixed


def test_a_fix_that_cannot_apply_is_not_advertised() -> None:
    from regcheck.findings import Applicability, Edit, Fix
    from regcheck.lint.module import only_applicable

    text = "x = f(1)\n"
    broken = Fix(Applicability.SAFE, "break it", (Edit(1, 7, 1, 7, ", ="),), ())
    working = Fix(Applicability.SAFE, "add", (Edit(1, 8, 1, 8, ", 2"),), ())
    base = lint("import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(logits, labels)\n", "RC406")[0]
    kept = only_applicable(text, [base.with_changes(fix=broken), base.with_changes(fix=working)])
    assert [f.fix for f in kept] == [None, working]


def test_a_notebook_fix_uses_only_names_bound_in_earlier_cells(tmp_path: Path) -> None:
    import nbformat

    cells = [
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "model = keras.Sequential()\nmodel.add(layers.Dense(64))",
        "from tensorflow.keras import regularizers\n"
        "model.add(layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4)))\n"
        "model.add(layers.Dense(64))\n"
        "model.add(layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)))",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, str(path))
    code, out, err = run_cli(str(path), "--select", "RC101", "--output-format", "json", "--no-cache")
    assert code == 1, err
    findings = json.loads(out)["findings"]
    # The first cell's layer cannot take `regularizers.l2(...)`: it is imported only in the next cell.
    assert [(f["cell"], f["line"], f["fix"] is not None) for f in findings] == [(1, 4, False), (2, 3, True)]


def test_an_unregularized_layer_its_own_module_reports_is_not_reported_again_by_importers(tmp_path: Path) -> None:
    nets = """
        from keras.layers import Conv2D, Dense, Input
        from keras.models import Model
        from keras.regularizers import l2
        def block(x):
            x = Conv2D(16, 1, kernel_regularizer=l2(1e-4))(x)
            return Conv2D(16, 3)(x)
        def DenseNet(classes):
            inputs = Input((32, 32, 3))
            x = block(block(inputs))
            return Model(inputs, Dense(classes, kernel_regularizer=l2(1e-4))(x))
    """
    train = """
        import nets
        model = nets.DenseNet(10)
        model.compile("sgd", "categorical_crossentropy")
    """
    (tmp_path / "nets.py").write_text(textwrap.dedent(nets), encoding="utf-8")
    (tmp_path / "train.py").write_text(textwrap.dedent(train), encoding="utf-8")
    code, out, err = run_cli(str(tmp_path), "--select", "RC101", "--output-format", "json", "--no-cache")
    assert code == 1, err
    assert [(Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"]] == [("nets.py", 7)]


def test_no_sample_reports_the_same_finding_twice() -> None:
    from regcheck import check_source
    from regcheck.checks import ALL_CHECKS

    for check in ALL_CHECKS:
        for sample in (*check.VALID, *check.INVALID):
            findings = check_source(textwrap.dedent(sample), select=["ALL"])
            keys = [(f.code, f.line, f.column, f.end_line, f.end_column, f.message) for f in findings]
            assert len(keys) == len(set(keys)), (check.code, sample)


def test_modules_that_import_each_other_report_each_layer_once(tmp_path: Path) -> None:
    a = """
        from keras.layers import Conv2D, Input
        from keras.models import Model
        from keras.regularizers import l2
        import b
        def block(x):
            x = Conv2D(16, 1, kernel_regularizer=l2(1e-4))(x)
            return Conv2D(16, 3)(x)
        def net():
            inputs = Input((32, 32, 3))
            return Model(inputs, b.head(block(inputs)))
    """
    b = """
        from keras.layers import Dense
        from keras.regularizers import l2
        import a
        def head(x):
            x = Dense(64)(a.block(x))
            return Dense(10, kernel_regularizer=l2(1e-4))(x)
    """
    (tmp_path / "a.py").write_text(textwrap.dedent(a), encoding="utf-8")
    (tmp_path / "b.py").write_text(textwrap.dedent(b), encoding="utf-8")
    code, out, err = run_cli(str(tmp_path), "--select", "RC101", "--output-format", "json", "--no-cache")
    assert code == 1, err
    assert sorted((Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"]) == [("a.py", 8), ("b.py", 6)]
