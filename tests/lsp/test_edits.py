"""Fixes and noqa comments as editor text edits (regcheck.lsp.edits)."""

from __future__ import annotations

from regcheck.findings import Applicability, Edit, Finding, Fix, Severity
from regcheck.fixing.apply import fixed_by
from regcheck.lsp.edits import TextChange, diff_changes, noqa_change


def _finding(line: int, end_line: int | None = None, code: str = "RC101") -> Finding:
    return Finding(code, "unregularized-weight", Severity.WARNING, "m.py", line, 1, end_line or line, 5, "message")


def _apply(text: str, change: TextChange) -> str:
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: change.line]) + change.column
    end = sum(len(line) for line in lines[: change.end_line]) + change.end_column
    return text[:start] + change.content + text[end:]


def test_noqa_appended_at_the_end_of_the_line() -> None:
    text = "a = 1\nw = tf.Variable(x)   \nb = 2\n"
    change = noqa_change(text, _finding(2))
    assert change is not None
    assert _apply(text, change) == "a = 1\nw = tf.Variable(x)  # noqa: RC101\nb = 2\n"


def test_noqa_keeps_crlf_and_extends_an_existing_code_list() -> None:
    text = "w = tf.Variable(x)  # noqa: RC102\r\n"
    change = noqa_change(text, _finding(1))
    assert change is not None
    assert _apply(text, change) == "w = tf.Variable(x)  # noqa: RC102, RC101\r\n"
    assert noqa_change("w = tf.Variable(x)  # noqa: RC101\n", _finding(1)) is None  # already there
    assert noqa_change("w = tf.Variable(x)  # noqa\n", _finding(1)) is None  # a bare noqa covers it


def test_noqa_after_another_comment() -> None:
    text = "w = tf.Variable(x)  # the weights\n"
    change = noqa_change(text, _finding(1))
    assert change is not None
    assert _apply(text, change) == "w = tf.Variable(x)  # the weights  # noqa: RC101\n"


def test_noqa_never_inside_a_multiline_string() -> None:
    text = 'w = f("""a\nb""", tf.Variable(x))\n'
    change = noqa_change(text, _finding(1, end_line=2))
    assert change is not None
    assert (change.line, change.content) == (1, "  # noqa: RC101")
    assert _apply(text, change) == 'w = f("""a\nb""", tf.Variable(x))  # noqa: RC101\n'


def test_fix_as_line_changes_and_a_fix_that_breaks_the_file() -> None:
    text = "import tensorflow as tf\nx = 1\ny = tf.nn.softmax(x)\n"
    good = Fix(Applicability.SAFE, "m", (Edit(3, 5, 3, 18, "tf.nn.sigmoid"),))
    after = fixed_by(text, good)
    assert after == "import tensorflow as tf\nx = 1\ny = tf.nn.sigmoid(x)\n"
    assert diff_changes(text, after) == [TextChange(2, 0, 3, 0, "y = tf.nn.sigmoid(x)\n")]
    broken = Fix(Applicability.SAFE, "m", (Edit(3, 5, 3, 18, "tf.nn.sigmoid(("),))
    assert fixed_by(text, broken) is None


def test_fix_with_an_import_and_a_last_line_without_newline() -> None:
    text = "import keras\nr = l2(0.1)"
    fix = Fix(Applicability.SAFE, "m", (Edit(2, 5, 2, 7, "L2"),), imports=("from keras.regularizers import L2",))
    after = fixed_by(text, fix)
    assert after == "import keras\nfrom keras.regularizers import L2\n\nr = L2(0.1)"
    changes = diff_changes(text, after)
    assert changes == [TextChange(1, 0, 1, 11, "from keras.regularizers import L2\n\nr = L2(0.1)")]
    assert _apply(text, changes[0]) == after
