"""audit() and the Keras callback under Keras 3 and under tf-keras: tests/graph/audit_cases.py runs every
case in one process per Keras version (TF_USE_LEGACY_KERAS=1 for tf-keras) and reports what it saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from graph_background import JOBS, background, has_tf_keras, start_all

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _audit_cases(version: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p))
    if version == "2":
        env["TF_USE_LEGACY_KERAS"] = "1"
    done = subprocess.run(
        [sys.executable, str(HERE / "audit_cases.py")], env=env, cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# Both versions' processes start in the background at collection (graph_background.py).
JOBS["seen"] = {"audit-3": lambda: _audit_cases("3")}
if has_tf_keras():
    JOBS["seen"]["audit-2"] = lambda: _audit_cases("2")


@pytest.fixture(scope="module", params=["3", "2"])
def seen(request: pytest.FixtureRequest) -> dict:
    if request.param == "2":
        pytest.importorskip("tf_keras")
    start_all("seen")
    return background(f"audit-{request.param}", lambda: _audit_cases(request.param)).result()


def test_ok_and_a_penalized_bias(seen):
    assert seen["ok_and_bias"] == {"good": True, "bias": ["RC102"]}


def test_an_unpenalized_output_layer_is_advice(seen):
    assert seen["output_layer_only_unpenalized"] == ["RC106"]


def test_regularizers_set_after_build_are_one_rc104_at_the_assignment(seen):
    late = seen["late_regularizers"]
    assert late["codes"] == ["RC104"]
    assert late["lines"] == [late["expected"]]


def test_notes_only_for_models_that_override_the_step(seen):
    assert seen["notes"]["sequential"] == []
    assert seen["notes"]["own_step"] == [
        "the model overrides train_step: audit assumed the stock loss; `regcheck trace` sees the real one"
    ]


def test_an_unbuilt_subclassed_model_is_not_audited_as_ok(seen):
    assert seen["unbuilt_subclassed_model"].startswith("NotBuiltError: the model")
    assert "has no variables yet" in seen["unbuilt_subclassed_model"]


def test_findings_point_at_the_line_that_created_the_layer(seen):
    lines = seen["creation_lines"]
    assert lines["found"] == [lines["expected"]]


def test_the_callback_warns_and_raises_in_fit(seen):
    assert seen["callback_warns_and_raises"] == {"warned": True, "raised": True, "good": True}


def test_the_strict_callback_fires_on_a_subclassed_model_built_by_its_first_batch(seen):
    assert seen["callback_strict_on_unbuilt_subclassed_model"] is True


def test_audit_of_a_tf1_graph_reports_update_ops_and_collections(seen):
    assert seen["graph_update_ops_and_collection"] == ["RC201", "RC207"]
