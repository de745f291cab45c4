"""Models and layers that hold each other (a model keeping a reference to itself, to its parent, or
to a wrapper of itself, as Keras' own training code does): each is entered once, and the findings are
those of the layers they hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, write_project

HOLDS = {
    "itself": "self.me = self",
    "its_parent": "self.inner = Inner(self)",
    "a_list_with_itself": "self.all = [self, self.hidden]",
    "a_dict_with_itself": 'self.by_name = {"self": self, "out": self.out}',
}

PROGRAM = """
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    class Inner(tf.keras.Model):
        def __init__(self, outer):
            super().__init__()
            self.outer = outer
            self.extra = layers.Dense(4)

    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8)
            self.out = layers.Dense(2, kernel_regularizer=regularizers.l2(1e-4))
            {hold}

        def call(self, x):
            return self.out(self.hidden(x))

    model = Net()
    model.compile(optimizer="adam", loss="mse")
    model.fit(tf.zeros([4, 3]), tf.zeros([4, 2]))
"""


@pytest.mark.parametrize("hold", sorted(HOLDS))
def test_a_model_that_holds_itself_is_analysed(tmp_path: Path, hold: str) -> None:
    root = write_project(tmp_path, {"net.py": PROGRAM.replace("{hold}", HOLDS[hold])})
    status, out, err = run_cli(str(root), "--output-format", "json", "--no-cache", "--exit-zero")
    assert status == 0 and "internal error" not in err, err
    found = {(f["code"], f["line"]) for f in json.loads(out)["findings"]}
    assert ("RC101", 14) in found  # the hidden layer, unpenalized next to the regularized output
