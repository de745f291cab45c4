"""RC406 positional-logits-labels: cross-entropy-with-logits called positionally."""

from __future__ import annotations

import re
from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import CallFact, ModuleFacts, vocabulary
from regcheck.facts.tf_generation import generation
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
    triggers = (b"cross_entropy",)

    VALID = [
        """
import tensorflow as tf
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=out, labels=y))
""",
        # TF2: `(labels, logits)` is the signature.
        """
import tensorflow.compat.v2 as tf
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels, logits))
""",
        # TF1's tf.losses take (labels, logits) positionally.
        """
import tensorflow.compat.v1 as tf
loss = tf.losses.softmax_cross_entropy(onehot_labels, logits)
""",
    ]
    INVALID = [
        # TF1 graph code (tf.placeholder): positional arguments raise.
        """
import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 784])
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(out, labels))
""",
        """
import tensorflow.compat.v1 as tf
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits, y))
""",
        # TF2 with the tensors swapped.
        """
import tensorflow as tf
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits, labels))
""",
        # TF1's tf.losses with logits first.
        """
import tensorflow as tf
loss = tf.losses.softmax_cross_entropy(logits, onehot_labels)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for call in facts.calls_named(vocabulary.CROSS_ENTROPY_WITH_LOGITS | _TF1_LOSSES.keys()):
            positional = call.positional
            if not positional or call.name is None:
                continue
            short = call.name.rsplit(".", 1)[-1]
            if call.name in _TF1_LOSSES:
                # `tf.losses.*(labels, logits)`: positional is the signature; wrong only when swapped.
                if _swapped(facts, call):
                    yield self.finding(
                        facts,
                        call.node,
                        f"`{short}` takes `({_TF1_LOSSES[call.name]}, logits)`: the arguments are passed as "
                        "(logits, labels), so the loss is computed on swapped tensors",
                        fix=_fix(facts, call, _TF1_LOSSES[call.name]),
                    )
                continue
            if generation(facts, call) == "v2":
                # TF2's signature is `(labels, logits)`: positional is fine unless they look swapped.
                if _swapped(facts, call):
                    yield self.finding(
                        facts,
                        call.node,
                        f"`{short}` takes `(labels, logits)` in TensorFlow 2, but the arguments look like "
                        "(logits, labels); spell out `logits=` and `labels=`",
                        fix=_fix(facts, call),
                    )
                continue
            yield self.finding(
                facts,
                call.node,
                f"`{short}` called with positional arguments: TensorFlow 1.x rejects them "
                "and TensorFlow 0.x read them as (logits, labels); spell out `logits=` and `labels=`",
                fix=_fix(facts, call),
            )


# TF1's tf.losses functions: positional (labels, logits) under the labels' own keyword.
_TF1_LOSSES = {
    "tf.losses.softmax_cross_entropy": "onehot_labels",
    "tf.losses.sparse_softmax_cross_entropy": "labels",
    "tf.losses.sigmoid_cross_entropy": "multi_class_labels",
}


def _swapped(facts: ModuleFacts, call: CallFact) -> bool:
    positional = call.positional
    if len(positional) < 2:
        return False
    first, second = _role(facts, positional[0].value), _role(facts, positional[1].value)
    return first == "logits" and second == "labels"


def _role(facts: ModuleFacts, node: cst.BaseExpression) -> str | None:
    key = _subscript_key(node)
    text = facts.code(node).strip()
    name = key if key is not None else text.split("(")[0].split("[")[0].split(".")[-1]
    is_logits = bool(_LOGITS.search(name))
    is_labels = bool(_LABELS.search(name))
    if is_logits == is_labels:
        return None
    return "logits" if is_logits else "labels"


def _subscript_key(node: cst.BaseExpression) -> str | None:
    """``end_points['AuxLogits']``: the key names the tensor."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        value = node.slice[0].slice.value
        if isinstance(value, cst.SimpleString):
            key = value.evaluated_value
            return key if isinstance(key, str) else None
    return None


def _fix(facts: ModuleFacts, call: CallFact, labels_keyword: str = "labels") -> Fix | None:
    positional = call.positional
    if call.name in _TF1_LOSSES:
        positional = positional[:2]
        if set(call.keywords) & {"logits", labels_keyword}:
            return None
    elif len(positional) != 2 or set(call.keywords) & {"logits", "labels", "targets"}:
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
    keywords = [labels_keyword if role == "labels" else role for role in roles]
    if call.name in _TF1_LOSSES and len(call.positional) > 2:
        return None  # a third positional argument (weights) cannot follow keywords
    return safe_fix(
        f"Pass `logits=` and `{labels_keyword}=` by keyword",
        *(edits.insert_before(facts, arg.value, f"{kw}=") for arg, kw in zip(positional, keywords)),
    )
