"""What the program model found in one module's program: every object the code builds and trains.

A :class:`Program` is the result of running a module (and what it reaches in
other modules) through the interpreter: the graphs, variables, layers and
models it builds, the penalties it writes, the training steps it takes, and a
few events the rules ask about (a list of losses added to a scalar, a
regularizer assigned to a built layer, ...). ``values`` maps the expressions
of the program to what they evaluated to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from regcheck.facts.program.values import (
    Declaration,
    Graph,
    Layer,
    Model,
    Optimizer,
    SiteRef,
    Tape,
    Term,
    TrainStep,
    Value,
    Variable,
)

if TYPE_CHECKING:
    from regcheck.facts.module import ModuleFacts
    from regcheck.facts.program.coverage import Unit
    from regcheck.facts.program.values import Function, Sequence


@dataclass(eq=False)
class Program:
    facts: ModuleFacts
    values: dict[cst.CSTNode, Value] = field(default_factory=dict)
    truncated: bool = False
    failure: str | None = None  # an internal error of the program model (the run went on without it)
    graphs: list[Graph] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    optimizers: list[Optimizer] = field(default_factory=list)
    tapes: list[Tape] = field(default_factory=list)
    train_steps: list[TrainStep] = field(default_factory=list)
    # kernel -> the kernels its output feeds (which layer comes after which)
    feeds: dict[Variable, set[Variable]] = field(default_factory=dict)
    # `layer.kernel_regularizer = r` on a built or pretrained layer: (where, the layer, the attribute, the value)
    late_regularizers: list[tuple[SiteRef, Layer, str, Value]] = field(default_factory=list)
    # a Python list of loss tensors added to a tensor: (where, the list)
    list_additions: list[tuple[SiteRef, Sequence]] = field(default_factory=list)
    # a `*_regularizer=` keyword the layer does not apply (RC107): (the layer, the keyword)
    ignored_arguments: list[tuple[Layer, str]] = field(default_factory=list)
    # ``slim.arg_scope([..., slim.fully_connected], biases_regularizer=...)``: where it is given and
    # what, for a layer function that keeps its bias under that scope (whether or not a layer is seen).
    scope_bias_regularizers: list[tuple[Declaration, Value]] = field(default_factory=list)
    rebuilds: list[SiteRef] = field(default_factory=list)
    overrides: list[tuple[Model, Function]] = field(default_factory=list)
    add_losses: list[tuple[Model | Layer, SiteRef | None]] = field(default_factory=list)
    compiled_losses: list[tuple[Model | None, SiteRef | None]] = field(default_factory=list)
    model_calls: list[tuple[Model, SiteRef | None, frozenset[int]]] = field(default_factory=list)
    # working state of the interpreter (the tensors a square / abs made, the outputs of Sequential models)
    # id(a squared tensor) -> (that tensor, kept alive so that its id is never reused; what was squared)
    squares: dict[int, tuple[Value, Value]] = field(default_factory=dict)
    square_kinds: dict[int, str] = field(default_factory=dict)
    sequential_outputs: dict[int, Value] = field(default_factory=dict)
    units: list[Unit] | None = None  # filled by coverage.units, on first use

    def heads(self, kernels: set[Variable]) -> set[Variable]:
        """The kernels from which none of them is reached through ``feeds`` (not even themselves, as a
        kernel applied to itself is): the last layers."""
        found: set[Variable] = set()
        for kernel in kernels:
            seen: set[Variable] = set()
            stack = list(self.feeds.get(kernel, ()))
            while stack:
                current = stack.pop()
                if current in kernels:
                    break
                if current in seen:
                    continue
                seen.add(current)
                stack.extend(self.feeds.get(current, ()))
            else:
                found.add(kernel)
        return found

    def squared(self, tensor: Value) -> Value | None:
        """What ``tensor`` is the square (or absolute value) of, when a square made it."""
        entry = self.squares.get(id(tensor))
        return entry[1] if entry is not None and entry[0] is tensor else None

    def value_of(self, node: cst.CSTNode) -> Value | None:
        """What an expression of the program evaluated to (joined over every time it ran)."""
        return self.values.get(node)

    def penalties(self) -> list[Term]:
        return [term for graph in self.graphs for term in graph.penalties]
