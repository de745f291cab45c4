"""End to end: `regcheck trace` on real TF1, tf.function, eager and Keras 3 scripts."""

from __future__ import annotations

import pytest
from scenarios import SCENARIOS

pytest.importorskip("tensorflow")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_reports_exactly_the_expected_findings(traces, name):
    outcome = traces[name]
    expected = SCENARIOS[name][1]
    assert outcome.returncode == (1 if expected else 0), outcome.stderr
    assert outcome.codes == expected
    report = outcome.report
    assert report["version"] == 1
    assert report["summary"]["findings"] == len(expected)
    for finding in report["findings"]:
        assert finding["source"] == "graph"
        assert finding["path"] == "train.py"  # relative to the cwd, like static findings


def _line_of(outcome, text):
    source = (outcome.cwd / "train.py").read_text().splitlines()
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
def test_findings_point_at_the_creating_line(traces, name, code, text):
    outcome = traces[name]
    lines = {f["line"] for f in outcome.report["findings"] if f["code"] == code}
    assert lines == {_line_of(outcome, text)}


def test_module_callable_entry(traces):
    outcome = traces["callable"]
    assert outcome.returncode == 1, outcome.stderr
    assert outcome.codes == {("RC101", "w_hidden")}
    assert outcome.report["findings"][0]["path"] == "mytrain.py"


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


@pytest.mark.parametrize(
    "name, message",
    [
        ("failing", "ValueError: dataset not found: data.csv"),
        ("hanging", "timed out after 3 s"),
        ("never_trains", "no training step was reached"),
        ("missing", "nope.py: no such file"),
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
