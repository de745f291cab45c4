"""The program generator itself: deterministic, valid Python, expectations that point at real lines, pins honoured."""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings

from programs.generator import VERSIONS, Program, generate, programs
from programs.shrink import respec, shrink
from programs.spec import KERAS_MISTAKES, NA, REACHES, TF1_MISTAKES, Incompatible, Spec

# What the line an expectation points at must contain, per code: the layer, variable or call it is about.
_ABOUT = {
    "RC101": ("Dense", "Conv", "Variable", "variable", "dense(", "fc(", "add_weight", "MyDense", "vars["),
    "RC106": ("Dense", "Variable", "variable", "dense(", "fc(", "add_weight", "MyDense", "vars["),
    "RC102": ("bias", "b1", "b2", "b3", "b4", "fc(", "dense(", "Dense", "Conv", "l2_loss(b", "vars["),
    "RC107": ("SeparableConv2D", "DepthwiseConv2D"),
    "RC104": ("kernel_regularizer =",),
    "RC201": ("minimize",),
    "RC207": ("minimize",),
    "RC202": ("tape.gradient", "fit(", "compute_loss", "loss"),
    "RC203": ("losses", "tape.gradient"),
    "RC204": ("losses", "get_collection", "get_regularization_losses"),
}


def _check(program: Program) -> None:
    for name, text in program.files.items():
        ast.parse(text, filename=name)
    lines = {name: text.splitlines() for name, text in program.files.items()}
    expectations = [e for v in VERSIONS for e in program.static[v]] + list(program.graph)
    for e in expectations:
        site = e.site
        text = lines[site.file][site.line - 1]
        assert any(word in text for word in _ABOUT[e.code]), (e.describe(), text)
    assert program.entry in ("train.py", "train:main")
    assert "train.py" in program.files


@pytest.mark.parametrize("seed", range(120))
def test_generated_programs_parse_and_point_at_their_lines(seed: int) -> None:
    _check(generate(seed))


def test_generate_is_deterministic() -> None:
    assert generate(7).files == generate(7).files
    assert generate(7).static == generate(7).static


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_hypothesis_programs_are_valid(program: Program) -> None:
    _check(program)


@pytest.mark.parametrize("mistake", KERAS_MISTAKES)
def test_every_keras_mistake_can_be_pinned(mistake: str) -> None:
    program = generate(3, family="keras", mistake=mistake)
    assert program.spec.mistake == mistake
    wants = {e.code for e in program.static["3"] if not e.optional}
    assert wants == (set() if mistake in ("none", "unregularized", "zero_coef") else {mistake})


@pytest.mark.parametrize("mistake", TF1_MISTAKES)
def test_every_tf1_mistake_can_be_pinned(mistake: str) -> None:
    program = generate(3, family="tf1", mistake=mistake)
    assert program.keras == "2"  # tf.compat.v1.layers and batch norm need tf-keras under TF 2.16+
    wants = {e.code for e in program.static["2"] if not e.optional}
    assert wants == (set() if mistake in ("none", "unregularized", "zero_coef") else {mistake})


@pytest.mark.parametrize("reach", REACHES)
def test_call_styles(reach: str) -> None:
    program = generate(11, family="keras", mistake="RC101", reach=reach)
    train = program.files["train.py"]
    if reach == "defined_only":
        assert program.entry == "train:main" and "\nmain()" not in train and "__main__" not in train
    elif reach == "main_guard":
        assert 'if __name__ == "__main__":' in train and "def main" not in train
    elif reach == "two_modules":
        assert "from model import build_model" in train and "def build_model" in program.files["model.py"]
    elif reach == "inline":
        assert "def build_model" not in train


def test_version_dependent_verdicts_are_recorded_per_version() -> None:
    # Keras 3's compiled_loss adds model.losses itself; tf-keras's does not.
    program = generate(
        0, family="keras", mistake="RC202", training="train_step", step_loss="compiled_loss", imports="tf"
    )
    assert [e.code for e in program.static["2"]] == ["RC202"]
    assert program.static["3"] == ()
    # ... unless the file's own imports decide the version: `import tf_keras as keras` is Keras 2 whatever --keras says.
    program = generate(
        0, family="keras", mistake="RC202", training="train_step", step_loss="compiled_loss", imports="tf_keras_pkg"
    )
    assert [e.code for e in program.static["3"]] == ["RC202"]


def test_second_graph_is_not_the_graph_paths() -> None:
    program = generate(0, family="tf1", mistake="RC101", graphs="two_graphs", mistake_block="second")
    assert [e.code for e in program.static["2"]] == ["RC101"]
    assert program.graph == ()  # the trace stops at the first graph's training step


def test_keras3_rc107_is_not_traceable() -> None:
    program = generate(0, family="keras", mistake="RC107", keras="3", imports="tf")
    assert not program.traceable and program.graph == ()


def test_impossible_pin_raises() -> None:
    with pytest.raises(Incompatible):
        generate(0, family="keras", mistake="RC201")


def test_shrink_finds_the_cause() -> None:
    start = generate(
        5, family="keras", mistake="RC101", layers="dense", reach="main_guard", construction="partial", hidden=3
    )

    def fails(specs: list[Spec]) -> list[bool]:
        return [s.reach == "main_guard" for s in specs]

    result = shrink(start.spec, fails)
    assert result.required == {"reach": "main_guard"}
    assert result.spec.construction == "direct" and result.spec.hidden == 1
    assert respec({"family": "keras", "mistake": "RC101"}) is not None
    assert all(v != NA for v in result.spec.dims().values())
