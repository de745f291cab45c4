"""A notebook imports the modules next to it as a script does: the model a sibling module builds is
the model its cells train, and a cached result follows that module's changes."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from helpers import run_cli, write_project

BUILDER = """
    import tensorflow as tf
    from tensorflow.keras import layers
    from tensorflow.keras.regularizers import l2

    def get_network():
        inputs = layers.Input((8,))
        x = layers.Dense(16, kernel_regularizer={regularizer})(inputs)
        return tf.keras.Model(inputs, layers.Dense(4)(x))
"""

CELLS = [
    "import tensorflow as tf\nimport encoders",
    "model = encoders.get_network()\noptimizer = tf.keras.optimizers.SGD(0.1)",
    """@tf.function
def step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))""",
]


def _project(root: Path, regularizer: str) -> Path:
    write_project(root, {"encoders.py": BUILDER.format(regularizer=regularizer)})
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(cell) for cell in CELLS]
    nbformat.write(notebook, str(root / "train.ipynb"))
    return root


def _rc202(root: Path, *cache: str) -> list[tuple[str, int | None, int]]:
    status, out, err = run_cli(str(root), "--select", "RC202", "--output-format", "json", "--exit-zero", *cache)
    assert status == 0, err
    return [(Path(f["path"]).name, f["cell"], f["line"]) for f in json.loads(out)["findings"]]


@pytest.mark.parametrize(("regularizer", "expected"), [("l2(5e-4)", [("train.ipynb", 3, 5)]), ("None", [])])
def test_a_notebook_trains_the_model_a_sibling_module_builds(tmp_path: Path, regularizer: str, expected: list) -> None:
    assert _rc202(_project(tmp_path, regularizer), "--no-cache") == expected


def test_a_cached_notebook_result_follows_the_module_it_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the settings root, where the cache is kept
    root = _project(tmp_path, "None")
    assert _rc202(root) == []
    assert any((tmp_path / ".regcheck_cache").rglob("*.json"))  # the first result was cached
    (root / "encoders.py").write_text(
        (root / "encoders.py").read_text().replace("regularizer=None", "regularizer=l2(5e-4)")
    )
    assert _rc202(root) == [("train.ipynb", 3, 5)]
