"""``audit()`` and the Keras callback in one process of one Keras version, for test_audit_versions.py.

Run as ``python tests/graph/audit_cases.py`` (``TF_USE_LEGACY_KERAS=1`` for tf-keras): every case
runs and prints one JSON object, ``{case: what it observed}``. ``tf.keras`` is the Keras the
environment selects, so the same cases run under Keras 3 and tf-keras.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

import regcheck.keras  # noqa: F401  # before any layer is made: findings point at the line that made each layer
from regcheck.graph.audit import NotBuiltError, audit
from regcheck.keras import RegularizationAudit, RegularizationError, RegularizationWarning

keras = tf.keras
L2 = keras.regularizers.L2(1e-4)
X, Y = np.ones((8, 4), "float32"), np.ones((8, 2), "float32")


def _line(marker: str) -> int:
    with open(__file__, encoding="utf-8") as handle:
        return next(n for n, text in enumerate(handle, 1) if text.rstrip().endswith(marker))


def sequential(**second):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, kernel_regularizer=L2),  # <- hidden layer
            keras.layers.Dense(2, **second),  # <- output layer
        ]
    )


def codes(report) -> list[str]:
    return sorted(f.code for f in report.findings)


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, kernel_regularizer=L2)
        self.out = keras.layers.Dense(2, kernel_regularizer=L2, bias_regularizer=L2)

    def call(self, x):
        return self.out(self.hidden(x))


class OwnStep(keras.Model):
    def train_step(self, data):
        return super().train_step(data)


def case_ok_and_bias():
    return {
        "good": audit(sequential(kernel_regularizer=L2)).ok,
        "bias": codes(audit(sequential(kernel_regularizer=L2, bias_regularizer=L2))),
    }


def case_output_layer_only_unpenalized():
    return codes(audit(sequential()))


def case_late_regularizers():
    model = sequential()
    for layer in model.layers:
        layer.kernel_regularizer = L2  # <- late loop
    report = audit(model)
    return {"codes": codes(report), "lines": [f.line for f in report.findings], "expected": _line("# <- late loop")}


def case_notes():
    inputs = keras.Input((4,))
    own = OwnStep(inputs, keras.layers.Dense(2, kernel_regularizer=L2)(inputs))
    return {"sequential": audit(sequential(kernel_regularizer=L2)).notes, "own_step": audit(own).notes}


def case_unbuilt_subclassed_model():
    try:
        audit(Subclassed())
    except NotBuiltError as exc:
        return f"NotBuiltError: {exc}"
    return "audited"


def case_creation_lines():
    report = audit(sequential(kernel_regularizer=L2, bias_regularizer=L2))
    return {
        "found": [(f.code, os.path.basename(f.path), f.line) for f in report.findings],
        "expected": ["RC102", os.path.basename(__file__), _line("# <- output layer")],
    }


def case_callback_warns_and_raises():
    model = sequential(kernel_regularizer=L2, bias_regularizer=L2)
    model.compile("sgd", "mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[RegularizationAudit()])
    warned = any(issubclass(w.category, RegularizationWarning) for w in caught)
    try:
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[RegularizationAudit(strict=True)])
        raised = None
    except RegularizationError as exc:
        raised = "RC102" in str(exc)
    good = sequential(kernel_regularizer=L2)
    good.compile("sgd", "mse")
    callback = RegularizationAudit(strict=True)
    good.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
    return {"warned": warned, "raised": raised, "good": callback.report.ok}


def case_callback_strict_on_unbuilt_subclassed_model():
    model = Subclassed()
    model.compile("sgd", "mse")
    try:
        model.fit(X, Y, epochs=2, batch_size=4, verbose=0, callbacks=[RegularizationAudit(strict=True)])
    except RegularizationError as exc:
        return "RC102" in str(exc)
    return "not raised"


def case_graph_update_ops_and_collection():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        w = tf.compat.v1.get_variable("w", [4, 2], regularizer=lambda v: 0.1 * tf.nn.l2_loss(v))
        h = tf.matmul(x, w)
        mean = tf.Variable(tf.zeros([2]), trainable=False, name="moving_mean")
        update = mean.assign(0.9 * mean + 0.1 * tf.reduce_mean(h, axis=0))
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, update)
        tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_mean(h))
    return codes(audit(graph=graph))


def main() -> None:
    results = {}
    for name, case in sorted(globals().items()):
        if name.startswith("case_"):
            try:
                results[name[5:]] = case()
            except Exception:
                results[name[5:]] = "error: " + traceback.format_exc(limit=4)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
