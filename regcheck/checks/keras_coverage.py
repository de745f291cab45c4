"""RC101 / RC102 for Keras layers: which kernels and biases of one model carry ``*_regularizer=``.

The TF1 halves of these rules live in rc101_unregularized_weight.py and
rc102_regularized_bias.py; these classes add the Keras view (models built by
functions, classes, Sequential lists and helpers, across modules) under the
same codes. RC103 reuses ``penalized_args`` for normalization and embeddings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.keras_layers import EMPTY, Reg, regularizer_kind
from regcheck.facts.keras_models import LayerUse, ModelInfo
from regcheck.facts.keras_units import module_models
from regcheck.facts.roles import Role
from regcheck.facts.subtrees import names_read
from regcheck.findings import Finding, Fix


def is_kernel_layer(use: LayerUse) -> bool:
    layer = use.layer
    return layer.kind == "kernel" or (layer.kind == "weight" and layer.role is Role.WEIGHT)


def anchor(facts: ModuleFacts, use: LayerUse, node: cst.CSTNode, arg: cst.Arg | None = None) -> cst.CSTNode | None:
    """Where to report about a layer: the layer itself when the verdict holds for every call of it
    (None when that layer is in another module, which reports it), else the call in this module that
    leads to it."""
    local = use.facts is facts
    if local and (use.via is None or arg is None or _same_without_env(use, arg)):
        return node
    if not local and arg is not None and _same_without_env(use, arg):
        return None  # the same at every call: reported once, where the layer is built, not at each importer
    return use.via


def _same_without_env(use: LayerUse, arg: cst.Arg) -> bool:
    return regularizer_kind(use.facts, arg.value, EMPTY) == regularizer_kind(use.facts, arg.value, use.env)


def penalized_args(facts: ModuleFacts, targets: tuple[str, ...]) -> Iterator[tuple[LayerUse, cst.Arg, cst.CSTNode]]:
    """Active regularizer arguments on ``targets`` of every model here, with their report anchor (deduplicated)."""
    seen: set[cst.CSTNode] = set()
    for model in module_models(facts):
        for use in model.uses:
            for target in targets:
                if not use.reg(target).active:
                    continue
                for arg in use.layer.regularizer_args(target):
                    if not regularizer_kind(use.facts, arg.value, use.env).active:
                        continue
                    where = anchor(facts, use, arg, arg)
                    if where is not None and where not in seen:
                        seen.add(where)
                        yield use, arg, where


def remove_arg_fix(facts: ModuleFacts, use: LayerUse, arg: cst.Arg, where: cst.CSTNode, what: str) -> Fix | None:
    if where is not arg or arg.keyword is None:
        return None
    keyword = arg.keyword.value
    return unsafe_fix(f"Remove `{keyword}` ({what})", edits.remove_argument(facts, use.layer.call.node, arg))


class KerasUnregularizedKernel(Check):
    code = "RC101"
    triggers = (b"regularizer",)
    # The regularized blocks may live in a module this file imports, the unregularized head here.
    import_triggers = (b"_regularizer=",)

    VALID = [
        # Every kernel is regularized (biases are not).
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dropout(0.5),
    layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4)),
])
""",
        # A deliberate zero on the head counts as a choice.
        """
import keras
from keras.regularizers import l2
inputs = keras.Input((784,))
x = keras.layers.Dense(256, kernel_regularizer=l2(1e-4))(inputs)
outputs = keras.layers.Dense(10, kernel_regularizer=l2(0.0))(x)
""",
        # Two models in one file: one regularized throughout, the other not at all.
        """
from tensorflow.keras import layers, models
from tensorflow.keras.regularizers import L2
def generator():
    return models.Sequential([layers.Dense(128, kernel_regularizer=L2(1e-4)), layers.Dense(784, kernel_regularizer=L2(1e-4))])
def discriminator():
    return models.Sequential([layers.Dense(128), layers.Dense(1)])
""",
        # A tutorial (one module, or a notebook's cells in order) that builds a baseline and a
        # regularized variant: two models, each consistent. The name `model` is rebound.
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile("adam", "mse")
model = keras.Sequential()
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001)))
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001)))
model.compile("adam", "mse")
""",
        # Functional models wired separately in one builder.
        """
import keras
inputs = keras.Input((8,))
x = keras.layers.Dense(32, kernel_regularizer="l2")(inputs)
regularized = keras.Model(inputs, keras.layers.Dense(4, kernel_regularizer="l2")(x))
other_in = keras.Input((8,))
y = keras.layers.Dense(32)(other_in)
plain = keras.Model(other_in, keras.layers.Dense(4)(y))
""",
    ]
    INVALID = [
        """
from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dense(64, activation="relu"),
    layers.Dense(10),
])
""",
        # Keras 1 spelling and a helper block called many times.
        """
from keras.layers import Convolution2D, Dense
from keras.regularizers import l2
def block(x, n):
    return Convolution2D(n, 3, 3, W_regularizer=l2(5e-4))(x)
def build(x):
    x = block(x, 32)
    x = block(x, 64)
    x = Dense(128)(x)
    return Dense(10, W_regularizer=l2(5e-4))(x)
""",
        # A subclassed model.
        """
import tensorflow as tf
class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(32, 3, kernel_regularizer="l2")
        self.head = tf.keras.layers.Dense(10)
        self.conv2 = tf.keras.layers.Conv2D(32, 3)
""",
        # A helper's conv built in a loop feeds the next block: hidden, even though it is the last
        # kernel layer the builder reaches (DenseNet's dense block).
        """
from keras.layers import Conv2D, Input, concatenate
from keras.models import Model
from keras.regularizers import l2
def conv_block(x, filters):
    x = Conv2D(filters * 4, (1, 1), kernel_regularizer=l2(1e-4))(x)
    return Conv2D(filters, (3, 3))(x)
def dense_block(x, layers, filters):
    for i in range(layers):
        x = concatenate([x, conv_block(x, filters)])
    return x
def build():
    inputs = Input((32, 32, 3))
    x = Conv2D(16, (3, 3), kernel_regularizer=l2(1e-4))(inputs)
    return Model(inputs, dense_block(x, 4, 12))
""",
        # Regularizers handed over through a literal `**dict`.
        """
import tensorflow as tf
reg = {"kernel_regularizer": tf.keras.regularizers.L2(1e-4)}
model = tf.keras.Sequential([tf.keras.layers.Dense(10, **reg), tf.keras.layers.Dense(10), tf.keras.layers.Dense(1, **reg)])
""",
        # One functional model among others: its hidden layer is unpenalized.
        """
import keras
a = keras.Input((8,))
plain = keras.Model(a, keras.layers.Dense(4)(keras.layers.Dense(32)(a)))
b = keras.Input((8,))
h = keras.layers.Dense(32)(b)
h = keras.layers.Dense(32, kernel_regularizer="l2")(h)
mixed = keras.Model(b, keras.layers.Dense(4, kernel_regularizer="l2")(h))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for gap in kernel_gaps(facts):
            if gap.output_only:
                continue  # only the head is left out: RC106's advice, not a warning
            for use, where in gap.missing:
                yield self.finding(
                    facts,
                    where,
                    f"`{use.layer.cls}` in `{gap.model.label}` has no kernel regularizer while "
                    f"{describe_penalized(facts, gap.active)}",
                    symbol=use.layer.cls,
                    fix=add_regularizer_fix(facts, use, gap.active) if where is use.layer.call.node else None,
                )


@dataclass(eq=False)
class KernelGap:
    """One model some of whose kernels carry a regularizer and others none."""

    model: ModelInfo
    active: list[LayerUse]  # the penalized kernel layers
    missing: list[tuple[LayerUse, cst.CSTNode]]  # the unpenalized ones, with where to report each
    output_only: bool  # every missing one is an output layer of the model (RC106)


def kernel_gaps(facts: ModuleFacts) -> list[KernelGap]:
    return facts.cached("keras_kernel_gaps", _kernel_gaps)


def _kernel_gaps(facts: ModuleFacts) -> list[KernelGap]:
    gaps: list[KernelGap] = []
    seen: set[cst.CSTNode] = set()
    for model in module_models(facts):
        kernels = [u for u in model.uses if is_kernel_layer(u)]
        active = [u for u in kernels if u.reg("kernel").active]
        if not active:
            continue  # a model with no penalty at all is a consistent choice
        missing: list[tuple[LayerUse, cst.CSTNode]] = []
        for use in kernels:
            # A custom layer's add_weight without regularizer= is often a non-penalized buffer
            # (scales, quantization state): only Keras layer classes are candidates.
            if use.layer.kind != "kernel" or use.reg("kernel") is not Reg.NONE:
                continue
            where = anchor(facts, use, use.layer.call.node, next(iter(use.layer.regularizer_args("kernel")), None))
            if where is None or where in seen or _reported_where_built(facts, use):
                continue
            seen.add(where)
            missing.append((use, where))
        if missing:
            outputs = set(map(id, model.outputs))
            output_only = all(id(use) in outputs for use, _ in missing) and len(missing) < len(kernels)
            gaps.append(KernelGap(model, active, missing, output_only))
    return gaps


def _reported_where_built(facts: ModuleFacts, use: LayerUse) -> bool:
    """A layer of another module that a model of that module already reports as unregularized: one
    finding per defect, at the layer (where the fix goes), not again at every importing call site."""
    if use.facts is facts or use.layer.regularizer_args("kernel"):
        return False
    home = kernel_gaps(use.facts)
    return any(missing.layer.call.node is use.layer.call.node for gap in home for missing, _ in gap.missing)


def describe_penalized(facts: ModuleFacts, active: list[LayerUse]) -> str:
    """```Conv2D` (line 8) and 2 other layers of the same model are regularized``: what is penalized, and where."""
    first = active[0]
    node = first.layer.call.node if first.facts is facts or first.via is None else first.via
    where_facts = first.facts if first.via is None else facts
    line = where_facts.span(node).line
    place = f"line {line}" if where_facts is facts else f"{where_facts.path}:{line}"
    others = len(active) - 1
    more = f" and {others} other layer{'s' if others > 1 else ''}" if others else ""
    verb = "are" if others else "is"
    return f"`{first.layer.cls}` ({place}){more} of the same model {verb} regularized"


def _has_bias(use: LayerUse) -> bool:
    flag = use.layer.keywords.get("use_bias")
    if flag is None:
        return True
    value = flag.value
    if isinstance(value, cst.Name) and value.value in ("False", "True"):
        return value.value == "True"
    bound = use.env.get(value.value) if isinstance(value, cst.Name) else None
    if bound is not None and isinstance(bound.expr, cst.Name) and bound.expr.value in ("False", "True"):
        return bound.expr.value == "True"
    return True


def add_regularizer_fix(facts: ModuleFacts, use: LayerUse, templates: list[LayerUse]) -> Fix | None:
    if use.layer.kind != "kernel" or any(a.star for a in use.layer.call.node.args):
        return None
    for template in templates:
        if template.facts is not facts:
            continue
        for arg in template.layer.regularizer_args("kernel"):
            if arg.keyword is None or not _portable(facts, arg.value, template, use):
                continue
            keyword, code = arg.keyword.value, facts.code(arg.value)
            return unsafe_fix(
                f"Add `{keyword}={code}` like the other layers",
                edits.add_keyword(facts, use.layer.call.node, keyword, code),
            )
    return None


def _portable(facts: ModuleFacts, value: cst.BaseExpression, template: LayerUse, target: LayerUse) -> bool:
    """The template's regularizer expression means the same where the target layer is built."""
    same_function = template.layer.call.function is target.layer.call.function and template.env is target.env
    where = facts.span(target.layer.call.node)
    for node in names_read(value):
        if not _bound_before(facts, node, (where.line, where.column)):
            return False  # a notebook that imports `regularizers` only in a later cell
        if facts.canonical(node) is not None or same_function:
            continue
        if not facts.is_global_binding(node):
            return False
    return True


def _bound_before(facts: ModuleFacts, name: cst.Name, position: tuple[int, int]) -> bool:
    """Some binding of ``name`` comes before ``position`` in the module (cells run in order)."""
    for binding in facts.assignments(name):
        if binding.node is None:
            return True  # a builtin
        span = facts.span(binding.node)
        if (span.line, span.column) < position:
            return True
    return False


class KerasRegularizedBias(Check):
    code = "RC102"
    triggers = (b"regularizer",)

    VALID = [
        """
from tensorflow.keras import layers, regularizers
out = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4))
""",
        """
from keras import layers
from keras.regularizers import l2
out = layers.Dense(10, kernel_regularizer=l2(1e-4), bias_regularizer=None)
""",
        # No bias at all: the bias regularizer has nothing to act on.
        """
from tensorflow.keras import layers, regularizers
conv = layers.Conv2D(64, 3, use_bias=False, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4))
""",
    ]
    INVALID = [
        """
from tensorflow.keras import layers, regularizers
out = layers.Dense(10, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l2(1e-4))
""",
        """
from keras.layers import Dense
from keras.regularizers import l2
out = Dense(10, W_regularizer=l2(0.01), b_regularizer=l2(0.01))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for use, arg, where in penalized_args(facts, ("bias",)):
            if not _has_bias(use):
                continue  # `Conv2D(..., use_bias=False, bias_regularizer=...)`: there is no bias to penalize
            yield self.finding(
                facts,
                where,
                f"the bias of `{use.layer.cls}` is penalized",
                symbol=use.layer.cls,
                fix=remove_arg_fix(facts, use, arg, where, "biases are usually left unregularized"),
            )


__all__ = ["KerasRegularizedBias", "KerasUnregularizedKernel", "ModelInfo", "anchor", "penalized_args"]
