"""Shrink a failing program's spec, dimension by dimension, to the values that make it fail.

Each dimension's values are ordered simplest first (``SIMPLEST``). A round tries, for every dimension, each
simpler value (the other dimensions kept, newly applicable ones at their simplest); ``fails`` judges a
whole round at once, so the graph path can trace the round in one batch. The simpler values that still
fail are combined; the result's *required* dimensions are those where every simpler value made the
failure go away: the cause, in the generator's own terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from programs.spec import NA, Incompatible, Spec, draw_spec

# The family, the mistake and the Keras version are what the failure is about: never shrunk.
KEPT = ("family", "mistake", "keras")
SIMPLEST: dict[str, list[Any]] = {
    "api": ["sequential", "variable", "functional", "get_variable", "subclass", "layers", "custom_layer"],
    "imports": ["tf", "compat_attr", "from", "alias", "compat_module", "keras_pkg", "tf_keras_pkg", "star"],
    "construction": [
        "direct",
        "helper_reg",
        "helper",
        "helper_wd",
        "partial",
        "kwargs_literal",
        "kwargs_subscript",
        "class_vars",
    ],
    "reach": ["inline", "module_call", "main_function", "main_guard", "main_guard_main", "defined_only", "two_modules"],
    "returns": ["value", "tuple", "dict", "list"],
    "training": ["fit", "minimize", "loop", "tape", "trainer", "train_step", "compute_loss"],
    "step_loss": ["hand", "compiled_loss_reg", "compute_loss", "compiled_loss"],
    "tf_function": ["eager", "tf_function"],
    "penalty_sum": ["sum", "add_n"],
    "layers": ["dense", "conv"],
    "conv_kind": ["sepconv", "depthwise"],
    "naming": ["distinct", "rebound"],
    "placement": ["end_sum", "inline"],
    "regularizer": ["lambda", "keras_L2"],
    "collection": ["get_regularization_loss", "add_n_collection"],
    "bn": ["none", "wired", "wired_loss", "unwired"],
    "graphs": ["default", "as_default", "two_graphs", "reset_graph"],
    "mistake_block": ["first", "second"],
    "other_block": ["correct", "unpenalized"],
    "target": [0, 1, 2, 3],
    "hidden": [1, 2, 3],
}


class SimplestChooser:
    """Pinned values where given, else the first option: shrinking is deterministic."""

    def __init__(self, fixed: Mapping[str, Any]) -> None:
        self.fixed = dict(fixed)

    def choose(self, name: str, options: Sequence[str]) -> str:
        if name in self.fixed:
            if self.fixed[name] not in options:
                raise Incompatible(name)
            return str(self.fixed[name])
        return str(options[0])

    def integer(self, name: str, low: int, high: int) -> int:
        if name in self.fixed:
            value = int(self.fixed[name])
            if not low <= value <= high:
                raise Incompatible(name)
            return value
        return low


def pins(spec: Spec) -> dict[str, Any]:
    return {k: v for k, v in vars(spec).items() if v != NA}


def respec(fixed: Mapping[str, Any]) -> Spec | None:
    try:
        spec = draw_spec(SimplestChooser(fixed))
    except Incompatible:
        return None
    # A pin that the new context no longer asks for is dropped; one it asks for must hold.
    for name, value in fixed.items():
        if getattr(spec, name) not in (value, NA):
            return None
    return spec


@dataclass
class Shrunk:
    spec: Spec
    required: dict[str, Any] = field(default_factory=dict)  # simpler values all pass: this value is the cause
    forced: dict[str, Any] = field(default_factory=dict)  # no simpler value is possible here
    checks: int = 0

    def signature(self) -> str:
        parts = [f"{k}={v}" for k, v in self.required.items()]
        return ", ".join(parts) or "(the mistake alone)"


def _candidates(spec: Spec, thorough: bool = True) -> list[tuple[str, Any, Spec]]:
    current = pins(spec)
    out: list[tuple[str, Any, Spec]] = []
    for dim, order in SIMPLEST.items():
        value = getattr(spec, dim)
        if value == NA or value not in order:
            continue
        for simpler in order[: order.index(value)]:
            candidate = respec({**current, dim: simpler})
            if candidate is not None and candidate != spec:
                out.append((dim, simpler, candidate))
                if not thorough:
                    break  # the simplest possible value only
    return out


def shrink(spec: Spec, fails: Callable[[list[Spec]], list[bool]], rounds: int = 6, thorough: bool = True) -> Shrunk:
    """The simplest spec that still fails, and which of its dimension values are the cause.

    ``thorough=False`` tries only the simplest possible value of each dimension (fewer programs a round,
    for the graph path): a value is then called required when that one alternative makes the failure go."""
    checks = 0
    for _ in range(rounds):
        candidates = _candidates(spec, thorough)
        results = fails([c for _, _, c in candidates]) if candidates else []
        checks += len(candidates)
        best: dict[str, tuple[Any, Spec]] = {}
        for (dim, value, candidate), failed in zip(candidates, results):
            if failed and dim not in best:
                best[dim] = (value, candidate)
        if not best:
            return _finish(spec, candidates, checks)
        combined = respec({**pins(spec), **{dim: value for dim, (value, _) in best.items()}})
        if combined is not None and len(best) > 1:
            checks += 1
            if fails([combined])[0]:
                spec = combined
                continue
        spec = next(iter(best.values()))[1]
    return _finish(spec, _candidates(spec, thorough), checks)


def _finish(spec: Spec, candidates: list[tuple[str, Any, Spec]], checks: int) -> Shrunk:
    tried = {dim for dim, _, _ in candidates}
    result = Shrunk(spec, checks=checks)
    for dim, order in SIMPLEST.items():
        value = getattr(spec, dim)
        if value == NA or value not in order or order.index(value) == 0:
            continue
        (result.required if dim in tried else result.forced)[dim] = value
    return result
