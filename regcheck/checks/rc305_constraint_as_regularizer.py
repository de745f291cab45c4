"""RC305 constraint-as-regularizer: a weight constraint passed as ``*_regularizer=``.

Keras takes any callable as a regularizer and adds what it returns to ``model.losses``.
A constraint returns the (clipped) weight tensor itself, so the "penalty" is the whole
``[in, out]`` kernel, summed into the loss by broadcasting, and no constraint is ever
applied. Checked with Keras 3.15.1 and tf-keras 2.21 alike: both accept it silently.

Constraints: ``keras.constraints.*`` (``max_norm`` / ``MaxNorm``, ``unit_norm``,
``non_neg``, ``min_max_norm`` ...) and callables whose result is ``tf.clip_by_norm`` of
their argument (``lambda w: tf.clip_by_norm(w, 3, axes=[0])``). The unsafe fix moves
the argument to the matching ``*_constraint=``: a modelling choice the user confirms
(the penalty they got, however wrong, goes away).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import CallFact, ModuleFacts, vocabulary
from regcheck.facts.dataflow import resolve_expr, values_of
from regcheck.findings import Finding, Fix

# The regularizer keyword -> the constraint keyword of the same weight (None: there is none).
_CONSTRAINT_OF = {
    "kernel_regularizer": "kernel_constraint",
    "bias_regularizer": "bias_constraint",
    "depthwise_regularizer": "depthwise_constraint",
    "pointwise_regularizer": "pointwise_constraint",
    "recurrent_regularizer": "recurrent_constraint",
    "embeddings_regularizer": "embeddings_constraint",
    "gamma_regularizer": "gamma_constraint",
    "beta_regularizer": "beta_constraint",
    "regularizer": "constraint",  # get_variable / add_weight
    "activity_regularizer": None,  # outputs have no constraint
    "W_regularizer": "W_constraint",  # Keras 1
    "b_regularizer": "b_constraint",
}
_CONSTRAINT_PREFIX = "keras.constraints."
_NOT_CONSTRAINTS = frozenset({"keras.constraints.get", "keras.constraints.serialize", "keras.constraints.deserialize"})


class ConstraintAsRegularizer(Check):
    code = "RC305"
    name = "constraint-as-regularizer"
    severity = "error"
    summary = "a weight constraint passed as a regularizer"
    fix_safety = "unsafe"
    graph = True
    triggers = (b"_regularizer", b"regularizer=")

    VALID = [
        """
import keras
dense = keras.layers.Dense(64, kernel_constraint=keras.constraints.max_norm(3), kernel_regularizer=keras.regularizers.L2(1e-4))
""",
        # A clip inside a real penalty is a penalty.
        """
import tensorflow as tf
dense = tf.keras.layers.Dense(64, kernel_regularizer=lambda w: 1e-4 * tf.reduce_sum(tf.square(tf.clip_by_norm(w, 3.0))))
""",
    ]
    INVALID = [
        """
import keras
dense = keras.layers.Dense(64, kernel_regularizer=keras.constraints.max_norm(3))
""",
        """
from tensorflow.keras import constraints, layers
conv = layers.Conv2D(32, 3, kernel_regularizer=constraints.UnitNorm(axis=[0, 1, 2]), bias_regularizer=constraints.NonNeg())
""",
        """
import tensorflow as tf
clip = lambda w: tf.clip_by_norm(w, 2.0, axes=[0])
dense = tf.keras.layers.Dense(64, kernel_regularizer=clip)
""",
        """
import tf_keras as keras
def bounded(w):
    return keras.constraints.min_max_norm(0.5, 2.0)(w)
dense = keras.layers.Dense(64, kernel_regularizer=bounded, activity_regularizer=keras.constraints.non_neg())
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for call in facts.calls:
            if call.name is not None and call.name.startswith(_CONSTRAINT_PREFIX):
                continue
            for keyword, constraint_keyword in _CONSTRAINT_OF.items():
                arg = call.arg(keyword)
                if arg is None:
                    continue
                what = _constraint(facts, arg.value)
                if what is None:
                    continue
                if constraint_keyword is None:
                    consequence = "and outputs take no constraint: drop it"
                else:
                    consequence = f"and the weight gets no constraint (`{constraint_keyword}=` applies one)"
                yield self.finding(
                    facts,
                    arg.value,
                    f"{what} is a constraint, passed as `{keyword}=`: Keras adds its output (the whole clipped "
                    f"weight tensor) to `model.losses` {consequence}",
                    symbol=keyword,
                    fix=_move_fix(facts, call, arg, constraint_keyword),
                )


def _constraint(facts: ModuleFacts, value: cst.BaseExpression) -> str | None:
    """How the code spells the constraint ``value`` is, or None when it is not one."""
    functions = values_of(facts, value).functions if isinstance(value, cst.Name) else []
    for candidate in [value, *resolve_expr(facts, value), *functions]:
        call = facts.call(candidate) if isinstance(candidate, cst.Call) else None
        if call is not None and _is_constraint_name(call.name):
            return f"`{facts.code(call.node.func)}(...)`"
        if isinstance(candidate, (cst.Name, cst.Attribute)) and _is_constraint_name(facts.canonical(candidate)):
            return f"`{facts.code(candidate)}`"
        if isinstance(candidate, cst.Lambda) and _clips_param(facts, candidate.params, [candidate.body]):
            return "a `clip_by_norm` callable"
        if isinstance(candidate, cst.FunctionDef) and _clips_param(
            facts, candidate.params, facts.returns.get(candidate, [])
        ):
            return f"`{candidate.name.value}` (it returns its argument, bounded)"
    return None


def _is_constraint_name(name: str | None) -> bool:
    if name is None or not name.startswith(_CONSTRAINT_PREFIX) or name in _NOT_CONSTRAINTS:
        return False
    return name.rsplit(".", 1)[1] != "Constraint"  # the base class alone constrains nothing


def _clips_param(facts: ModuleFacts, params: cst.Parameters, results: list[cst.BaseExpression]) -> bool:
    """Every result is ``clip_by_norm(param, ...)`` or a constraint applied to ``param``: the weight, bounded."""
    if not params.params or not results:
        return False
    param = params.params[0].name.value
    for result in results:
        call = facts.call(result) if isinstance(result, cst.Call) else None
        if call is None or not call.node.args:
            return False
        first = call.node.args[0].value
        applied = isinstance(first, cst.Name) and first.value == param
        clip = call.name in vocabulary.CLIP_BY_NORM
        inner = facts.call(call.node.func) if isinstance(call.node.func, cst.Call) else None
        constraint_applied = inner is not None and _is_constraint_name(inner.name)
        if not (applied and (clip or constraint_applied)):
            return False
    return True


def _move_fix(facts: ModuleFacts, call: CallFact, arg: cst.Arg, constraint_keyword: str | None) -> Fix | None:
    if constraint_keyword is None or call.arg(constraint_keyword) is not None or arg.keyword is None:
        return None  # no matching keyword, or the weight already has a constraint: the user decides
    return unsafe_fix(
        f"Pass it as `{constraint_keyword}=` instead",
        edits.replace(facts, arg.keyword, constraint_keyword),
    )
