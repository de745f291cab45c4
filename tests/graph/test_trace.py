"""End to end: `regcheck trace` on real TF1, tf.function, eager and Keras scripts, and what only the command
line shows: options, messages, exit codes, and that a trace leaves nothing behind."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, SCENARIOS

from regcheck.graph.trace import GPU_HINT, LEGACY_HINT

pytest.importorskip("tensorflow")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_reports_exactly_the_expected_findings(runs, name):
    result = runs("3")[name]
    assert result.error is None, result.error
    assert {(f.code, f.symbol) for f in result.findings} == SCENARIOS[name][1]
    for finding in result.findings:
        assert finding.source == "graph"
        assert finding.path == f"{name}/train.py"  # relative to the cwd, like static findings


def _line_of(name, text):
    source = SCENARIOS[name][0].splitlines()
    return next(i for i, line in enumerate(source, 1) if text in line)


@pytest.mark.parametrize(
    "name, code, text",
    [
        ("tf1_output_only", "RC101", 'name="w_hidden"'),
        ("tf1_output_only", "RC102", 'name="b_out"'),
        ("function_output_only", "RC101", 'name="w_hidden"'),
        ("eager_output_only", "RC102", 'name="b_out"'),
        ("fit_output_only", "RC101", "layers.Dense(8"),
        ("fit_output_only", "RC102", "layers.Dense(2"),
        ("late_regularizer", "RC104", "layer.kernel_regularizer ="),
        ("tape_losses_left_out", "RC202", "tape.gradient("),
        ("tf1_collection_unused", "RC201", ".minimize(loss)"),
    ],
)
def test_findings_point_at_the_creating_line(runs, name, code, text):
    lines = {f.line for f in runs("3")[name].findings if f.code == code}
    assert lines == {_line_of(name, text)}


# What `regcheck trace` gives each file of examples/: its findings, or one line saying what it needs.
EXAMPLE_VERDICTS = {
    "3": {
        "tf1_mnist/mlp.py": {("RC101", "w_hidden"), ("RC102", "b_out")},
        "tf1_mnist/scoped.py": LEGACY_HINT,  # tf.layers: TF1 code that Keras 3 does not run
        "tf1_mnist/collections_sum.py": LEGACY_HINT,
        "keras_loop/train.py": {("RC202", "sequential/dense/kernel")},
        "keras_loop/models.py": "regcheck trace examples/keras_loop/models.py:build_model",
        "keras_loop/models.py:build_model": set(),
    },
    "2": {
        "tf1_mnist/mlp.py": {("RC101", "w_hidden"), ("RC102", "b_out")},
        "tf1_mnist/scoped.py": {("RC201", "hidden/weights"), ("RC207", None)},
        "tf1_mnist/collections_sum.py": set(),  # the list is summed into the loss (RC204 is the static path's)
        "keras_loop/train.py": {("RC202", "sequential/dense/kernel")},
        "keras_loop/models.py": "regcheck trace examples/keras_loop/models.py:build_model",
        "keras_loop/models.py:build_model": set(),
    },
}


@pytest.mark.tensorflow
@pytest.mark.parametrize("version", ["3", "2"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_gets_its_findings_or_what_it_needs(runs, version, example):
    result = runs(version)[example]
    expected = EXAMPLE_VERDICTS[version][example]
    if isinstance(expected, str):
        assert result.error is not None and expected in result.error, result.error
        assert len(result.error.splitlines()) <= 2 and 'File "' not in result.error  # what it needs, no traceback
    else:
        assert result.error is None, result.error
        assert {(f.code, f.symbol) for f in result.findings} == expected


def test_module_callable_entry(traces):
    outcome = traces["callable"]
    assert outcome.returncode == 1, outcome.stderr
    assert outcome.codes == {("RC101", "w_hidden")}
    assert outcome.report["findings"][0]["path"] == "mytrain.py"
    assert outcome.report["steps"][0]["hook"] == "tape.gradient (eager)"


def test_coverage_table_lists_every_trained_variable(traces):
    outcome = traces["coverage"]
    assert outcome.returncode == 1, outcome.stderr
    rows = {
        line.split()[0]: line.split()
        for line in outcome.stdout.splitlines()
        if line.split() and line.split()[0] in {"w_hidden", "b_hidden", "w_out", "b_out"}
    }
    assert rows["w_hidden"][1:] == ["(4,", "8)", "kernel", "-", "RC101"]
    assert rows["w_out"][3:] == ["kernel", "l2_loss", "x0.01", "penalized"]
    assert rows["b_out"][-1] == "RC102"
    assert rows["b_hidden"][-1] == "unpenalized"


def test_json_report_with_coverage_written_to_a_file_is_valid_json(traces):
    outcome = traces["json_file"]
    assert outcome.returncode == 1, outcome.stderr
    report = json.loads((outcome.out / "report.json").read_text())
    assert {(f["code"], f["symbol"]) for f in report["findings"]} == {("RC101", "w_hidden"), ("RC102", "b_out")}
    assert {row["variable"]: row["status"] for row in report["coverage"]} == {
        "w_hidden": "RC101",
        "b_hidden": "unpenalized",
        "w_out": "penalized",
        "b_out": "RC102",
    }
    assert report["steps"] == [
        {"step": 1, "hook": "minimize", "path": "train.py", "line": 13, "optimizer": "GradientDescentOptimizer"}
    ]
    assert isinstance(report["notes"], list)
    assert outcome.stdout == ""


@pytest.mark.parametrize(
    "name, message",
    [
        ("failing", "ValueError: dataset not found: data.csv"),
        ("hanging", "timed out after 3 s before reaching a training step; the script was at train.py:3: time.sleep(1)"),
        ("never_trains", "no training step was reached"),
        ("missing", "nope.py: no such file"),
        ("folder", "project is a folder: regcheck trace runs one training script"),
        ("argparse_error", "error: the following arguments are required: --out"),
        ("gpu", GPU_HINT),
    ],
)
def test_untraceable_scripts_exit_2_with_a_clear_message(traces, name, message):
    outcome = traces[name]
    assert outcome.returncode == 2
    assert message in outcome.stderr
    assert outcome.stdout == ""
    assert "regcheck/graph" not in outcome.stderr  # the user's error, never regcheck's traceback


def test_failing_script_shows_the_users_own_lines(traces):
    stderr = traces["failing"].stderr
    assert "raise ValueError('dataset not found: data.csv')" in stderr
    assert "failed before reaching a training step" in stderr


def test_a_folder_lists_the_scripts_it_holds(traces):
    assert "scripts in it: project/model.py, project/train.py" in traces["folder"].stderr


def test_script_arguments_go_after_dashes(traces):
    assert traces["argparse_after_dashes"].returncode == 0, traces["argparse_after_dashes"].stderr
    assert "All checks passed!" in traces["argparse_after_dashes"].stdout
    for name in ("script_flag_without_dashes", "abbreviation"):  # never taken as abbreviations of --output, --timeout
        outcome = traces[name]
        assert outcome.returncode == 2
        assert "unrecognized arguments" in outcome.stderr
        assert "arguments for the script go after `--`" in outcome.stderr


def test_a_helper_holding_stdout_neither_delays_the_trace_nor_outlives_it(traces):
    outcome = traces["helper"]
    assert outcome.returncode == 0, outcome.stderr
    assert "All checks passed!" in outcome.stdout
    pid = int((outcome.out / "helper.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid), "the script's helper process outlived the trace"
    # What the script wrote went to a scratch directory: its own folder is as it was.
    assert sorted(p.name for p in outcome.cwd.iterdir()) == ["train.py"]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", ["callbacks_keras3", "callbacks_tf_keras"])
def test_callbacks_write_nothing_even_in_place(traces, name):
    outcome = traces[name]
    assert outcome.returncode == 0, outcome.stderr
    assert "All checks passed!" in outcome.stdout
    assert sorted(p.name for p in outcome.cwd.iterdir()) == ["train.py"]  # no logs/, training.csv, best.keras


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", ["builder_keras3", "builder_tf_keras"])
def test_a_builder_entry_is_audited_without_data(traces, name):
    outcome = traces[name]
    assert outcome.returncode == 0, outcome.stderr  # RC106 is advice (info): it does not fail the run
    assert "RC106" in outcome.stdout
    assert "models.py:6:" in outcome.stdout or "models.py:8:" in outcome.stdout


def test_check_graph_takes_script_arguments_and_a_timeout(traces):
    outcome = traces["check_graph"]
    assert outcome.returncode == 0, outcome.stderr
    assert "All checks passed!" in outcome.stdout


def test_gpus_are_hidden_unless_asked():
    from regcheck.graph.trace import TraceOptions, _server_env

    assert _server_env(TraceOptions())["CUDA_VISIBLE_DEVICES"] == ""
    assert _server_env(TraceOptions(gpu=True)).get("CUDA_VISIBLE_DEVICES") == os.environ.get("CUDA_VISIBLE_DEVICES")
    assert _server_env(TraceOptions(keras="2"))["TF_USE_LEGACY_KERAS"] == "1"
    assert "TF_USE_LEGACY_KERAS" not in _server_env(TraceOptions(keras="3"))


def test_a_timeout_after_a_step_reports_that_step(traces):
    outcome = traces["stuck_after_step"]
    assert outcome.returncode == 1, outcome.stderr
    assert "RC102" in outcome.stdout
    assert "stopped by the timeout (3 s) after its last captured step" in outcome.stderr


def test_check_graph_audits_the_builder_of_a_script_that_needs_data(traces):
    outcome = traces["check_graph_builder"]
    assert "--graph: train.py was not traced; auditing train.py:build_model" in outcome.stderr
    report = json.loads(outcome.stdout)
    graph = [(f["code"], f["symbol"]) for f in report["findings"] if f["source"] == "graph" or f.get("confirmed")]
    assert ("RC102", "sequential/dense_1/bias") in graph or any(code == "RC102" for code, _ in graph), report


@pytest.mark.tensorflow
def test_trace_many_goes_on_when_a_script_kills_its_worker(tmp_path):
    from regcheck.graph.trace import trace_many

    (tmp_path / "kills.py").write_text("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n")
    (tmp_path / "trains.py").write_text(SCENARIOS["eager_output_only"][0])
    killed, traced = trace_many(["kills.py", "trains.py"], cwd=str(tmp_path), jobs=1, timeout=60)
    assert killed.error is not None
    assert traced.error is None, traced.error
    assert {(f.code, f.symbol) for f in traced.findings} == SCENARIOS["eager_output_only"][1]
