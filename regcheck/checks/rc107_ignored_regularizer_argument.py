"""RC107 ignored-regularizer-argument: a regularizer keyword the layer does not apply.

``SeparableConv1D/2D`` and ``DepthwiseConv1D/2D`` have no ``kernel``: their weights are a depthwise kernel
(and a pointwise one), penalized through ``depthwise_regularizer=`` / ``pointwise_regularizer=``.
tf-keras and Keras 2 take ``kernel_regularizer=`` without a word and create no penalty (measured: the
layer's ``losses`` stay empty); Keras 3 raises ``Unrecognized keyword arguments``. Either way the penalty
the code declares does not exist."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, Invalid, unsafe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.coverage import anchor_of, penalizes
from regcheck.facts.program.values import Layer
from regcheck.findings import Finding, Fix


class IgnoredRegularizerArgument(Check):
    code = "RC107"
    name = "ignored-regularizer-argument"
    severity = "error"
    summary = "a regularizer keyword the layer does not apply"
    fix_safety = "unsafe"
    graph = False
    triggers = (b"SeparableConv", b"DepthwiseConv", b"SeparableConvolution")

    VALID = [
        """
from tensorflow.keras import layers, regularizers
conv = layers.SeparableConv2D(64, 3, depthwise_regularizer=regularizers.l2(1e-4), pointwise_regularizer=regularizers.l2(1e-4))
""",
        """
import keras
x = keras.layers.DepthwiseConv2D(3, depthwise_regularizer=keras.regularizers.L2(1e-4))(inputs)
""",
        # A Conv2D has a kernel: its kernel_regularizer applies.
        """
import keras
x = keras.layers.Conv2D(32, 3, kernel_regularizer=keras.regularizers.L2(1e-4))(inputs)
""",
    ]
    INVALID = [
        Invalid(
            """
import keras
x = keras.layers.DepthwiseConv2D(3, kernel_regularizer=keras.regularizers.L2(1e-4))(inputs)
""",
            line=3,
            fixed="""
import keras
x = keras.layers.DepthwiseConv2D(3, depthwise_regularizer=keras.regularizers.L2(1e-4))(inputs)
""",
        ),
        Invalid(
            """
from tensorflow.keras import layers, regularizers
reg = regularizers.l2(4e-5)
def entry_flow(x):
    x = layers.SeparableConv2D(128, 3, padding="same", kernel_regularizer=reg)(x)
    return layers.SeparableConv2D(128, 3, padding="same", depthwise_regularizer=reg, pointwise_regularizer=reg)(x)
""",
            line=5,
            fixed="""
from tensorflow.keras import layers, regularizers
reg = regularizers.l2(4e-5)
def entry_flow(x):
    x = layers.SeparableConv2D(128, 3, padding="same", depthwise_regularizer=reg, pointwise_regularizer=reg)(x)
    return layers.SeparableConv2D(128, 3, padding="same", depthwise_regularizer=reg, pointwise_regularizer=reg)(x)
""",
        ),
        # Handed over through `**kwargs`: reported at the dict entry that names the keyword.
        """
import tensorflow as tf
reg = {"kernel_regularizer": tf.keras.regularizers.l2(1e-4)}
model = tf.keras.Sequential([tf.keras.layers.SeparableConv1D(32, 3, **reg), tf.keras.layers.Dense(1, **reg)])
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        seen: set[cst.CSTNode] = set()
        for layer, keyword in program(facts).ignored_arguments:
            declared = layer.declarations.get(keyword)
            given = layer.config.get(keyword)
            if declared is None or not penalizes(given):
                continue  # `kernel_regularizer=None`, or one that depends on what a caller passes
            if declared.facts is facts:
                where: cst.CSTNode | None = declared.node
            elif _given_at_home(declared.facts, declared.node, keyword):
                continue  # the module that writes it reports it
            else:
                where = anchor_of(facts, layer.site, innermost=True)
            if where is None or where in seen:
                continue
            seen.add(where)
            applied = _applied(layer)
            yield self.finding(
                facts,
                where,
                f"`{layer.cls}` has no kernel: `{keyword}=` is not applied to any of its weights, so the penalty "
                f"does not exist (tf-keras ignores the argument, Keras 3 rejects it); its regularizers are "
                f"{' and '.join(f'`{k}=`' for k in applied)}",
                symbol=layer.cls,
                fix=_fix(facts, layer, keyword, where, applied),
            )


def _given_at_home(home: ModuleFacts, node: cst.CSTNode, keyword: str) -> bool:
    """The module that writes the argument sees it given a regularizer whatever calls it."""
    for layer, name in program(home).ignored_arguments:
        declared = layer.declarations.get(name)
        if name == keyword and declared is not None and declared.node is node:
            given = layer.config.get(name)
            if penalizes(given):
                return True
    return False


def _applied(layer: Layer) -> list[str]:
    if layer.cls.startswith("Separable"):
        return ["depthwise_regularizer", "pointwise_regularizer"]
    return ["depthwise_regularizer"]


def _fix(facts: ModuleFacts, layer: Layer, keyword: str, where: cst.CSTNode, applied: list[str]) -> Fix | None:
    """Rename the keyword to the ones the layer applies (the same regularizer for each)."""
    call = layer.site.node
    if not isinstance(where, cst.Arg) or not isinstance(call, cst.Call) or not any(a is where for a in call.args):
        return None
    given = {a.keyword.value for a in call.args if a.keyword is not None}
    wanted = [k for k in applied if k not in given]
    if not wanted:
        return unsafe_fix(
            f"Remove `{keyword}=` (the layer already has its own regularizers)",
            edits.remove_argument(facts, call, where),
        )
    value = facts.code(where.value)
    replacement = ", ".join(f"{k}={value}" for k in wanted)
    return unsafe_fix(f"Pass it as {' and '.join(f'`{k}=`' for k in wanted)}", edits.replace(facts, where, replacement))
