"""A rule's findings never depend on which other rules are selected.

For every check's VALID and INVALID samples (and a multi-file project), the
findings of rule X run alone are exactly the findings of every rule, filtered
to X. The prefilter's trigger words must therefore never drop a file that a
rule's facts would have judged.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from helpers import run_cli

from regcheck import check_source
from regcheck.checks import ALL_CHECKS
from regcheck.config.catalog import RULES

SAMPLES = sorted(
    {(check.code, textwrap.dedent(sample)) for check in ALL_CHECKS for sample in (*check.VALID, *check.INVALID)}
)
STATIC_CODES = sorted({check.code for check in ALL_CHECKS})


def _key(finding: object) -> tuple:
    return (finding.code, finding.line, finding.column, finding.message)  # type: ignore[attr-defined]


@pytest.mark.parametrize("index", range(len(SAMPLES)), ids=lambda i: f"{SAMPLES[i][0]}-{i}")
def test_each_rule_alone_finds_what_all_find(index: int) -> None:
    _owner, source = SAMPLES[index]
    everything = check_source(source, select=["ALL"])
    for code in STATIC_CODES:
        alone = sorted(map(_key, check_source(source, select=[code])))
        filtered = sorted(_key(f) for f in everything if f.code == code)
        assert alone == filtered, f"{code} alone differs from ALL filtered to {code}"


# A model assembled in train.py from another module's blocks, trained with an optimizer that
# decays weights, with a custom loop: RC101, RC202, RC501 and RC502 all have a say.
PROJECT = {
    "blocks.py": """
        from tensorflow.keras import layers, regularizers
        def conv_block(x, filters):
            x = layers.Conv2D(filters, 3, kernel_regularizer=regularizers.l2(1e-4))(x)
            return layers.ReLU()(x)
    """,
    "train.py": """
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers
        from blocks import conv_block
        inputs = keras.Input((32, 32, 3))
        x = conv_block(inputs, 32)
        x = layers.Conv2D(64, 3)(x)
        outputs = layers.Dense(10)(layers.Flatten()(conv_block(x, 64)))
        model = keras.Model(inputs, outputs)
        optimizer = tf.keras.optimizers.Adadelta()
        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """,
}


def _project_findings(root: Path, select: str) -> list[tuple]:
    code, out, err = run_cli(str(root), "--select", select, "--output-format", "json", "--no-cache", "--exit-zero")
    assert code == 0, err
    return sorted(
        (Path(f["path"]).name, f["code"], f["line"], f["column"], f["message"]) for f in json.loads(out)["findings"]
    )


def test_rule_selection_does_not_change_findings_across_modules(tmp_path: Path) -> None:
    for name, text in PROJECT.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    everything = _project_findings(tmp_path, "ALL")
    assert {f[1] for f in everything} >= {"RC101", "RC202", "RC502"}
    for code in sorted(RULES):
        assert _project_findings(tmp_path, code) == [f for f in everything if f[1] == code], code
