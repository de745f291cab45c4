"""In-process: audit(), the Keras callback, and the promise that the static path never imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from regcheck.graph.audit import audit  # noqa: E402
from regcheck.keras import RegularizationAudit, RegularizationError, RegularizationWarning  # noqa: E402

L2 = keras.regularizers.L2(1e-4)


def model(**second):
    layers = keras.layers
    return keras.Sequential([keras.Input((4,)), layers.Dense(8, kernel_regularizer=L2), layers.Dense(2, **second)])


def test_audit_model_ok_and_not_ok():
    assert audit(model(kernel_regularizer=L2)).ok
    report = audit(model(kernel_regularizer=L2, bias_regularizer=L2))
    assert not report.ok
    assert [f.code for f in report.findings] == ["RC102"]
    assert "RC102" in str(report) and "kernel" in str(report)


def test_audit_model_missing_kernel_penalty():
    # Only the output layer unpenalized: advice, as on the static path (RC106 is info, so the report is ok).
    report = audit(model())
    assert [(f.code, f.symbol.split("/")[-1]) for f in report.findings] == [("RC106", "kernel")]
    assert report.ok
    layers = keras.layers
    hidden_free = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.Dense(2, kernel_regularizer=L2)])
    assert [f.code for f in audit(hidden_free).findings] == ["RC101"]


def test_audit_late_regularizer():
    m = model(kernel_regularizer=L2)
    m.layers[0].kernel_regularizer = L2  # already built: too late, but already regularized
    m2 = model()
    m2.layers[1].kernel_regularizer = L2
    assert audit(m).ok
    assert [f.code for f in audit(m2).findings] == ["RC104"]  # RC104 explains the gap; no RC101 twice


def test_audit_tf1_graph_collection_unused():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        w = tf.compat.v1.get_variable("w", [4, 2], regularizer=lambda v: 0.1 * tf.nn.l2_loss(v))
        loss = tf.reduce_mean(tf.matmul(x, w))
        tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    report = audit(graph=graph)
    assert [(f.code, f.symbol) for f in report.findings] == [("RC201", "w")]
    assert report.findings[0].path.endswith("test_audit.py")


def test_callback_warns_or_raises():
    m = model(kernel_regularizer=L2, bias_regularizer=L2)
    m.compile("sgd", "mse")
    x, y = tf.ones((4, 4)), tf.ones((4, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.fit(x, y, epochs=1, verbose=0, callbacks=[RegularizationAudit()])
    assert any(issubclass(w.category, RegularizationWarning) for w in caught)
    with pytest.raises(RegularizationError, match="RC102"):
        m.fit(x, y, epochs=1, verbose=0, callbacks=[RegularizationAudit(strict=True)])
    good = model(kernel_regularizer=L2)
    good.compile("sgd", "mse")
    callback = RegularizationAudit(strict=True)
    good.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert callback.report.ok


def _line_of(marker: str) -> int:
    (line,) = [n for n, text in enumerate(Path(__file__).read_text().splitlines(), 1) if text.endswith(marker)]
    return line


def _located_model(**second):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, kernel_regularizer=L2),  # <- hidden layer
            keras.layers.Dense(2, **second),  # <- output layer
        ]
    )


def test_audit_findings_point_at_the_line_that_created_the_layer():
    # regcheck.keras is imported above, before these layers are made: their creating lines are recorded.
    report = audit(_located_model(kernel_regularizer=L2, bias_regularizer=L2))
    assert [(f.code, Path(f.path).name, f.line, f.source) for f in report.findings] == [
        ("RC102", "test_audit.py", _line_of("# <- output layer"), "graph")
    ]
    assert Path(report.findings[0].path).resolve() == Path(__file__).resolve()
    assert f"test_audit.py:{_line_of('# <- output layer')}: RC102" in str(report)
    late = _located_model()
    late.layers[1].kernel_regularizer = L2  # <- late assignment
    (finding,) = audit(late).findings
    assert (finding.code, finding.line) == ("RC104", _line_of("# <- late assignment"))


def test_audit_of_layers_made_before_recording_points_at_the_audit_call(monkeypatch):
    import regcheck.graph.registry as registry

    monkeypatch.setattr(registry, "_IN_PROCESS", None)  # as if regcheck.keras had not been imported yet
    report = audit(_located_model(kernel_regularizer=L2, bias_regularizer=L2))  # <- audit call
    assert [(f.code, Path(f.path).name, f.line) for f in report.findings] == [
        ("RC102", "test_audit.py", _line_of("# <- audit call"))
    ]
    assert "<graph>" not in str(report)


def test_callback_findings_point_at_the_layer():
    m = _located_model(kernel_regularizer=L2, bias_regularizer=L2)
    m.compile("sgd", "mse")
    with pytest.raises(RegularizationError, match=f"test_audit.py:{_line_of('# <- output layer')}: RC102"):
        m.fit(tf.ones((4, 4)), tf.ones((4, 2)), epochs=1, verbose=0, callbacks=[RegularizationAudit(strict=True)])


def test_importing_the_graph_package_does_not_import_tensorflow():
    code = (
        "import sys, regcheck.graph, regcheck.cli.trace, regcheck.graph.merge, regcheck.graph.trace; "
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
