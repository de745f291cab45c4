"""A rule's findings never depend on which other rules are selected.

For every check's VALID and INVALID samples, for samples that spell every name of
a vocabulary the facts match (each norm constraint, under each import style and as
a string), and for a multi-file project, the findings of rule X run alone are
exactly the findings of every rule, filtered to X. The prefilter's trigger words
must therefore never drop a file that a rule's facts would have judged.
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
from regcheck.facts import vocabulary

SAMPLES = sorted(
    {(check.code, textwrap.dedent(sample)) for check in ALL_CHECKS for sample in (*check.VALID, *check.INVALID)}
)
STATIC_CODES = sorted({check.code for check in ALL_CHECKS})


def _key(finding: object) -> tuple:
    return (finding.code, finding.line, finding.column, finding.message)  # type: ignore[attr-defined]


def _independent(source: str) -> list[str]:
    """The codes ALL finds in ``source``, after checking that each rule alone finds the same."""
    everything = check_source(source, select=["ALL"])
    for code in STATIC_CODES:
        alone = sorted(map(_key, check_source(source, select=[code])))
        filtered = sorted(_key(f) for f in everything if f.code == code)
        assert alone == filtered, f"{code} alone differs from ALL filtered to {code}"
    return sorted({f.code for f in everything})


@pytest.mark.parametrize("index", range(len(SAMPLES)), ids=lambda i: f"{SAMPLES[i][0]}-{i}")
def test_each_rule_alone_finds_what_all_find(index: int) -> None:
    _independent(SAMPLES[index][1])


# Every norm constraint Keras has had (keras.constraints in Keras 3 and tf-keras, and the lower-case
# aliases of Keras 2): the vocabulary the facts match must hold them all.
KERAS_NORM_CONSTRAINTS = {
    "MaxNorm",
    "max_norm",
    "maxnorm",
    "MinMaxNorm",
    "min_max_norm",
    "UnitNorm",
    "unit_norm",
    "unitnorm",
}
NORM_NAMES = sorted(name.rsplit(".", 1)[1] for name in vocabulary.NORM_CONSTRAINTS)
# Each spelling of a norm constraint: (what it is, source, the codes ALL must find in it).
ALIAS_SAMPLES = [
    # A per-unit bound on a Dense kernel's outgoing weights (axis=1): RC303.
    *(
        (
            f"{name}-attribute",
            f"import keras\nlayer = keras.layers.Dense(8, kernel_constraint=keras.constraints.{name}(axis=1))\n",
            ["RC303"],
        )
        for name in NORM_NAMES
    ),
    # Imported by name, on a Conv2D kernel with the default axis=0: RC303.
    *(
        (
            f"{name}-imported",
            f"from tensorflow.keras import layers\nfrom tensorflow.keras.constraints import {name}\n"
            f"conv = layers.Conv2D(8, 3, kernel_constraint={name}())\n",
            ["RC303"],
        )
        for name in NORM_NAMES
    ),
    # Named by a string, on a Conv2D kernel (the default axis=0): RC303.
    *(
        (
            f"{name}-string",
            f'import tensorflow as tf\nconv = tf.keras.layers.Conv2D(8, 3, kernel_constraint="{name}")\n',
            ["RC303"],
        )
        for name in sorted(vocabulary.NORM_CONSTRAINT_IDENTIFIERS)
    ),
    # Passed as a regularizer: RC305.
    *(
        (
            f"{name}-as-regularizer",
            f"import tensorflow as tf\nd = tf.keras.layers.Dense(8, kernel_regularizer=tf.keras.constraints.{name}())\n",
            ["RC305"],
        )
        for name in NORM_NAMES
    ),
    # With dropout, the constraint the dropout paper asks for is there: no RC304.
    *(
        (
            f"{name}-with-dropout",
            f"import keras\nmodel = keras.Sequential([keras.layers.Dense(8, kernel_constraint=keras.constraints.{name}()), keras.layers.Dropout(0.5)])\n",
            [],
        )
        for name in NORM_NAMES
    ),
]


def test_the_vocabulary_holds_every_keras_norm_constraint() -> None:
    assert set(NORM_NAMES) >= KERAS_NORM_CONSTRAINTS
    assert set(vocabulary.NORM_CONSTRAINT_IDENTIFIERS) >= KERAS_NORM_CONSTRAINTS


@pytest.mark.parametrize(("label", "source", "codes"), ALIAS_SAMPLES, ids=[s[0] for s in ALIAS_SAMPLES])
def test_each_rule_alone_finds_what_all_find_for_every_alias(label: str, source: str, codes: list[str]) -> None:
    found = _independent(source)
    assert found == codes, label


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
