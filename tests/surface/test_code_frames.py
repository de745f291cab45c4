"""Code frames (``--output-format full``) are drawn from the code as it is when the run ends: after
``--fix`` the fixed file (in the terminal, and on stderr when the fixed source went to stdout), and
for a notebook finding the cell it is in."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import run_cli

SAME_LINE = (
    "import tensorflow.compat.v1 as tf\n"
    "\n"
    "x = tf.placeholder(tf.float32, [None, 784])\n"
    "y = tf.placeholder(tf.float32, [None, 10])\n"
    "w_out = tf.Variable(tf.zeros([784, 10]))\n"
    "b_out = tf.Variable(tf.zeros([10]))\n"
    "logits = tf.matmul(x, w_out) + b_out\n"
    # RC406 (safe fix: spell out logits= and labels=) and, further right on the same line, RC102 (unsafe).
    "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits, y)) + 0.01 * tf.nn.l2_loss(b_out)\n"
    "train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)\n"
)


def frames(report: str) -> dict[str, tuple[dict[int, str], str]]:
    """Per headline (``path:...: CODE``): the frame's numbered lines, and the text the carets underline."""
    found: dict[str, tuple[dict[int, str], str]] = {}
    current: str | None = None
    numbered: dict[int, str] = {}
    for line in report.splitlines():
        head = re.match(r"^(\S.*?): (RC\d{3}) ", line)
        if head:
            current, numbered = f"{head[1]}: {head[2]}", {}
            found[current] = (numbered, "")
            continue
        row = re.match(r"^ +(\d+) \| (.*)$", line)
        if row and current:
            numbered[int(row[1])] = row[2]
            last = int(row[1])
            continue
        carets = re.match(r"^ +\| ( *)(\^+) RC\d{3}$", line)
        if carets and current:
            start, width = len(carets[1]), len(carets[2])
            found[current] = (numbered, numbered[last][start : start + width])
    return found


def test_after_fix_the_frames_show_the_fixed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(SAME_LINE)
    code, out, err = run_cli("model.py", "--fix", "--no-cache")
    assert (code, err) == (1, "")  # RC102 (an unsafe fix) remains
    fixed = (tmp_path / "model.py").read_text().splitlines()
    assert "logits=logits, labels=y" in fixed[7]
    ((headline, (numbered, underlined)),) = frames(out).items()
    assert headline == "model.py:8:101: RC102"  # the column on the fixed line
    assert numbered == {7: fixed[6], 8: fixed[7], 9: fixed[8]}
    assert underlined == "tf.nn.l2_loss(b_out)"


def test_after_fix_from_stdin_the_frames_on_stderr_show_the_fixed_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAME_LINE.encode())))
    code, out, err = run_cli("-", "--stdin-filename", "model.py", "--fix", "--no-cache")
    assert code == 1
    fixed = out.splitlines()  # the fixed source went to stdout, the report to stderr
    ((headline, (numbered, underlined)),) = frames(err).items()
    assert headline == "model.py:8:101: RC102"
    assert numbered[8] == fixed[7] and "labels=y" in numbered[8]
    assert underlined == "tf.nn.l2_loss(b_out)"


def test_notebook_findings_have_a_frame_from_their_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Training"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport tensorflow.compat.v1 as tf"),
        nbformat.v4.new_code_cell("    " + SAME_LINE.split("\n", 2)[2].replace("\n", "\n    ").rstrip()),
    ]
    nbformat.write(nb, "train.ipynb")
    code, out, err = run_cli("train.ipynb", "--no-cache")
    assert (code, err) == (1, "")
    cell = nb.cells[2].source.splitlines()
    shown = frames(out)
    assert shown["train.ipynb:cell 3:6:27: RC406"] == (
        {5: cell[4], 6: cell[5], 7: cell[6]},
        "tf.nn.softmax_cross_entropy_with_logits_v2(logits, y)",
    )
    assert shown["train.ipynb:cell 3:6:91: RC102"][1] == "tf.nn.l2_loss(b_out)"
    # After --fix, what is left is drawn from the fixed cell.
    code, out, err = run_cli("train.ipynb", "--fix", "--no-cache")
    assert (code, err) == (1, "")
    fixed_cell = nbformat.read("train.ipynb", as_version=4).cells[2].source.splitlines()
    ((headline, (numbered, underlined)),) = frames(out).items()
    assert headline == "train.ipynb:cell 3:6:105: RC102"
    assert numbered[6] == fixed_cell[5] and underlined == "tf.nn.l2_loss(b_out)"
