"""A TensorFlow-free picture of the part of a graph that a loss depends on.

The extractors (TF1 graphs, FuncGraphs, recorded eager steps, Keras models)
all produce a ``GraphIR``; decomposition, roles and findings only read it.
Keeping TensorFlow out of this layer makes the analysis testable without
TensorFlow and lets one code path serve `trace`, `audit` and the callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# What an op is to the analysis.
OP = "op"  # an ordinary computation
VAR = "var"  # the source of a variable (handle, ref variable or captured handle)
DATA = "data"  # data entering the step: placeholders, iterator outputs, batches
CONST = "const"  # a constant

# Op types whose outputs are data: inputs of the step, and random draws (noise is
# per-step data too, so a term built on it is not a penalty).
DATA_OP_PREFIXES = (
    "Placeholder",
    "IteratorGetNext",
    "QueueDequeue",
    "ReaderRead",
    "ParseExample",
    "ParseSingleExample",
    "DecodeRaw",
    "DecodeCSV",
    "OptionalGetValue",
    "MultiDeviceIteratorGetNext",
    "Random",
    "StatelessRandom",
    "TruncatedNormal",
    "StatelessTruncatedNormal",
    "Multinomial",
)


@dataclass(frozen=True)
class Site:
    """A place in the user's code (path relative to the cwd when it lies under it)."""

    path: str
    line: int
    column: int = 1
    end_column: int = 1


@dataclass
class Op:
    type: str
    inputs: list[int]
    control: list[int] = field(default_factory=list)
    kind: str = OP
    var: int | None = None  # index into GraphIR.variables when kind == VAR
    value: float | None = None  # scalar value when kind == CONST and readable
    name: str = ""


@dataclass
class Variable:
    name: str
    shape: tuple[int | None, ...]
    trainable: bool = True
    site: Site | None = None
    # Keras metadata, when the variable belongs to a layer attribute.
    layer: str | None = None
    layer_class: str | None = None
    attr: str | None = None
    declared_regularizer: str | None = None  # what the framework will add (Keras variable.regularizer)


@dataclass
class LayerAttr:
    """A layer whose ``<attr>_regularizer`` is set while its variable carries no regularizer."""

    layer: str
    attr: str  # e.g. "kernel_regularizer"
    variable: int  # index into GraphIR.variables
    site: Site | None  # where the attribute was assigned (or the layer was created)


@dataclass
class GraphIR:
    ops: list[Op] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    loss: int | None = None
    # Variables the step trains (gradient sources); None means every trainable variable.
    sources: set[int] | None = None
    train_op: int | None = None
    regularization_losses: list[int] = field(default_factory=list)
    update_ops: list[int] = field(default_factory=list)
    late_regularizers: list[LayerAttr] = field(default_factory=list)
    # Decoupled weight decay of the optimizer that trains the step: variable -> (optimizer, rate).
    weight_decay: dict[int, tuple[str, float]] = field(default_factory=dict)
    call_site: Site | None = None  # where training was reached (minimize, tape.gradient, fit)
    hook: str = ""  # which hook captured it, for messages
    notes: list[str] = field(default_factory=list)
    # Lazy op -> source site lookup; creation tracebacks are costly to read for every op.
    op_site: Callable[[int], Site | None] = lambda index: None

    def add(self, op: Op) -> int:
        self.ops.append(op)
        return len(self.ops) - 1
