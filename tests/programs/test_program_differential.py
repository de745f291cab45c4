"""A fixed sample of generated programs: each path must report exactly the findings known by construction.

Where today's regcheck disagrees, the case is ``xfail(strict=True)`` with the cause the shrinker found
(``programs/shrink.py``: the dimension values without which the disagreement does not happen), so that it
turns green, and fails as XPASS until the entry is removed, when the program model learns that shape.
``benchmarks/differential.py`` runs thousands of these; see benchmarks/README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from programs import oracle
from programs.cases import GRAPH_SAMPLE, SAMPLE, SHAPES, program
from programs.generator import GRAPH_CODES, Program

# Static path: case id -> cause (kind, code: the dimension values the shrinker found).
STATIC_XFAIL: dict[str, str] = {}  # none left: every cause the first measurement found is fixed
# Graph path: case id -> cause.
GRAPH_XFAIL: dict[str, str] = {}  # none left: a model built inside an eager tape is seen too


def _params(cases: list[tuple[str, int, dict[str, Any]]], xfail: dict[str, str]) -> list[Any]:
    out = []
    for name, seed, pins in cases:
        marks = [pytest.mark.xfail(strict=True, reason=xfail[name])] if name in xfail else []
        out.append(pytest.param(seed, pins, id=name, marks=marks))
    return out


def _report(program: Program, judgement: oracle.Judgement) -> str:
    lines = [oracle.expectations_text(program), f"{judgement.path}: {judgement.outcome.status}"]
    lines += [f"  found {f.describe()}" for f in judgement.outcome.found]
    lines += [f"  MISS {e.describe()}" for e in judgement.misses]
    lines += [f"  FALSE {f.describe()}" for f in judgement.false]
    lines += [f"  WRONG LINE {e.describe()} -> {f.site}" for e, f in judgement.wrong_line]
    lines += [f"  WRONG CODE {e.describe()} -> {f.describe()}" for e, f in judgement.wrong_code]
    if judgement.outcome.error:
        lines.append(judgement.outcome.error)
    for name, text in program.files.items():
        lines += [f"--- {name}", text]
    return "\n".join(lines)


def _static(seed: int, pins: dict[str, Any], folder: Path) -> tuple[Program, oracle.Judgement]:
    prog = program(seed, pins)
    oracle.write_program(prog, folder)
    outcome = oracle.static_api([oracle.Job(prog, folder, prog.keras)])[0]
    return prog, oracle.judge("static", outcome, prog.static[prog.keras])


@pytest.mark.parametrize(("seed", "pins"), _params(SAMPLE, STATIC_XFAIL))
def test_static_path_gets_the_expected_findings(seed: int, pins: dict[str, Any], tmp_path: Path) -> None:
    prog, judgement = _static(seed, pins, tmp_path)
    assert judgement.agrees, _report(prog, judgement)


@pytest.mark.parametrize(("seed", "pins"), _params(SHAPES, STATIC_XFAIL))
def test_every_builder_shape_with_every_call_style(seed: int, pins: dict[str, Any], tmp_path: Path) -> None:
    prog, judgement = _static(seed, pins, tmp_path)
    assert judgement.agrees, _report(prog, judgement)


def test_static_cli_and_api_runners_agree(tmp_path: Path) -> None:
    jobs = []
    for n, seed in enumerate((1, 2, 5)):
        prog = program(seed, {})
        oracle.write_program(prog, tmp_path / str(n))
        jobs.append(oracle.Job(prog, tmp_path / str(n), prog.keras))
    api = oracle.static_api(jobs)
    cli = oracle.static_cli(jobs)
    assert [(o.status, sorted(map(str, o.found))) for o in api] == [(o.status, sorted(map(str, o.found))) for o in cli]


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Program, oracle.Judgement]]:
    """The graph sample, traced once: one TensorFlow process per Keras version and mode."""
    pytest.importorskip("tensorflow")
    root = tmp_path_factory.mktemp("graph-sample")
    jobs = []
    for name, seed, pins in GRAPH_SAMPLE:
        prog = program(seed, pins)
        oracle.write_program(prog, root / name)
        jobs.append(oracle.Job(prog, root / name, prog.keras))
    outcomes = oracle.graph_batch(jobs)
    return {
        name: (job.program, oracle.judge("graph", outcome, job.program.graph, GRAPH_CODES))
        for (name, _, _), job, outcome in zip(GRAPH_SAMPLE, jobs, outcomes)
    }


@pytest.mark.tensorflow
@pytest.mark.parametrize(("seed", "pins"), _params(GRAPH_SAMPLE, GRAPH_XFAIL))
def test_graph_path_gets_the_expected_findings(
    seed: int, pins: dict[str, Any], traced: dict[str, tuple[Program, oracle.Judgement]], request: pytest.FixtureRequest
) -> None:
    name = request.node.callspec.id
    prog, judgement = traced[name]
    assert judgement.agrees, _report(prog, judgement)
