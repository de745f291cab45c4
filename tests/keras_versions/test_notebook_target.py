"""Notebooks follow the keras target as modules do: the CLI's --keras / [tool.regcheck] keras, and --fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

# compiled_loss(y, y_pred) alone adds model.losses in Keras 3 (a shim) and not in tf-keras: RC202 only under 2.
CELLS = [
    "import tensorflow as tf\n",
    "class Custom(tf.keras.Model):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.dense = tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.L2(0.5))\n"
    "    def call(self, x):\n"
    "        return self.dense(x)\n"
    "    def train_step(self, data):\n"
    "        x, y = data\n"
    "        with tf.GradientTape() as tape:\n"
    "            y_pred = self(x, training=True)\n"
    "            loss = self.compiled_loss(y, y_pred)\n"
    "        grads = tape.gradient(loss, self.trainable_variables)\n"
    "        return {}\n",
]


def notebook(cells: list[str]) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"language_info": {"name": "python"}},
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": text.splitlines(keepends=True),
                }
                for text in cells
            ],
        }
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.ipynb").write_text(notebook(CELLS))
    return tmp_path


def _found(*argv: str) -> list[tuple[str, int | None, int, str | None]]:
    _, out, _ = run_cli(*argv, "--no-cache", "--select", "RC202,RC208", "--output-format", "json")
    return [(f["code"], f["cell"], f["line"], f.get("keras")) for f in json.loads(out)["findings"]]


def test_the_flag_reaches_notebooks(project: Path) -> None:
    assert _found("train.ipynb", "--keras", "3") == []
    assert _found("train.ipynb", "--keras", "2") == [("RC202", 2, 11, "2")]


def test_declared_dependencies_reach_notebooks(project: Path) -> None:
    assert _found("train.ipynb") == []  # nothing declared: Keras 3
    (project / "requirements.txt").write_text("tensorflow==2.15.1\n")
    assert _found("train.ipynb") == [("RC202", 2, 11, "2")]
    assert _found(".") == [("RC202", 2, 11, "2")]
