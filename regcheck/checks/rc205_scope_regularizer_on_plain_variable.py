"""RC205 scope-regularizer-on-plain-variable: tf.Variable ignores variable_scope(regularizer=)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import CallFact, ModuleFacts
from regcheck.facts.dataflow import literal_value
from regcheck.findings import Finding, Fix

# tf.get_variable keywords that tf.Variable also takes with the same meaning.
_SHARED_KEYWORDS = frozenset({"trainable", "collections", "validate_shape", "caching_device", "dtype", "constraint"})


# Constructors that create a variable directly, ignoring scope regularizers (tfe.Variable is
# tf.contrib.eager's spelling of tf.Variable).
_PLAIN_VARIABLES = frozenset({"tf.Variable", "tf.contrib.eager.Variable"})


class ScopeRegularizerOnPlainVariable(Check):
    code = "RC205"
    name = "scope-regularizer-on-plain-variable"
    severity = "error"
    summary = "a scope regularizer is expected to cover tf.Variable"
    fix_safety = "unsafe"
    triggers = (b"variable_scope", b"arg_scope")

    VALID = [
        """
import tensorflow.compat.v1 as tf
with tf.variable_scope("fc", regularizer=tf.keras.regularizers.l2(0.01)):
    w = tf.get_variable("w", [784, 10])
""",
        """
import tensorflow.compat.v1 as tf
with tf.variable_scope("fc"):
    w = tf.Variable(tf.zeros([784, 10]), name="w")
""",
    ]
    INVALID = [
        # tf.contrib.eager's Variable is a plain variable too.
        """
import tensorflow.compat.v1 as tf
import tensorflow.contrib.eager as tfe
with tf.variable_scope("net", regularizer=tf.keras.regularizers.L2(0.1)):
    w = tfe.Variable(tf.zeros([784, 10]))
""",
        """
import tensorflow.compat.v1 as tf
with tf.variable_scope("fc", regularizer=tf.keras.regularizers.l2(0.01)):
    w = tf.Variable(tf.truncated_normal([784, 10]), name="w")
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for call in facts.calls_named(_PLAIN_VARIABLES):
            scope = _regularizing_scope(facts, call)
            if scope is None:
                continue
            yield self.finding(
                facts,
                call.node,
                f"`{facts.code(call.node.func)}` ignores the regularizer of the enclosing `{scope}`; "
                "only tf.get_variable picks it up",
                fix=_fix(facts, call),
            )


def _regularizing_scope(facts: ModuleFacts, call: CallFact) -> str | None:
    for item in call.withs:
        scope = facts.call(item.item)
        if scope is None:
            continue
        if scope.name == "tf.variable_scope" and scope.value("regularizer") is not None:
            return "variable_scope(regularizer=...)"
        if scope.name == "slim.arg_scope" and scope.value("weights_regularizer") is not None:
            return "arg_scope(weights_regularizer=...)"
    return None


def _fix(facts: ModuleFacts, call: CallFact) -> Fix | None:
    func = call.node.func
    if not isinstance(func, cst.Attribute):
        return None
    init = call.value("initial_value", 0)
    if init is None or len(call.positional) > 1:
        return None
    keywords = call.keywords
    if set(keywords) - _SHARED_KEYWORDS - {"name", "initial_value"}:
        return None
    name = literal_value(call.value("name"))
    if not isinstance(name, str):
        parent = facts.parent(call.node)
        target = parent.targets[0].target if isinstance(parent, cst.Assign) and len(parent.targets) == 1 else None
        if not isinstance(target, cst.Name):
            return None
        name = target.value
    extra = "".join(
        f", {facts.code(arg).strip().rstrip(',')}" for key, arg in keywords.items() if key in _SHARED_KEYWORDS
    )
    new_func = facts.code(func.with_changes(attr=cst.Name("get_variable")))
    replacement = f"{new_func}({json.dumps(name)}, initializer={facts.code(init)}{extra})"
    return unsafe_fix(
        "Create it with `tf.get_variable` so the scope regularizer applies",
        edits.replace(facts, call.node, replacement),
    )
