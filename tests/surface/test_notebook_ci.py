"""Notebook findings in CI formats point at the .ipynb line that stores the code line."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from helpers import run_cli

CELL = (
    "w1 = tf.get_variable('w1', [3, 4], regularizer=tf.contrib.layers.l2_regularizer(0.1))\n"
    "loss = tf.reduce_mean(w1)\n"
    "train = tf.train.AdamOptimizer().minimize(loss)"
)


def _notebook(tmp_path: Path) -> tuple[Path, int]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# hi"),
        nbformat.v4.new_code_cell("import tensorflow as tf"),
        nbformat.v4.new_code_cell(CELL),
    ]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, str(path))
    stored = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "minimize(loss)" in line)
    return path, stored


def test_github_annotation_lands_on_the_stored_line(tmp_path: Path) -> None:
    path, stored = _notebook(tmp_path)
    (line,) = run_cli(str(path), "--output-format", "github", "--no-cache")[1].splitlines()
    assert line.startswith(
        f"::error file={path},line={stored},endLine={stored},title=RC201 (regularization-collection-unused)::cell 3, line 3: RC201 "
    )


def test_sarif_region_and_logical_location(tmp_path: Path) -> None:
    path, stored = _notebook(tmp_path)
    (result,) = json.loads(run_cli(str(path), "--output-format", "sarif", "--no-cache")[1])["runs"][0]["results"]
    (location,) = result["locations"]
    assert location["physicalLocation"]["region"] == {"startLine": stored, "endLine": stored}
    assert location["logicalLocations"] == [
        {"name": "cell 3", "fullyQualifiedName": f"{path}:cell 3", "kind": "module"}
    ]
    assert result["message"]["text"].startswith("cell 3, line 3: penalties are registered")
    assert (result["properties"]["cell"], result["properties"]["cellLine"]) == (3, 3)


def test_json_edits_carry_their_cell(tmp_path: Path) -> None:
    path, _ = _notebook(tmp_path)
    (finding,) = json.loads(run_cli(str(path), "--output-format", "json", "--no-cache")[1])["findings"]
    assert finding["cell"] == 3 and [e["cell"] for e in finding["fix"]["edits"]] == [3]


def test_github_omits_columns_on_multi_line_ranges(tmp_path: Path) -> None:
    from io import StringIO

    from regcheck.findings import Finding, Severity
    from regcheck.report.github import write_github

    out = StringIO()
    write_github([Finding("RC101", "unregularized-weight", Severity.WARNING, "m.py", 2, 5, 4, 9, "msg")], out)
    assert out.getvalue() == "::warning file=m.py,line=2,endLine=4,title=RC101 (unregularized-weight)::RC101 msg\n"
