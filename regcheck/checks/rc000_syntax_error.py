"""RC000 syntax-error: the file or notebook cell does not parse.

The pipeline reports it (``regcheck.lint.module``, ``regcheck.sources.notebooks``) before any
check runs; this module is the rule's home: its metadata and samples.
"""

from __future__ import annotations

from regcheck.checks.base import Rule


class SyntaxErrorRule(Rule):
    code = "RC000"
    name = "syntax-error"
    severity = "error"
    summary = "the file or notebook cell does not parse"

    VALID = [
        """
import tensorflow as tf
loss = tf.reduce_mean(x)
""",
    ]
    INVALID = [
        """
import tensorflow as tf
loss = tf.reduce_mean(x
""",
    ]
