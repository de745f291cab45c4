"""RC203 penalty-outside-tape: the penalty is added to the loss after the GradientTape block closed."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks.base import Check, Invalid, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.training import loss_argument
from regcheck.facts.program.values import Tape, Tensor, Term
from regcheck.findings import Edit, Finding, Fix

_PENALTIES = ("penalty", "model_losses", "collection")


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
        # The penalty is computed under the tape, but the sum that makes the loss is formed after it.
        Invalid(
            """
import tensorflow as tf
def train_step(x, y):
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        regularization_loss = tf.math.add_n(model.losses)
        pred_loss = loss_fn(y, predictions)
    total_loss = pred_loss + regularization_loss
    grads = tape.gradient(total_loss, model.trainable_variables)
""",
            line=8,
            fixed="""
import tensorflow as tf
def train_step(x, y):
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        regularization_loss = tf.math.add_n(model.losses)
        pred_loss = loss_fn(y, predictions)
        total_loss = pred_loss + regularization_loss
    grads = tape.gradient(total_loss, model.trainable_variables)
""",
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        seen: set[cst.CSTNode] = set()
        for step in program(facts).train_steps:
            tape = step.tape
            loss = step.loss
            if step.kind != "tape" or tape is None or not isinstance(loss, Tensor) or step.site.facts is not facts:
                continue
            if tape.id in loss.tapes:
                continue  # the loss is formed under the tape
            late = [t for t in loss.terms if t.kind in _PENALTIES and tape.id not in t.tapes]
            if not late:
                # Computed inside (``reg = tf.add_n(model.losses)``) but added after the block: the sum
                # that makes the loss is not recorded either.
                late = [t for t in loss.terms if t.kind in _PENALTIES]
            if not late:
                continue
            argument = loss_argument(step)
            if argument is None:
                continue
            if not isinstance(argument, cst.Name):
                if argument not in seen:
                    seen.add(argument)
                    yield self.finding(
                        facts,
                        argument,
                        "the penalty is added in the `tape.gradient` call, after the tape closed: "
                        "its gradient is never recorded",
                    )
                continue
            statement = _statement(facts, loss.node)
            if statement is None or statement in seen:
                continue
            seen.add(statement)
            yield self.finding(
                facts,
                statement,
                f"the penalty is added to `{argument.value}` after the `GradientTape` block closed: "
                "its gradient is never recorded",
                symbol=argument.value,
                fix=_move_fix(facts, tape, statement, late),
            )


def _statement(facts: ModuleFacts, node: cst.CSTNode | None) -> cst.SimpleStatementLine | None:
    if node is None:
        return None
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.SimpleStatementLine):
            return ancestor
    return None


def _move_fix(facts: ModuleFacts, tape: Tape, statement: cst.SimpleStatementLine, late: list[Term]) -> Fix | None:
    """Indent the statement into the block when it directly follows it and computes the penalty itself
    (or only adds what the block already recorded)."""
    block = tape.with_node
    holder = facts.parent(statement)
    body = getattr(holder, "body", None)
    if block is None or not isinstance(body, (list, tuple)) or statement not in body or body.index(statement) == 0:
        return None
    if body[body.index(statement) - 1] is not block or not isinstance(block.body, cst.IndentedBlock):
        return None
    if not all(tape.id in term.tapes or _computed_in(facts, term, statement) for term in late):
        return None  # the penalty is computed by an earlier statement, which would stay outside
    first = block.body.body[0]
    indent = " " * (facts.span(first).column - 1)
    span = facts.span(statement)
    return safe_fix(
        "Move the addition inside the `with tf.GradientTape()` block",
        Edit(span.line, 1, span.line, span.column, indent),
    )


def _computed_in(facts: ModuleFacts, term: Term, statement: cst.CSTNode) -> bool:
    """The term is made by the statement itself (a penalty call in it, or `model.losses` read there)."""
    site = term.site
    if site is None:
        return True  # `model.losses` and collection reads are made where they are written
    return site.facts is facts and any(a is statement for a in facts.ancestors(site.node))
