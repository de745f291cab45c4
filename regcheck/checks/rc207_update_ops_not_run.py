"""RC207 update-ops-not-run: TF1 batch norm statistics never update."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import CallFact, ModuleFacts, vocabulary
from regcheck.facts.dataflow import is_none_literal, literal_value, resolve_expr
from regcheck.facts.training import is_update_ops_key, minimize_calls
from regcheck.findings import Finding, Fix


class UpdateOpsNotRun(Check):
    code = "RC207"
    name = "update-ops-not-run"
    severity = "warning"
    summary = "the train op does not depend on UPDATE_OPS"
    fix_safety = "safe"
    graph = True
    triggers = (b"batch_norm",)  # also `normalizer_fn=slim.batch_norm`

    VALID = [
        # Batch norm that updates its statistics in place.
        """
import tensorflow as tf
slim = tf.contrib.slim
params = {"decay": 0.9997, "updates_collections": None}
with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params=params):
    net = slim.conv2d(images, 32, [3, 3])
train_op = tf.train.RMSPropOptimizer(0.01).minimize(loss)
""",
        """
import tensorflow.compat.v1 as tf
h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=is_training)
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = tf.train.AdamOptimizer().minimize(loss)
""",
        """
import tensorflow.compat.v1 as tf
h = tf.layers.dense(x, 64)
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
    ]
    INVALID = [
        """
import tensorflow.compat.v1 as tf
h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=is_training)
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
        # slim's arg_scope hands batch norm to every conv layer.
        """
import tensorflow as tf
slim = tf.contrib.slim
params = {"decay": 0.9997, "epsilon": 0.001}
with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params=params):
    net = slim.conv2d(images, 32, [3, 3])
train_op = tf.train.RMSPropOptimizer(0.01).minimize(loss)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        norms: list[cst.CSTNode] = [
            c.node for c in facts.calls_named(vocabulary.BATCH_NORM_FUNCS) if not _updates_in_place(c)
        ]
        norms += _normalizer_fns(facts)
        if not norms or _handles_update_ops(facts):
            return
        train_ops = [fact for fact in minimize_calls(facts) if fact.kind == "minimize"]
        if not train_ops:
            return
        first = min(facts.span(node).line for node in norms)  # positions only when there is a finding
        for fact in train_ops:
            yield self.finding(
                facts,
                fact.call.node,
                f"batch normalization (line {first}) puts its moving-average updates in UPDATE_OPS, "
                "but this train op does not depend on them, so the statistics used at inference never update",
                fix=_fix(facts, fact.call),
            )


def _updates_in_place(call: CallFact) -> bool:
    return is_none_literal(call.value("updates_collections"))


def _normalizer_fns(facts: ModuleFacts) -> list[cst.CSTNode]:
    """``normalizer_fn=slim.batch_norm`` (in a layer call or an ``arg_scope``): batch norm too, unless its
    ``normalizer_params`` set ``updates_collections=None``."""
    found: list[cst.CSTNode] = []
    for call in facts.calls:
        arg = call.arg("normalizer_fn")
        if arg is None or facts.canonical(arg.value) not in vocabulary.BATCH_NORM_FUNCS:
            continue
        params = call.value("normalizer_params")
        if params is not None and any(_sets_in_place(value) for value in resolve_expr(facts, params)):
            continue
        found.append(arg)
    return found


def _sets_in_place(value: cst.BaseExpression) -> bool:
    if not isinstance(value, cst.Dict):
        return False
    for element in value.elements:
        if isinstance(element, cst.DictElement) and literal_value(element.key) == "updates_collections":
            return is_none_literal(element.value)
    return False


def _handles_update_ops(facts: ModuleFacts) -> bool:
    for call in facts.calls:
        if call.name in vocabulary.UPDATE_AWARE_TRAIN_OPS:
            return True
        if call.name == "tf.get_collection" and is_update_ops_key(facts, call.value("key", 0)):
            return True
    return False


def _fix(facts: ModuleFacts, call: CallFact) -> Fix | None:
    prefix = facts.tf_prefix(compat_v1=True)
    statement = next((a for a in facts.ancestors(call.node) if isinstance(a, cst.SimpleStatementLine)), None)
    if prefix is None or statement is None or len(statement.body) != 1:
        return None
    if not isinstance(facts.parent(statement), (cst.IndentedBlock, cst.Module)):
        return None
    span = facts.span(statement.body[0])
    text = facts.text(span)
    if '"""' in text or "'''" in text:
        return None  # re-indenting would change a multi-line string
    indent = facts.lines[span.line - 1][: span.column - 1]
    step = facts.module.default_indent
    newline = facts.module.default_newline
    body = text.replace(newline, newline + step)
    replacement = (
        f"with {prefix}.control_dependencies({prefix}.get_collection({prefix}.GraphKeys.UPDATE_OPS)):"
        f"{newline}{indent}{step}{body}"
    )
    return safe_fix("Run UPDATE_OPS before the train step", edits.replace(facts, statement.body[0], replacement))
