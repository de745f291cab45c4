"""RC502 l2-with-adaptive-optimizer: L2 penalties with Adam/RMSprop/Adagrad, where decoupled weight decay is usually meant."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from regcheck.checks.base import Check
from regcheck.checks.optimizer_models import describe_layers, l2_layers, trained_models
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import closure
from regcheck.facts.optimizers import OptimizerFact, optimizers
from regcheck.facts.penalties import penalty_terms
from regcheck.findings import Finding


class L2WithAdaptiveOptimizer(Check):
    code = "RC502"
    triggers = (b"Adam", b"RMSprop", b"RMSProp", b"Adagrad", b"adam", b"rmsprop", b"adagrad")

    VALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
""",
        """
import keras
model = keras.Sequential([keras.layers.Dense(10)])
model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")
""",
    ]
    INVALID = [
        """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile(optimizer="adam", loss="mse")
""",
        """
import tensorflow.compat.v1 as tf
w = tf.get_variable("w", [784, 10])
loss = data_loss + 5e-4 * tf.nn.l2_loss(w)
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for optimizer in optimizers(facts):
            if not optimizer.adaptive:
                continue
            layers = l2_layers(trained_models(facts, optimizer)[0])
            if layers:
                what = f"the layers {describe_layers(layers)} carry L2 penalties"
            elif _minimizes_l2(facts, optimizer):
                what = "the minimized loss adds an L2 penalty"
            else:
                continue
            yield self.finding(
                facts,
                optimizer.node,
                f"{what} while `{optimizer.cls}` adapts the step per parameter, which weakens the penalty "
                "on weights with large gradients; decoupled weight decay (AdamW, `weight_decay=`) is usually what is meant",
                symbol=optimizer.cls,
            )


def _minimizes_l2(facts: ModuleFacts, optimizer: OptimizerFact) -> bool:
    """TF1 style: ``AdamOptimizer().minimize(loss)`` where the loss holds ``l2_loss`` penalty terms."""
    terms = {t.call for t in penalty_terms(facts) if t.kind == "l2" and not t.zero}
    if not terms:
        return False
    for call in optimizer.minimize:
        loss = call.value("loss", 0)
        if loss is not None and any(isinstance(n, cst.Call) and n in terms for n in closure(facts, loss).nodes):
            return True
    return False
