"""`regcheck coverage PATH`: per trained model or graph, each weight's role, the penalty and coefficient that
reach it (or none) with its line, then the optimizer and its decay; the same as JSON that the schema in
the repository (schemas/coverage.schema.json) validates; laid out as `regcheck trace --coverage`."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

jsonschema = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "coverage.schema.json").read_text())

MODELS = textwrap.dedent(
    """\
    import keras
    from keras import layers, regularizers


    def build_model(units=64):
        return keras.Sequential([
            layers.Dense(units, activation="relu", kernel_regularizer=regularizers.L2(1e-4)),
            layers.BatchNormalization(),
            layers.Dense(10, name="head"),
        ])
    """
)
TRAIN = textwrap.dedent(
    """\
    import keras

    from models import build_model

    model = build_model()
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=3)
    """
)


def _valid(document: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return document


def _json(*argv: str) -> dict[str, Any]:
    code, out, err = run_cli("coverage", *argv, "--output-format", "json")
    assert (code, err) == (0, "")
    return _valid(json.loads(out))


@pytest.fixture
def two_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def test_a_model_built_in_one_module_and_trained_in_another_is_one_table(two_modules: Path) -> None:
    code, out, err = run_cli("coverage", ".")
    assert (code, err) == (0, "")
    assert out == textwrap.dedent(
        """\
        train.py:7: training step (fit) of the Sequential model built at models.py:6
        variable                 role    penalty     status       line
        -----------------------  ------  ----------  -----------  -----------
        Dense.kernel             kernel  l2 x0.0001  penalized    models.py:7
        Dense.bias               bias    -           unpenalized  models.py:7
        BatchNormalization.norm  norm    -           unpenalized  models.py:8
        BatchNormalization.norm  norm    -           unpenalized  models.py:8
        head.kernel              kernel  -           unpenalized  models.py:9
        head.bias                bias    -           unpenalized  models.py:9
        optimizer: AdamW (train.py:6), weight decay 0.004 (AdamW's default)
        """
    )
    document = _json(".")
    assert document["summary"] == {"files": 2, "tables": 1, "variables": 6}
    (table,) = document["tables"]
    assert (table["kind"], table["place"]) == ("step", {"path": "train.py", "line": 7, "cell": None})
    kernel = table["rows"][0]
    assert kernel["penalties"] == [
        {
            "kind": "l2",
            "coefficient": 0.0001,
            "state": "active",
            "how": "model",  # model.losses, which fit adds to the loss
            "place": {"path": "models.py", "line": 7, "cell": None},
        }
    ]
    assert table["optimizers"] == [
        {
            "name": "AdamW",
            "weight_decay": 0.004,
            "decay": "weight decay 0.004 (AdamW's default)",
            "place": {"path": "train.py", "line": 6, "cell": None},
        }
    ]
    # The builder alone: a model nobody trains in view.
    code, out, _ = run_cli("coverage", "models.py")
    assert out.splitlines()[0] == "models.py:6: Sequential model, not trained in view"


def test_the_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("coverage", "examples/")
    assert (code, err) == (0, "")
    tables = out.split("\n\n")
    mlp = next(t for t in tables if t.startswith("examples/tf1_mnist/mlp.py:"))
    assert mlp == textwrap.dedent(
        """\
        examples/tf1_mnist/mlp.py:21: training step (minimize) of a TF1 graph
        variable  role    penalty   status       line
        --------  ------  --------  -----------  ----
        w_hidden  kernel  -         unpenalized  10
        b_hidden  bias    -         unpenalized  11
        w_out     kernel  l2 x0.01  penalized    12
        b_out     bias    l2 x0.01  penalized    13
        optimizer: GradientDescentOptimizer (examples/tf1_mnist/mlp.py:21), no weight decay"""
    )
    # The penalties a tape loss leaves out (RC202) are declared, and do not reach the loss.
    loop = next(t for t in tables if t.startswith("examples/keras_loop/train.py:17: training step (GradientTape)"))
    assert "Dense.kernel  kernel  l2 x0.0001  declared, not in the loss  examples/keras_loop/models.py:11" in loop
    assert "optimizer: SGD (examples/keras_loop/train.py:8), no weight decay" in loop
    # A notebook's rows point into its cells.
    notebook = next(t for t in tables if t.startswith("examples/notebook/assignment.ipynb:cell 4:6: training step"))
    assert 'weights["h1"]   kernel  -         unpenalized  cell 3:4' in notebook
    assert 'weights["out"]  kernel  l2 x0.01  penalized    cell 3:5' in notebook

    document = _json("examples/")
    by_path = {t["place"]["path"]: t for t in document["tables"]}
    assert set(by_path) == {
        "examples/keras_loop/train.py",
        "examples/notebook/assignment.ipynb",
        "examples/tf1_mnist/collections_sum.py",
        "examples/tf1_mnist/mlp.py",
        "examples/tf1_mnist/scoped.py",
    }
    rows = by_path["examples/notebook/assignment.ipynb"]["rows"]
    assert rows[0]["place"] == {"path": "examples/notebook/assignment.ipynb", "line": 4, "cell": 3}


@pytest.mark.parametrize(
    ("optimizer", "decay", "rate"),
    [
        ("keras.optimizers.AdamW(weight_decay=0.01)", "weight decay 0.01", 0.01),
        ("keras.optimizers.Adam(weight_decay=1e-5)", "weight decay 1e-05", 1e-5),
        ("keras.optimizers.AdamW(weight_decay=0.0)", "no weight decay (weight_decay switched off)", None),
        ("keras.optimizers.SGD(0.1)", "no weight decay", None),
        ('"adamw"', "weight decay 0.004 (AdamW's default)", 0.004),
    ],
)
def test_the_optimizer_and_its_decay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, optimizer: str, decay: str, rate: float | None
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("fit.py").write_text(
        "import keras\n"
        "model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer='l2')])\n"
        f"model.compile(optimizer={optimizer}, loss='mse')\n"
        "model.fit(x, y)\n"
    )
    (table,) = _json("fit.py")["tables"]
    (found,) = table["optimizers"]
    assert (found["decay"], found["weight_decay"]) == (decay, rate)
    assert table["rows"][0]["penalty"] == "l2 x0.01"  # "l2": Keras's default coefficient


def test_nothing_to_show_and_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("plain.py").write_text("print('hello')\n")
    assert run_cli("coverage", ".") == (0, "No model, graph or training step found.\n", "")
    assert run_cli("coverage", ".", "-o", "view.json", "--output-format", "json") == (0, "", "")
    assert _valid(json.loads(Path("view.json").read_text()))["tables"] == []
    assert run_cli("coverage", "missing.py")[0] == 2


def test_the_static_and_the_measured_tables_share_one_layout() -> None:
    from regcheck.graph.coverage import CoverageRow, render_table
    from regcheck.report.columns import render_columns
    from regcheck.report.coverage import HEADERS

    measured = [CoverageRow("dense/kernel", "(784, 256)", "kernel", "l2 x0.001", "penalized")]
    graph = render_table(measured)
    assert graph == render_columns(
        ("variable", "shape", "role", "penalty", "status"),
        [("dense/kernel", "(784, 256)", "kernel", "l2 x0.001", "penalized")],
    )
    # The same column words, in the same order (the graph measures shapes, the static view gives lines).
    assert [h for h in graph.splitlines()[0].split() if h in HEADERS] == [h for h in HEADERS if h != "line"]


def test_the_readme_sample_is_the_two_module_project(two_modules: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### Coverage\n", 1)[1]
    sample = section.split("```console\n$ regcheck coverage .\n", 1)[1].split("```", 1)[0]
    assert run_cli("coverage", ".") == (0, sample, "")
