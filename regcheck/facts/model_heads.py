"""Model heads: softmax applied over a single output unit.

A softmax over one unit is ``exp(z) / exp(z) == 1`` whatever the input. The
head is found in the three ways models are written: a layer with
``activation="softmax"``; layer order in ``Sequential([...])`` and
``model.add(...)`` (a 1-unit layer, then pass-through layers such as Dropout,
then ``Activation("softmax")`` / ``Softmax()``); and functional code where a
softmax layer or ``tf.nn.softmax`` is applied to the output of a 1-unit layer
(or of ``tf.matmul(h, w)`` with a ``[n, 1]`` variable).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import literal_value, resolve_expr, values_of
from regcheck.facts.kernel_layouts import stated_shape
from regcheck.facts.module import CallFact, ModuleFacts

# Layer -> (keyword for the number of units, its position, activation keyword).
_CONV = (
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "SeparableConv1D",
    "SeparableConv2D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
)
UNIT_LAYERS: dict[str, tuple[str, int, str]] = {"keras.layers.Dense": ("units", 0, "activation")}
UNIT_LAYERS.update({f"keras.layers.{name}": ("filters", 0, "activation") for name in _CONV})
UNIT_LAYERS.update({"tf.layers.dense": ("units", 1, "activation")})
UNIT_LAYERS.update(
    {f"tf.layers.{n}": ("filters", 1, "activation") for n in ("conv1d", "conv2d", "conv3d", "conv2d_transpose")}
)
for _prefix in ("slim", "tf.contrib.layers"):
    for _name in ("fully_connected", "conv2d", "conv2d_transpose", "convolution2d"):
        UNIT_LAYERS[f"{_prefix}.{_name}"] = ("num_outputs", 1, "activation_fn")

# Layers that keep the last dimension as it is.
PASS_THROUGH = frozenset(
    f"keras.layers.{n}"
    for n in (
        "Dropout",
        "AlphaDropout",
        "GaussianDropout",
        "GaussianNoise",
        "BatchNormalization",
        "LayerNormalization",
        "ActivityRegularization",
        "SpatialDropout1D",
        "SpatialDropout2D",
    )
)
# softmax activations that have a sigmoid next to them (the fix swaps the last name).
SIGMOID_TWINS = frozenset(
    {"tf.nn.softmax", "tf.math.softmax", "keras.activations.softmax", "keras.backend.softmax", "keras.ops.softmax"}
)
_MATMULS = frozenset({"tf.matmul", "tf.linalg.matmul"})


@dataclass(eq=False)
class SoftmaxHead:
    layer: cst.Call  # the 1-unit layer (or matmul) the softmax reads
    softmax: cst.CSTNode  # where the softmax is: the activation argument, the layer or the op call
    how: str  # how the softmax is applied, for messages


def softmax_heads(facts: ModuleFacts) -> list[SoftmaxHead]:
    return facts.cached("softmax_heads", _collect)


def _collect(facts: ModuleFacts) -> list[SoftmaxHead]:
    heads: list[SoftmaxHead] = []
    for call in facts.calls:
        if call.name in UNIT_LAYERS and units(facts, call) == 1:
            activation = call.arg(UNIT_LAYERS[call.name][2])
            if activation is not None and is_softmax(facts, activation.value):
                heads.append(
                    SoftmaxHead(
                        call.node, activation.value, f"a 1-unit layer with `{UNIT_LAYERS[call.name][2]}=softmax`"
                    )
                )
        for sequence in _sequences(facts, call):
            heads.extend(_in_order(facts, sequence))
        applied = _softmax_input(facts, call)
        if applied is not None:
            layer = one_unit_output(facts, applied, call.node)
            if layer is not None:
                heads.append(SoftmaxHead(layer, call.node, f"`{facts.code(call.node.func)}` on a 1-unit output"))
    return heads


def units(facts: ModuleFacts, call: CallFact) -> int | None:
    keyword, position, _ = UNIT_LAYERS[call.name or ""]
    value = call.value(keyword, position)
    if value is None:
        return None
    candidates = resolve_expr(facts, value) if isinstance(value, cst.Name) else [value]
    literal = literal_value(candidates[0]) if len(candidates) == 1 else None
    return literal if isinstance(literal, int) else None


def is_softmax(facts: ModuleFacts, value: cst.BaseExpression) -> bool:
    if literal_value(value) == "softmax":
        return True
    return isinstance(value, (cst.Name, cst.Attribute)) and facts.canonical(value) in vocabulary.SOFTMAX_FUNCS


def softmax_layer(facts: ModuleFacts, node: cst.CSTNode) -> bool:
    """``Softmax()`` over the last axis, or ``Activation("softmax")``."""
    call = facts.call(node)
    if call is None:
        return False
    if call.name == "keras.layers.Softmax":
        axis = literal_value(call.value("axis", 0))
        return call.value("axis", 0) is None or axis == -1
    if call.name == "keras.layers.Activation":
        activation = call.value("activation", 0)
        return activation is not None and is_softmax(facts, activation)
    return False


def _sequences(facts: ModuleFacts, call: CallFact) -> list[list[cst.CSTNode]]:
    """Layer lists in order: `Sequential([...])`, or every `model.add(...)` of one model (seen at its first add)."""
    if call.name in ("keras.Sequential", "keras.models.Sequential"):
        layers = call.value("layers", 0)
        if isinstance(layers, cst.List):
            return [[e.value for e in layers.elements]]
        return []
    if call.method == "add" and call.receiver is not None and call.name is None:
        adds = [c for c in facts.calls_with_method("add") if _same_model(facts, c, call)]
        if adds and adds[0] is call:
            return [[c.positional[0].value for c in adds if c.positional]]
    return []


def _same_model(facts: ModuleFacts, a: CallFact, b: CallFact) -> bool:
    assert b.receiver is not None
    return a.receiver is not None and a.function is b.function and facts.code(a.receiver) == facts.code(b.receiver)


def _in_order(facts: ModuleFacts, layers: list[cst.CSTNode]) -> list[SoftmaxHead]:
    heads = []
    for index, node in enumerate(layers):
        call = facts.call(node)
        if call is None or call.name not in UNIT_LAYERS or units(facts, call) != 1:
            continue
        for following in layers[index + 1 :]:
            next_call = facts.call(following)
            if next_call is not None and next_call.name in PASS_THROUGH:
                continue
            if softmax_layer(facts, following):
                heads.append(SoftmaxHead(call.node, following, f"`{facts.code(following)}` after a 1-unit layer"))
            break
    return heads


def _softmax_input(facts: ModuleFacts, call: CallFact) -> cst.BaseExpression | None:
    """The tensor a softmax op or an applied softmax layer reads (``Softmax()(x)``, ``tf.nn.softmax(x)``)."""
    if call.name in vocabulary.SOFTMAX_FUNCS:
        axis = call.value("axis") or call.value("dim")
        if axis is not None and literal_value(axis) != -1:
            return None
        return call.value("logits", 0) or call.value("x", 0)
    if isinstance(call.node.func, cst.Call) and softmax_layer(facts, call.node.func) and call.positional:
        return call.positional[0].value
    return None


def one_unit_output(
    facts: ModuleFacts, node: cst.BaseExpression, before: cst.CSTNode, depth: int = 6
) -> cst.Call | None:
    """The 1-unit layer (or [n, 1] matmul) whose output ``node`` is, following the latest binding."""
    if depth == 0:
        return None
    value = _latest_value(facts, node, before)
    if value is None:
        return None
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):  # `matmul(h, w) + b`
        return one_unit_output(facts, value.left, before, depth - 1)
    call = facts.call(value)
    if call is None:
        return None
    layer = facts.call(call.node.func) if isinstance(call.node.func, cst.Call) else None
    if layer is None and isinstance(call.node.func, cst.Name):
        bound = resolve_expr(facts, call.node.func)
        layer = facts.call(bound[0]) if len(bound) == 1 else None
    if layer is not None and layer.name in PASS_THROUGH and call.positional:
        return one_unit_output(facts, call.positional[0].value, call.node, depth - 1)
    if layer is not None and layer.name in UNIT_LAYERS and units(facts, layer) == 1:
        return layer.node
    if call.name in UNIT_LAYERS and call.name.startswith(("tf.", "slim.")) and units(facts, call) == 1:
        return call.node
    if call.name in _MATMULS and _one_column(facts, call):
        return call.node
    return None


def _latest_value(facts: ModuleFacts, node: cst.BaseExpression, before: cst.CSTNode) -> cst.BaseExpression | None:
    """For a name rebound along straight-line code (`x = Dense(64)(x); x = Dense(1)(x)`), the last value before use."""
    if not isinstance(node, cst.Name):
        return node
    values = values_of(facts, node).values
    limit = facts.span(before)
    earlier = [v for v in values if (facts.span(v).line, facts.span(v).column) < (limit.line, limit.column)]
    if not earlier:
        return None
    return max(earlier, key=lambda v: (facts.span(v).line, facts.span(v).column))


def _one_column(facts: ModuleFacts, call: CallFact) -> bool:
    """``tf.matmul(h, w)`` with ``w`` a ``[n, 1]`` variable."""
    weight = call.value("b", 1)
    if weight is None or call.value("transpose_b") is not None:
        return False
    for value in resolve_expr(facts, weight):
        variable = facts.call(value)
        if variable is not None and variable.name in vocabulary.VARIABLE_CONSTRUCTORS:
            shape = stated_shape(facts, variable)
            if shape is not None and len(shape) == 2 and shape[1] == 1:
                return True
    return False
