"""Files past CPython's limits (nesting depth, indentation levels, recursion) never run in any Python,
though libcst may parse them: they are RC000 with a location, never "All checks passed!"."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from helpers import run_cli

TF = "import tensorflow as tf\n"
DEEP_CALLS = TF + "x = " + "tf.identity(" * 500 + "1" + ")" * 500 + "\nw = tf.Variable(tf.zeros([3, 4]))\n"
DEEP_PARENS = TF + "x = " + "(" * 500 + "1" + ")" * 500 + "\n"
DEEP_BLOCKS = TF + "".join(" " * i + "if x:\n" for i in range(120)) + " " * 120 + "pass\n"
LONG_SUM = TF + "loss = " + " + ".join(["tf.nn.l2_loss(w)"] * 10000) + "\n"


@pytest.mark.parametrize(
    ("source", "where", "message"),
    [
        (DEEP_CALLS, "2:2416", "too many nested parentheses"),
        (DEEP_PARENS, "2:205", "too many nested parentheses"),
        (DEEP_BLOCKS, "102:1", "too many levels of indentation"),
        (LONG_SUM, "1:1", "too deeply nested for Python's parser"),
    ],
    ids=["500-nested-calls", "500-nested-parentheses", "120-nested-blocks", "10000-term-sum"],
)
@pytest.mark.parametrize("select", [None, "RC000"], ids=["every-rule", "syntax-check-only"])
def test_code_cpython_rejects_is_rc000(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, where: str, message: str, select: str | None
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("deep.py").write_text(source)
    chosen = ["--select", select] if select else []
    code, out, err = run_cli("deep.py", "--no-cache", "--output-format", "concise", *chosen)
    assert (code, err) == (1, "")
    headline, footer = out.splitlines()
    assert headline.startswith(f"deep.py:{where}: RC000 syntax error: {message}") and footer == "Found 1 finding."
    (finding,) = json.loads(run_cli("deep.py", "--no-cache", "--output-format", "json", *chosen)[1])["findings"]
    assert finding["code"] == "RC000" and f"{finding['line']}:{finding['column']}" == where


def test_a_notebook_cell_past_the_limits_is_rc000_and_the_others_are_checked(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(TF.strip()),
        nbformat.v4.new_code_cell("x = " + "(" * 500 + "1" + ")" * 500),
        nbformat.v4.new_code_cell("loss = tf.nn.softmax_cross_entropy_with_logits(out, labels)"),
    ]
    path = tmp_path / "deep.ipynb"
    nbformat.write(nb, str(path))
    code, out, _ = run_cli(str(path), "--no-cache", "--output-format", "concise")
    assert code == 1
    assert f"{path}:cell 2:1:205: RC000 syntax error: too many nested parentheses (error)" in out
    assert f"{path}:cell 3:1:8: RC406" in out


def test_the_api_says_the_same(tmp_path: Path) -> None:
    import regcheck

    (finding,) = regcheck.check_source(DEEP_PARENS, path=str(tmp_path / "deep.py"))
    assert (finding.code, finding.line, finding.column) == ("RC000", 2, 205)
