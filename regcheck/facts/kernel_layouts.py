"""Kernel layouts: which axes of a weight tensor hold one unit's incoming weights.

A max-norm constraint (Srivastava et al., 2014) bounds the L2 norm of each
hidden unit's incoming weight vector. Which axes that vector spans depends on
how the layer stores its kernel, so the table below states each layout (Keras
keeps it channels-last whatever ``data_format`` says):

* Dense / RNN kernels ``[in, units]``: axis 0.
* Conv1D/2D/3D ``[*spatial, in, filters]``: every axis but the last.
* Transposed convs ``[*spatial, filters, in]``: the output unit is axis -2, so
  its incoming weights are the spatial axes and the last one.
* Depthwise ``[*spatial, in, multiplier]``: each output channel only sees its
  own spatial window, so the spatial axes alone.

Axes whose size is known to be 1 (a ``(Chans, 1)`` depthwise kernel, a 1x1
pointwise kernel) can be left in or out without changing the norm: that is the
documented exception for EEGNet-style depthwise constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts.dataflow import literal_value, resolve_expr
from regcheck.facts.module import CallFact, ModuleFacts


@dataclass(frozen=True)
class Layout:
    rank: int
    incoming: tuple[int, ...]  # axes that hold one unit's incoming weights
    spatial: tuple[int, ...]  # axes sized by kernel_size
    text: str  # the layout spelled for messages: "[rows, cols, in, filters]"
    always_one: tuple[int, ...] = ()  # axes of size 1 by construction (pointwise kernels)


def _conv(n: int) -> Layout:
    names = ("width",) if n == 1 else ("rows", "cols") if n == 2 else ("depth", "rows", "cols")
    return Layout(n + 2, tuple(range(n + 1)), tuple(range(n)), f"[{', '.join(names)}, in, filters]")


def _transpose(n: int) -> Layout:
    conv = _conv(n)
    spatial = conv.spatial
    return Layout(n + 2, (*spatial, n + 1), spatial, conv.text.replace("in, filters", "filters, in"))


def _depthwise(n: int) -> Layout:
    conv = _conv(n)
    return Layout(n + 2, conv.spatial, conv.spatial, conv.text.replace("in, filters", "in, multiplier"))


def _pointwise(n: int) -> Layout:
    conv = _conv(n)
    return Layout(n + 2, conv.incoming, (), conv.text, always_one=conv.spatial)


DENSE = Layout(2, (0,), (), "[in, units]")
# A matrix used as `tf.matmul(w, x)`: rows are units.
DENSE_TRANSPOSED = Layout(2, (1,), (), "[units, in]")

# Canonical layer name -> constraint keyword -> layout of the kernel it constrains.
_CONV_NAMES = {1: ("Conv1D", "Convolution1D"), 2: ("Conv2D", "Convolution2D"), 3: ("Conv3D", "Convolution3D")}
LAYER_KERNELS: dict[str, dict[str, Layout]] = {}
for _n, _names in _CONV_NAMES.items():
    for _name in _names:
        LAYER_KERNELS[f"keras.layers.{_name}"] = {"kernel_constraint": _conv(_n)}
        LAYER_KERNELS[f"keras.layers.{_name}Transpose"] = {"kernel_constraint": _transpose(_n)}
    LAYER_KERNELS[f"tf.layers.conv{_n}d"] = {"kernel_constraint": _conv(_n)}
    if _n > 1:
        LAYER_KERNELS[f"tf.layers.conv{_n}d_transpose"] = {"kernel_constraint": _transpose(_n)}
    if _n < 3:
        depthwise = {"depthwise_constraint": _depthwise(_n), "kernel_constraint": _depthwise(_n)}
        LAYER_KERNELS[f"keras.layers.DepthwiseConv{_n}D"] = depthwise
        separable = {"depthwise_constraint": _depthwise(_n), "pointwise_constraint": _pointwise(_n)}
        for _sep in (
            f"keras.layers.SeparableConv{_n}D",
            f"keras.layers.SeparableConvolution{_n}D",
            f"tf.layers.separable_conv{_n}d",
        ):
            LAYER_KERNELS[_sep] = separable
_RNN = {"kernel_constraint": DENSE, "recurrent_constraint": DENSE}
for _name in ("Dense", "LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell"):
    LAYER_KERNELS[f"keras.layers.{_name}"] = _RNN if _name != "Dense" else {"kernel_constraint": DENSE}
LAYER_KERNELS["tf.layers.dense"] = {"kernel_constraint": DENSE}
# Keras 1 spelled the kernel constraint W_constraint.
for _kernels in LAYER_KERNELS.values():
    if "kernel_constraint" in _kernels:
        _kernels["W_constraint"] = _kernels["kernel_constraint"]

# Attribute of a built layer -> constraint keyword naming the same kernel.
KERNEL_ATTRIBUTES = {
    "kernel": "kernel_constraint",
    "depthwise_kernel": "depthwise_constraint",
    "pointwise_kernel": "pointwise_constraint",
    "recurrent_kernel": "recurrent_constraint",
}

_LAYOUT_BY_RANK = {2: DENSE, 3: _conv(1), 4: _conv(2), 5: _conv(3)}
# Raw-op users of a filter tensor and the layout they imply.
_FILTER_OPS = {
    "tf.nn.conv1d": _conv(1),
    "tf.nn.conv2d": _conv(2),
    "tf.nn.conv3d": _conv(3),
    "tf.nn.conv2d_transpose": _transpose(2),
    "tf.nn.conv3d_transpose": _transpose(3),
    "tf.nn.conv1d_transpose": _transpose(1),
    "tf.nn.depthwise_conv2d": _depthwise(2),
}
_MATMULS = frozenset({"tf.matmul", "tf.linalg.matmul"})


@dataclass(frozen=True)
class Kernel:
    """A kernel whose layout is known, with the sizes the code states (None when unknown)."""

    layout: Layout
    sizes: tuple[int | None, ...]
    owner: str  # the kernel in words, for messages: "the Conv2D kernel", "variable `w1`"

    def normalize(self, axes: tuple[int, ...]) -> frozenset[int] | None:
        """Axes as non-negative indices, or None when one is out of range for this rank."""
        rank = self.layout.rank
        if any(not -rank <= a < rank for a in axes):
            return None
        return frozenset(a % rank for a in axes)

    def holds_one_unit(self, axes: tuple[int, ...]) -> bool:
        """True when reducing over ``axes`` gives one norm per unit's incoming weights."""
        normalized = self.normalize(axes)
        if normalized is None:
            return False
        ones = {i for i, size in enumerate(self.sizes) if size == 1} | set(self.layout.always_one)
        return normalized - ones == set(self.layout.incoming) - ones

    @property
    def right_axes(self) -> tuple[int, ...]:
        return self.layout.incoming


def layer_kernel(facts: ModuleFacts, call: CallFact, keyword: str) -> Kernel | None:
    """The kernel that ``keyword`` (kernel_constraint, depthwise_constraint ...) of a layer call constrains."""
    if call.name is None:
        return None
    layout = LAYER_KERNELS.get(call.name, {}).get(keyword)
    if layout is None:
        return None
    sizes: list[int | None] = [None] * layout.rank
    for axis, size in zip(layout.spatial, _kernel_size(facts, call, len(layout.spatial))):
        sizes[axis] = size
    return Kernel(layout, tuple(sizes), f"the {call.name.rsplit('.', 1)[-1]} kernel")


def _kernel_size(facts: ModuleFacts, call: CallFact, n: int) -> list[int | None]:
    if n == 0:
        return []
    name = call.name or ""
    if name.startswith("tf.layers."):
        position = 2  # tf.layers.conv2d(inputs, filters, kernel_size)
    else:
        position = 0 if "Depthwise" in name else 1
    value = call.value("kernel_size", position)
    if value is None:
        return [None] * n
    value = _literal_of(facts, value)
    if isinstance(value, (cst.Tuple, cst.List)):
        sizes = [_int(facts, e.value) for e in value.elements]
        return sizes if len(sizes) == n else [None] * n
    return [_int(facts, value)] * n


def _literal_of(facts: ModuleFacts, node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, cst.Name):
        values = resolve_expr(facts, node)
        if len(values) == 1:
            return values[0]
    return node


def _int(facts: ModuleFacts, node: cst.BaseExpression) -> int | None:
    value = literal_value(_literal_of(facts, node))
    return value if isinstance(value, int) else None


def stated_shape(facts: ModuleFacts, call: CallFact) -> list[int | None] | None:
    """The shape a tf.Variable / get_variable call states, one entry per axis (None: not a literal)."""
    shape: cst.BaseExpression | None = None
    if call.name != "tf.Variable":
        shape = call.value("shape", 1)
    if shape is None:
        init = call.value("initializer") if call.name != "tf.Variable" else call.value("initial_value", 0)
        init_call = facts.call(init) if init is not None else None
        if init_call is not None:
            position = 1 if init_call.name == "tf.constant" else 0
            shape = init_call.value("shape", position) or init_call.value("dims", position)
    if shape is None:
        return None
    shape = _literal_of(facts, shape)
    if not isinstance(shape, (cst.List, cst.Tuple)):
        return None
    return [_int(facts, e.value) for e in shape.elements]


def variable_kernel(facts: ModuleFacts, call: CallFact, symbol: str, uses: list[cst.CSTNode]) -> Kernel | None:
    """Layout of a raw variable from its stated rank and the op that consumes it (matmul, conv2d ...)."""
    sizes = stated_shape(facts, call)
    if sizes is None or len(sizes) < 2:
        return None
    layout = _LAYOUT_BY_RANK.get(len(sizes))
    for use in uses:
        consumer = _consumer(facts, use)
        if consumer is None:
            continue
        fact, position = consumer
        if fact.name in _FILTER_OPS and _FILTER_OPS[fact.name].rank == len(sizes):
            layout = _FILTER_OPS[fact.name]
        elif fact.name in _MATMULS and len(sizes) == 2:
            flag = fact.value("transpose_a" if position == 0 else "transpose_b")
            # `matmul(w, x)` makes rows the units, unless w is transposed first.
            layout = DENSE_TRANSPOSED if (position == 0) != _is_true(flag) else DENSE
    if layout is None:
        return None
    return Kernel(layout, tuple(sizes), f"variable `{symbol}`")


def _is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _consumer(facts: ModuleFacts, use: cst.CSTNode) -> tuple[CallFact, int] | None:
    """The call that takes ``use`` as an argument, and the argument's position."""
    parent = facts.parent(use)
    if not isinstance(parent, cst.Arg):
        return None
    holder = facts.parent(parent)
    call = facts.call(holder) if holder is not None else None
    if call is None:
        return None
    if call.name in _MATMULS:
        for position, keyword in ((0, "a"), (1, "b")):
            if call.arg(keyword, position) is parent:
                return call, position
        return None
    if call.name in _FILTER_OPS and parent in (call.arg("filters", 1), call.arg("filter", 1)):
        return call, 1
    return None
