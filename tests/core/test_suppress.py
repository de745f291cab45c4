"""Suppression comments."""

from __future__ import annotations

import pytest
from helpers import codes

BODY = """\
import tensorflow as tf
w_hidden = tf.Variable(tf.random_normal([784, 256])){comment}
w_out = tf.Variable(tf.random_normal([256, 10]))
loss = data + 0.01 * tf.nn.l2_loss(w_out)
"""


@pytest.mark.parametrize(
    "comment, suppressed",
    [
        ("", False),
        ("  # noqa", True),
        ("  # noqa: RC101", True),
        ("  # noqa: RC102", False),
        ("  # NOQA:RC101,RC102", True),
        ("  # regcheck: ignore[RC101]", True),
        ("  # regcheck: ignore[RC406]", False),
    ],
)
def test_line_suppressions(comment: str, suppressed: bool) -> None:
    found = codes(BODY.format(comment=comment))
    assert ("RC101" not in found) is suppressed


def test_file_level_suppression() -> None:
    assert codes("# regcheck: noqa\n" + BODY.format(comment="")) == []


def test_noqa_inside_a_string_does_not_suppress() -> None:
    source = BODY.format(comment="") + 'note = "# noqa"\n'
    assert "RC101" in codes(source)
