"""Keras coverage per model: which kernels and biases of one trained model carry ``*_regularizer=``.

What RC101, RC102, RC103 and RC106 read about Keras layers: for every model of
a module (``keras_units.module_models``), the kernel layers that are penalized
and those that are not (``kernel_gaps``), whether the missing ones are only the
model's output layers, and where a finding about a layer goes (``anchor``): at
the layer when the verdict holds for every call of it, at the call that leads
to it when it depends on that call's arguments, and nowhere when another module
reports it where the layer is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from regcheck.facts.keras_layers import EMPTY, Reg, regularizer_kind
from regcheck.facts.keras_models import LayerUse, ModelInfo
from regcheck.facts.keras_units import module_models
from regcheck.facts.module import ModuleFacts
from regcheck.facts.roles import Role


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
    facts.derived["keras_kernel_gaps_busy"] = True  # two modules that import each other ask back
    try:
        return _find_kernel_gaps(facts)
    finally:
        facts.derived.pop("keras_kernel_gaps_busy", None)


def _find_kernel_gaps(facts: ModuleFacts) -> list[KernelGap]:
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
    if use.facts is facts or use.layer.regularizer_args("kernel") or use.facts.derived.get("keras_kernel_gaps_busy"):
        return False
    home = kernel_gaps(use.facts)
    return any(missing.layer.call.node is use.layer.call.node for gap in home for missing, _ in gap.missing)


def describe_penalized(facts: ModuleFacts, active: list[LayerUse]) -> str:
    """What is penalized, and where: "`Conv2D` (line 8) and 2 other layers of the same model are regularized"."""
    first = active[0]
    node = first.layer.call.node if first.facts is facts or first.via is None else first.via
    where_facts = first.facts if first.via is None else facts
    line = where_facts.span(node).line
    place = f"line {line}" if where_facts is facts else f"{where_facts.path}:{line}"
    others = len(active) - 1
    more = f" and {others} other layer{'s' if others > 1 else ''}" if others else ""
    verb = "are" if others else "is"
    return f"`{first.layer.cls}` ({place}){more} of the same model {verb} regularized"


def has_bias(use: LayerUse) -> bool:
    """The layer builds a bias: no ``use_bias=False``, literal or passed down to a helper."""
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
