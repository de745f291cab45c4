"""RC207 update-ops-not-run: TF1 batch norm statistics never update."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.training import unit_of
from regcheck.facts.program.values import contradict
from regcheck.findings import Finding, Fix


class UpdateOpsNotRun(Check):
    code = "RC207"
    name = "update-ops-not-run"
    severity = "warning"
    summary = "the train op does not depend on UPDATE_OPS"
    fix_safety = "safe"
    graph = True
    # Reported at the call that trains: the penalties or the batch norm may be built in another module.
    triggers = (b"minimize",)
    import_triggers = (b"minimize",)  # a helper of an imported module minimizes

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
        # Minimized first, and the loss made to wait afterwards: the estimator (or a session) fetches
        # that loss with the train op, in one run that runs the updates.
        """
import tensorflow.compat.v1 as tf
def model_fn(features, labels, mode, params):
    h = tf.layers.batch_normalization(tf.layers.dense(features, 64), training=True)
    loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - labels))
    train_op = tf.train.AdamOptimizer().minimize(loss, tf.train.get_global_step())
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        loss = tf.identity(loss)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
""",
        """
import tensorflow.compat.v1 as tf
h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=True)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
train_op = tf.train.AdamOptimizer().minimize(loss)
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    loss = tf.identity(loss)
with tf.Session() as sess:
    _, value = sess.run([train_op, loss])
""",
        # The unwired branch is taken only when no batch norm was built: one flag decides both.
        """
import tensorflow.compat.v1 as tf
h = tf.layers.dense(x, 64)
if params.use_batch_norm:
    h = tf.layers.batch_normalization(h, training=True)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
if params.use_batch_norm:
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer().minimize(loss)
else:
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
        # A loss made to wait for the updates, then minimized: the gradients need only its (static)
        # shape, not its value, so the train op alone never runs the updates (measured with TF).
        """
import tensorflow.compat.v1 as tf
h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=is_training)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    loss = tf.identity(loss)
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
        """
import tensorflow.compat.v1 as tf
from tensorflow.python.ops import control_flow_ops
h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=is_training)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
loss = control_flow_ops.with_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS), loss)
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
        # What waits for the updates is a copy of the loss that nothing minimizes.
        """
import tensorflow.compat.v1 as tf
h = tf.layers.batch_normalization(tf.layers.dense(x, 64), training=is_training)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    reported = tf.identity(loss)
train_op = tf.train.AdamOptimizer().minimize(loss)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        prog = program(facts)
        for step in prog.train_steps:
            graph = step.graph
            if step.kind != "minimize" or step.update_ops or graph is None or not graph.update_ops:
                continue
            unit = unit_of(prog, step)
            trained = set(unit.variables) if unit is not None and unit.variables else None
            norms = [
                site
                for site, variables in graph.update_ops
                if (trained is None or not variables or set(variables) & trained)
                and not contradict(graph.update_assumptions.get(id(site), frozenset()), step.assumptions)
            ]
            if not norms:
                continue
            where = step.site.node if step.site.facts is facts else step.site.via(facts)
            if where is None:
                continue
            lines = [facts.span(s.node).line for s in norms if s.facts is facts]
            first = f" (line {min(lines)})" if lines else ""
            yield self.finding(
                facts,
                where,
                f"batch normalization{first} puts its moving-average updates in UPDATE_OPS, "
                "but this train op does not depend on them, so the statistics used at inference never update",
                fix=_fix(facts, where) if where is step.site.node and isinstance(where, cst.Call) else None,
            )


def _fix(facts: ModuleFacts, call: cst.Call) -> Fix | None:
    prefix = facts.tf_prefix(compat_v1=True)
    statement = next((a for a in facts.ancestors(call) if isinstance(a, cst.SimpleStatementLine)), None)
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
