"""RC406 positional-logits-labels: cross-entropy-with-logits called positionally."""

from __future__ import annotations

import re
from typing import Iterable

import libcst as cst

from regcheck import tf_api
from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import CallFact, ModuleFacts
from regcheck.findings import Finding, Fix

_LOGITS = re.compile(r"logit|pred|out|score|y_hat|yhat|activation|fc\d*$|dense|net", re.IGNORECASE)
_LABELS = re.compile(r"label|target|truth|onehot|one_hot|^y_?$|^y_true$|^ys?$|^y_batch$|^t$", re.IGNORECASE)
# Which positional slots the two tensors occupy in the keyword names the fix writes.
_LABELS_KEYWORD = {"tf.nn.weighted_cross_entropy_with_logits": "labels"}


class PositionalLogitsLabels(Check):
    code = "RC406"
    name = "positional-logits-labels"
    severity = "error"
    summary = "cross-entropy with logits called with positional arguments"
    fix_safety = "safe"
    triggers = (b"cross_entropy_with_logits",)

    VALID = [
        """
import tensorflow as tf
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=out, labels=y))
""",
    ]
    INVALID = [
        """
import tensorflow as tf
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(out, labels))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for call in facts.calls_named(tf_api.CROSS_ENTROPY_WITH_LOGITS):
            positional = call.positional
            if not positional:
                continue
            short = call.name.rsplit(".", 1)[-1] if call.name else "cross_entropy"
            yield self.finding(
                facts,
                call.node,
                f"`{short}` called with positional arguments: TensorFlow 1.x rejects them "
                "and TensorFlow 0.x read them as (logits, labels); spell out `logits=` and `labels=`",
                fix=_fix(facts, call),
            )


def _role(facts: ModuleFacts, node: cst.BaseExpression) -> str | None:
    text = facts.code(node).strip()
    name = text.split("(")[0].split("[")[0].split(".")[-1]
    is_logits = bool(_LOGITS.search(name))
    is_labels = bool(_LABELS.search(name))
    if is_logits == is_labels:
        return None
    return "logits" if is_logits else "labels"


def _fix(facts: ModuleFacts, call: CallFact) -> Fix | None:
    positional = call.positional
    if len(positional) != 2 or set(call.keywords) & {"logits", "labels", "targets"}:
        return None
    roles = [_role(facts, arg.value) for arg in positional]
    if None in roles:
        if roles.count(None) == 2:
            return None
        known = next(r for r in roles if r is not None)
        other = "labels" if known == "logits" else "logits"
        roles = [r if r is not None else other for r in roles]
    if roles[0] == roles[1]:
        return None
    return safe_fix(
        "Pass `logits=` and `labels=` by keyword",
        *(edits.insert_before(facts, arg.value, f"{role}=") for arg, role in zip(positional, roles)),
    )
