"""The fixed sample of generated programs the test suite runs (``test_program_differential.py``).

- ``SAMPLE``: every mistake of both families once (pinned), plus plain seeds;
- ``SHAPES``: each builder shape (API) with every call style, one hidden layer left unregularized (RC101):
  the issue's seed case, "defined only, called at module level, from main(), under the guard";
- ``GRAPH_SAMPLE``: a handful traced by the graph path (one TensorFlow process per Keras version and mode).
"""

from __future__ import annotations

from typing import Any

from programs.generator import Program, build, generate
from programs.shrink import respec
from programs.spec import KERAS_MISTAKES, REACHES, TF1_MISTAKES

KERAS_APIS = ("sequential", "functional", "subclass", "custom_layer")
TF1_APIS = ("variable", "get_variable", "layers")


def _pinned() -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    n = 0
    for family, mistakes in (("keras", KERAS_MISTAKES), ("tf1", TF1_MISTAKES)):
        for mistake in mistakes:
            out.append((f"{family}-{mistake}", 100 + n, {"family": family, "mistake": mistake}))
            n += 1
    return out


SAMPLE: list[tuple[str, int, dict[str, Any]]] = _pinned() + [(f"seed-{s}", s, {}) for s in range(12)]

# Seed -1: every dimension not pinned takes its simplest value (the builder shape and call style are the cause).
SHAPES: list[tuple[str, int, dict[str, Any]]] = [
    (f"shape-{api}-{reach}", -1, {"family": family, "api": api, "reach": reach, "mistake": "RC101"})
    for family, apis in (("keras", KERAS_APIS), ("tf1", TF1_APIS))
    for api in apis
    for reach in REACHES
    if not (family == "keras" and reach == "inline" and api == "subclass")  # the same program as module_call
]

GRAPH_SAMPLE: list[tuple[str, int, dict[str, Any]]] = [
    ("graph-keras3-fit-RC101", 0, {"family": "keras", "keras": "3", "imports": "tf", "mistake": "RC101"}),
    ("graph-keras3-RC104", 1, {"family": "keras", "keras": "3", "imports": "tf", "mistake": "RC104"}),
    ("graph-keras2-loop-RC202", 2, {"family": "keras", "keras": "2", "mistake": "RC202", "training": "loop"}),
    ("graph-keras2-RC104", 3, {"family": "keras", "keras": "2", "mistake": "RC104", "imports": "tf"}),
    (
        "graph-keras3-subclass-loop-RC101",
        6,
        {"family": "keras", "keras": "3", "imports": "tf", "api": "subclass", "training": "loop", "mistake": "RC101"},
    ),
    ("graph-tf1-RC201", 4, {"family": "tf1", "mistake": "RC201", "graphs": "default"}),
    ("graph-tf1-RC106", 5, {"family": "tf1", "mistake": "RC106", "graphs": "default"}),
]


def program(seed: int, pins: dict[str, Any]) -> Program:
    if seed >= 0:
        return generate(seed, **pins)
    spec = respec(pins)
    assert spec is not None, pins
    return build(spec)
