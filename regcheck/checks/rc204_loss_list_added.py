"""RC204 loss-list-added: a Python list of losses added to a scalar loss broadcasts."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.dataflow import literal_value, resolve_expr
from regcheck.facts.subtrees import additions
from regcheck.facts.training import collection_registrations
from regcheck.findings import Finding, Fix


class LossListAdded(Check):
    code = "RC204"
    name = "loss-list-added"
    severity = "error"
    summary = "a list of losses is added to a scalar loss"
    fix_safety = "safe"
    triggers = (b"get_collection", b"get_regularization_losses", b".losses")

    VALID = [
        """
import tensorflow.compat.v1 as tf
loss = data_loss + tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
""",
        """
import tensorflow as tf
losses = model.losses + [extra_penalty]
loss = data_loss + sum(model.losses)
""",
        # Lists of variables and ops concatenated: no loss involved.
        """
import tensorflow.compat.v1 as tf
saved = tf.trainable_variables() + tf.get_collection("moving_vars")
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
train_ops = update_ops + summary_ops
""",
    ]
    INVALID = [
        """
import tensorflow.compat.v1 as tf
loss = data_loss + tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
""",
        """
import tensorflow as tf
reg_losses = tf.losses.get_regularization_losses()
loss = data_loss + reg_losses
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for node in additions(facts):
            pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]]
            if isinstance(node, cst.AugAssign):
                pairs = [(node.value, node.target)]
            else:
                pairs = [(node.left, node.right), (node.right, node.left)]
            for operand, other in pairs:
                kind = _list_kind(facts, operand)
                if (
                    kind is None
                    or _list_kind(facts, other, exclude=operand) is not None
                    or _is_list_literal(facts, other)
                ):
                    continue
                yield self.finding(
                    facts,
                    operand,
                    f"`{facts.code(operand).strip()}` is a list of losses; adding it to a scalar loss "
                    "broadcasts into a vector loss instead of summing the penalties",
                    fix=_fix(facts, operand, kind),
                )


def _list_kind(facts: ModuleFacts, node: cst.BaseExpression, exclude: cst.CSTNode | None = None) -> str | None:
    """ "collection" or "model" when the expression is a list of loss tensors, else None."""
    # `loss += reg_list` binds `loss` to the list too; that binding says nothing about `loss`.
    values = [v for v in resolve_expr(facts, node) if v is not exclude]
    if not values:
        return None
    kinds = {_direct_kind(facts, value) for value in values}
    if len(kinds) == 1:
        return kinds.pop()
    return None


def _direct_kind(facts: ModuleFacts, node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Call):
        fact = facts.call(node)
        if fact is not None and fact.name in vocabulary.LOSS_LIST_FUNCS:
            return "collection"
        if fact is not None and fact.name == "tf.get_collection" and _loss_collection(facts, fact.value("key", 0)):
            return "collection"
    if isinstance(node, cst.Attribute) and node.attr.value == "losses" and facts.canonical(node) is None:
        return "model"
    return None


# The collections that hold loss tensors; UPDATE_OPS, variables and summaries are lists of something else.
_LOSS_COLLECTION_KEYS = frozenset({"tf.GraphKeys.REGULARIZATION_LOSSES", "tf.GraphKeys.LOSSES"})
_LOSS_COLLECTION_NAMES = frozenset({"regularization_losses", "losses"})


def _loss_collection(facts: ModuleFacts, key: cst.BaseExpression | None) -> bool:
    if key is None:
        return False
    if facts.canonical(key) in _LOSS_COLLECTION_KEYS:
        return True
    return any(literal_value(value) in _LOSS_COLLECTION_NAMES for value in resolve_expr(facts, key))


# Calls and attributes whose value is a Python list (of variables, ops, losses ...), never a scalar loss.
_LIST_CALLS = frozenset(
    {
        "tf.get_collection",
        "tf.trainable_variables",
        "tf.global_variables",
        "tf.all_variables",
        "tf.model_variables",
        "tf.local_variables",
        "slim.get_model_variables",
        "slim.get_variables",
    }
)


def _is_list_literal(facts: ModuleFacts, node: cst.BaseExpression, depth: int = 4) -> bool:
    """The other operand is a list too: list + list concatenates, which is what the code means."""
    if isinstance(node, (cst.List, cst.ListComp, cst.Tuple)):
        return True
    if depth == 0:
        return False
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _is_list_literal(facts, node.left, depth - 1) or _is_list_literal(facts, node.right, depth - 1)
    if isinstance(node, cst.Call):
        fact = facts.call(node)
        if fact is not None and (fact.name in _LIST_CALLS or fact.name in vocabulary.LOSS_LIST_FUNCS):
            return True
        return isinstance(node.func, cst.Name) and node.func.value in ("list", "sorted")
    if isinstance(node, cst.Attribute) and node.attr.value in vocabulary.VARIABLE_LIST_ATTRIBUTES | {
        "losses",
        "updates",
    }:
        return True
    if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
        values = resolve_expr(facts, node)
        return bool(values) and any(v is not node and _is_list_literal(facts, v, depth - 1) for v in values)
    return False


def _fix(facts: ModuleFacts, operand: cst.BaseExpression, kind: str) -> Fix:
    prefix = facts.tf_prefix()
    if kind == "collection" and prefix is not None and collection_registrations(facts):
        wrapper = f"{prefix}.add_n"
    else:
        wrapper = "sum"  # also right for an empty list, where tf.add_n raises
    return safe_fix(
        f"Sum the list with `{wrapper}(...)`",
        edits.insert_before(facts, operand, f"{wrapper}("),
        edits.insert_after(facts, operand, ")"),
    )
