"""RC501-RC503 read what an optimizer trains from the program model: the model a builder returns and a
trainer compiles, gradients clipped on their way to ``apply_gradients``, an optimizer made in one
module and used in another. One finding per optimizer, at its constructor, in whichever module it is
made; when that module alone shows nothing wrong, at the call here that leads to it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from helpers import codes, run_cli

REGULARIZED_BUILDER = """
    import keras

    def build():
        return keras.Sequential([
            keras.layers.Dense(64, kernel_regularizer=keras.regularizers.L2(1e-4)),
            keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4)),
        ])
"""


def _project(root: Path, files: dict[str, str]) -> list[tuple[str, str, int]]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    status, out, err = run_cli(
        str(root), "--select", "RC501,RC502,RC503", "--output-format", "json", "--no-cache", "--exit-zero"
    )
    assert status == 0, err
    return sorted((f["code"], Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"])


@pytest.mark.parametrize(
    "call",
    [
        "model = build()\nmodel.compile(optimizer=OPT, loss='mse')\n",
        "def main():\n    model = build()\n    model.compile(optimizer=OPT, loss='mse')\n\nmain()\n",
        "if __name__ == '__main__':\n    model = build()\n    model.compile(optimizer=OPT, loss='mse')\n",
        "class Trainer:\n    def __init__(self, model):\n        self.model = model\n"
        "        self.model.compile(optimizer=OPT, loss='mse')\n\nTrainer(build())\n",
    ],
    ids=["module-level", "main", "guard", "trainer-class"],
)
@pytest.mark.parametrize(
    ("optimizer", "expected"),
    [
        ("keras.optimizers.AdamW(1e-3, weight_decay=1e-4)", {"RC501", "RC503"}),
        ("keras.optimizers.Adam(1e-3)", {"RC502"}),
        ("'adam'", {"RC502"}),
        ("keras.optimizers.SGD(0.1, momentum=0.9)", set()),
        ("keras.optimizers.AdamW(1e-3, weight_decay=0.0)", set()),
    ],
)
def test_a_builder_compiled_in_every_call_style(call: str, optimizer: str, expected: set[str]) -> None:
    source = textwrap.dedent(REGULARIZED_BUILDER) + "\n" + call.replace("OPT", optimizer)
    assert set(codes(source, "RC501", "RC502", "RC503")) == expected


def test_clipped_gradients_still_reach_the_optimizer() -> None:
    source = """
        import tensorflow as tf
        model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])
        opt = tf.keras.optimizers.Adam(1e-3)
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x) - y)) + tf.add_n(model.losses)
            grads = tape.gradient(loss, model.trainable_variables)
            grads = [tf.clip_by_norm(g, 5.0) for g in grads]
            opt.apply_gradients(zip(grads, model.trainable_variables))
    """
    assert codes(source, "RC502") == ["RC502"]


def test_an_optimizer_for_other_variables_is_not_judged_by_this_model() -> None:
    # The penalized model is trained with SGD; Adam trains a second model without penalties.
    source = """
        import keras
        penalized = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])
        plain = keras.Sequential([keras.layers.Dense(10)])
        penalized.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        plain.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    """
    assert codes(source, "RC502") == []


def test_an_optimizer_made_in_another_module(tmp_path: Path) -> None:
    files = {
        "nets.py": REGULARIZED_BUILDER,
        "optim.py": """
            import keras

            def make_optimizer():
                return keras.optimizers.AdamW(1e-3, weight_decay=1e-4)
        """,
        "train.py": """
            from nets import build
            from optim import make_optimizer

            model = build()
            model.compile(optimizer=make_optimizer(), loss="mse")
        """,
    }
    # optim.py alone shows an AdamW that decays biases (RC503 there, where the fix goes); only the
    # training script sees the L2 layers it also trains: RC501 at its call to the helper.
    assert _project(tmp_path, files) == [("RC501", "train.py", 6), ("RC503", "optim.py", 5)]


def test_tensorflow_addons_decoupled_class() -> None:
    source = """
        import tensorflow as tf
        import tensorflow_addons as tfa
        AdamWD = tfa.optimizers.extend_with_decoupled_weight_decay(tf.keras.optimizers.Adam)

        def build():
            return tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])

        model = build()
        model.compile(optimizer=AdamWD(weight_decay=1e-4, learning_rate=1e-3), loss="mse")
    """
    assert codes(source, "RC501") == ["RC501"]
