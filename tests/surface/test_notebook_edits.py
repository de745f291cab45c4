"""A notebook fix's JSON edits each name the cell they belong in, with positions in that cell, so a
consumer that applies them cell by cell gets the notebook that ``--fix`` writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from helpers import run_cli

CELLS = [
    ("markdown", "# Assignment"),
    ("code", "%matplotlib inline\nimport tensorflow.compat.v1 as tf"),
    (
        "code",
        'weights = {\n    "h1": tf.Variable(tf.random_normal([784, 256])),\n'
        '    "out": tf.Variable(tf.random_normal([256, 10])),\n}',
    ),
    ("markdown", "The loss"),
    (
        "code",
        'logits = tf.matmul(tf.nn.relu(tf.matmul(x, weights["h1"])), weights["out"])\n'
        "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits, y))\n"
        'loss = loss + 0.01 * tf.nn.l2_loss(weights["out"])\n'
        "train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)",
    ),
]


@pytest.fixture
def notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        for kind, text in CELLS
    ]
    path = tmp_path / "assignment.ipynb"
    nbformat.write(nb, str(path))
    return path


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(part) for part in lines[: line - 1]) + column - 1


def apply_json_edits(notebook: dict, findings: list[dict], unsafe: bool) -> dict:
    """What a consumer of the JSON report does: each fix's edits, into the cell each edit names."""
    per_cell: dict[int, list[dict]] = {}
    for finding in findings:
        fix = finding["fix"]
        if fix is None or (fix["applicability"] == "unsafe" and not unsafe):
            continue
        assert "imports" not in fix  # none of these fixes needs one
        for edit in fix["edits"]:
            per_cell.setdefault(edit["cell"], []).append(edit)
    for number, edits in per_cell.items():
        cell = notebook["cells"][number - 1]
        source = "".join(cell["source"])
        for edit in sorted(edits, key=lambda e: (e["line"], e["column"]), reverse=True):
            start = _offset(source, edit["line"], edit["column"])
            end = _offset(source, edit["end_line"], edit["end_column"])
            source = source[:start] + edit["content"] + source[end:]
        cell["source"] = source
    return notebook


def _sources(notebook: dict) -> list[str]:
    return ["".join(cell["source"]) for cell in notebook["cells"]]


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_json_edits_applied_per_cell_give_what_fix_writes(notebook: Path, unsafe: bool) -> None:
    unsafe_flag = ["--unsafe-fixes"] if unsafe else []
    report = json.loads(run_cli(str(notebook), "--output-format", "json", "--no-cache", *unsafe_flag)[1])
    findings = report["findings"]
    edits = [(f["code"], f["cell"], e["cell"]) for f in findings if f["fix"] for e in f["fix"]["edits"]]
    # RC101 is found where the forgotten weight is made (cell 3) and fixed in the penalty (cell 5).
    assert ("RC101", 3, 5) in edits and ("RC406", 5, 5) in edits

    expected = apply_json_edits(json.loads(notebook.read_text()), findings, unsafe)
    copy = notebook.with_name("copy.ipynb")
    shutil.copy(notebook, copy)
    run_cli(str(copy), "--fix", "--no-cache", *unsafe_flag)
    assert _sources(json.loads(copy.read_text())) == _sources(expected)
    assert _sources(expected) != _sources(json.loads(notebook.read_text()))  # something was fixed


def test_edits_in_an_indented_cell_count_columns_as_the_cell_is_stored(tmp_path: Path) -> None:
    # IPython runs a uniformly indented cell dedented: the edit's columns are those of the stored text.
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import tensorflow as tf"),
        nbformat.v4.new_code_cell("    loss = tf.nn.softmax_cross_entropy_with_logits(out, labels)"),
    ]
    path = tmp_path / "indented.ipynb"
    nbformat.write(nb, str(path))
    (finding,) = json.loads(run_cli(str(path), "--output-format", "json", "--no-cache")[1])["findings"]
    expected = apply_json_edits(json.loads(path.read_text()), [finding], unsafe=False)
    run_cli(str(path), "--fix", "--no-cache")
    assert _sources(json.loads(path.read_text())) == _sources(expected)
    assert _sources(expected)[1] == "    loss = tf.nn.softmax_cross_entropy_with_logits(logits=out, labels=labels)"
