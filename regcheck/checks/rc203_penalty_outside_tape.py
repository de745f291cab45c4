"""RC203 penalty-outside-tape: the penalty is added to the loss after the GradientTape block closed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import closure
from regcheck.facts.subtrees import nodes_in
from regcheck.facts.tapes import GradientCall, gradient_calls, inside, is_penalty_node
from regcheck.findings import Edit, Finding, Fix


class PenaltyOutsideTape(Check):
    code = "RC203"
    name = "penalty-outside-tape"
    severity = "error"
    summary = "the penalty is added after the GradientTape block closed"
    fix_safety = "safe"
    triggers = (b"GradientTape",)

    VALID = [
        """
import tensorflow as tf
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
    loss += sum(model.losses)
grads = tape.gradient(loss, model.trainable_variables)
""",
        # Adding after the gradient was taken is logging, not training.
        """
import tensorflow as tf
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x)) + sum(model.losses)
grads = tape.gradient(loss, model.trainable_variables)
total = loss + 0.01 * tf.nn.l2_loss(w)
""",
    ]
    INVALID = [
        """
import tensorflow as tf
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
loss += sum(model.losses)
grads = tape.gradient(loss, model.trainable_variables)
""",
        """
import tensorflow as tf
def step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    loss = loss + 1e-4 * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables])
    grads = tape.gradient(loss, model.trainable_variables)
""",
        """
import tensorflow as tf
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
grads = tape.gradient(loss + tf.add_n(model.losses), model.trainable_variables)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for grad in gradient_calls(facts):
            if grad.tape is None or inside(facts, grad.call.node, grad.tape.with_node):
                continue
            if _has_penalty(facts, grad.target, grad.tape.with_node, follow=False):
                yield self.finding(
                    facts,
                    grad.target,
                    "the penalty is added in the `tape.gradient` call, after the tape closed: its gradient is never recorded",
                )
                continue
            for statement, value in _late_additions(facts, grad):
                yield self.finding(
                    facts,
                    statement,
                    f"the penalty is added to `{facts.code(grad.target)}` after the `GradientTape` block closed: "
                    "its gradient is never recorded",
                    symbol=facts.code(grad.target),
                    fix=_move_fix(facts, grad.tape.with_node, statement, value),
                )


def _late_additions(
    facts: ModuleFacts, grad: GradientCall
) -> Iterator[tuple[cst.SimpleStatementLine, cst.BaseExpression]]:
    """Assignments to the target between the end of the tape block and the gradient call that add a penalty."""
    if not isinstance(grad.target, cst.Name) or grad.tape is None:
        return
    for target, values in facts.bound_values.items():
        if not (isinstance(target, cst.Name) and target.value == grad.target.value):
            continue
        # Cheap tests first: positions cost a code-generation pass over the whole module.
        if inside(facts, target, grad.tape.with_node) or _function_of(facts, target) is not grad.call.function:
            continue
        start, end = facts.span(grad.tape.with_node).end_line, facts.span(grad.call.node).line
        if not start < facts.span(target).line <= end:
            continue
        statement = next((a for a in facts.ancestors(target) if isinstance(a, cst.SimpleStatementLine)), None)
        for value in values:
            if statement is not None and _has_penalty(
                facts, value, grad.tape.with_node, follow=True, skip=target.value
            ):
                yield statement, value


def _function_of(facts: ModuleFacts, node: cst.CSTNode) -> cst.FunctionDef | None:
    return next((a for a in facts.ancestors(node) if isinstance(a, cst.FunctionDef)), None)


def _has_penalty(
    facts: ModuleFacts, expr: cst.BaseExpression, tape: cst.With, follow: bool, skip: str | None = None
) -> bool:
    """A penalty computed outside the tape is part of ``expr`` (through names when ``follow``)."""
    if follow:
        nodes: list[cst.CSTNode] = [node for n in _operands(expr, skip) for node in closure(facts, n).nodes]
    else:
        nodes = list(nodes_in(expr))
    return any(is_penalty_node(facts, node) and not inside(facts, node, tape) for node in nodes)


def _operands(expr: cst.BaseExpression, skip: str | None) -> list[cst.BaseExpression]:
    """``loss + reg`` -> [reg] when ``loss`` is the target itself: the old value is not the penalty."""
    if isinstance(expr, cst.BinaryOperation):
        return _operands(expr.left, skip) + _operands(expr.right, skip)
    if isinstance(expr, cst.Name) and expr.value == skip:
        return []
    return [expr]


def _move_fix(
    facts: ModuleFacts, tape: cst.With, statement: cst.SimpleStatementLine, value: cst.BaseExpression
) -> Fix | None:
    """Indent the statement into the block when it directly follows it and computes the penalty itself."""
    holder = facts.parent(statement)
    body = getattr(holder, "body", None)
    if not isinstance(body, (list, tuple)) or statement not in body or body.index(statement) == 0:
        return None
    if body[body.index(statement) - 1] is not tape or not isinstance(tape.body, cst.IndentedBlock):
        return None
    if not any(is_penalty_node(facts, node) for node in nodes_in(value)):
        return None  # the penalty is computed by an earlier statement, which would stay outside
    first = tape.body.body[0]
    indent = " " * (facts.span(first).column - 1)
    span = facts.span(statement)
    return safe_fix(
        "Move the addition inside the `with tf.GradientTape()` block",
        Edit(span.line, 1, span.line, span.column, indent),
    )
