"""The pipeline's seams: the project index records what a lint consulted, and every source unit
(a module file, a notebook, stdin) is linted (lint_unit) and fixed (fix_unit) through one path."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from regcheck.fixing.unit import fix_unit
from regcheck.lint import prefilter
from regcheck.lint.unit import lint_unit
from regcheck.run.project import ProjectIndex
from regcheck.sources.files import decode_source, read_source
from regcheck.sources.units import SourceUnit

MODELS = "import tensorflow as tf\n\ndef build():\n    return tf.keras.layers.Dense(3)\n"
TRAIN = "import tensorflow as tf\nfrom models import build\n\nlayer = build()\n"
# RC406: TF1 rejects positional (logits, labels); the safe fix names them.
BUGGY = "import tensorflow.compat.v1 as tf\nloss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits, y))\n"
FIXED = "import tensorflow.compat.v1 as tf\nloss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits, labels=y))\n"


def _project(tmp_path: Path) -> tuple[ProjectIndex, str, str]:
    models, train = tmp_path / "models.py", tmp_path / "train.py"
    models.write_text(MODELS)
    train.write_text(TRAIN)
    return ProjectIndex([str(models), str(train)], tmp_path), str(models), str(train)


def test_recording_collects_resolutions_and_consulted_files(tmp_path: Path) -> None:
    project, models, train = _project(tmp_path)
    with project.recording() as record:
        assert project.resolve_module("models", train) == models
        assert project.resolve_module("absent", train) is None
        assert project.facts_for(models, requested_by=train) is not None
    assert record.resolutions == {("models", train, 0): models, ("absent", train, 0): None}
    assert record.files == {models}
    project.resolve_module("models", train)  # outside the block: not recorded
    assert len(record.resolutions) == 2


def test_recordings_nest_and_the_prefilter_look_records_files_not_resolutions(tmp_path: Path) -> None:
    project, models, train = _project(tmp_path)
    with project.recording() as outer:
        with project.recording() as inner:
            assert project.imports_reach(train, TRAIN.encode(), (b"Dense",))
        project.resolve_module("models", train)
    assert inner.files == outer.files == {models}
    assert inner.resolutions == {}  # the bytes look at imports is recorded by content only
    assert outer.resolutions == {("models", train, 0): models}


def test_prefilter_stages() -> None:
    codes = frozenset({"RC406"})
    assert not prefilter.names_tf(b"import numpy as np\n")
    assert prefilter.wants_parse(BUGGY.encode(), codes)
    assert not prefilter.wants_parse(b"import tensorflow as tf\nx = 1\n", codes)


def test_units_by_path(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(BUGGY)
    (tmp_path / "n.ipynb").write_text(_notebook(BUGGY))
    module = SourceUnit(read_source(str(tmp_path / "m.py")))
    notebook = SourceUnit(read_source(str(tmp_path / "n.ipynb")))
    assert (module.kind, module.uses_project) == ("module", True)
    assert (notebook.kind, notebook.uses_project) == ("notebook", True)  # it imports the modules next to it
    assert not SourceUnit(module.source, stdin=True).uses_project


def _notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "source": c, "execution_count": None}
                for c in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def test_one_fix_path_for_a_module_file(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(BUGGY)
    codes = frozenset({"RC406"})
    unit = SourceUnit(read_source(str(path)))
    report = lint_unit(unit, codes)
    assert [f.code for f in report.findings] == ["RC406"]

    shown = fix_unit(unit, report, codes, diff=True)
    assert path.read_text() == BUGGY and shown.findings == report.findings and not shown.written
    assert len(shown.diffs) == 1 and shown.diffs[0].startswith(f"--- a/{path}\n")

    done = fix_unit(unit, report, codes)
    assert done.written and done.applied == 1 and done.findings == [] and done.problems == []
    assert path.read_text() == FIXED


def test_one_fix_path_for_a_notebook(tmp_path: Path) -> None:
    path = tmp_path / "n.ipynb"
    path.write_text(_notebook("import tensorflow.compat.v1 as tf\n", BUGGY.split("\n", 1)[1]))
    codes = frozenset({"RC406"})
    unit = SourceUnit(read_source(str(path)))
    report = lint_unit(unit, codes)
    assert [(f.code, f.cell, f.line) for f in report.findings] == [("RC406", 2, 1)]

    shown = fix_unit(unit, report, codes, diff=True)
    assert [d.splitlines()[0] for d in shown.diffs] == [f"--- a/{path}:cell 2"]

    done = fix_unit(unit, report, codes)
    assert done.written and done.findings == []
    cells = json.loads(path.read_text())["cells"]
    assert [c["source"] for c in cells] == ["import tensorflow.compat.v1 as tf\n", FIXED.split("\n", 1)[1]]


def test_stdin_hands_the_source_on_and_a_notebook_from_stdin_is_not_fixed(monkeypatch: pytest.MonkeyPatch) -> None:

    codes = frozenset({"RC406"})
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    clean = SourceUnit(decode_source("m.py", b"import tensorflow as tf\n"), stdin=True)
    assert fix_unit(clean, lint_unit(clean, codes), codes).written
    assert out.getvalue() == "import tensorflow as tf\n"

    notebook = SourceUnit(decode_source("n.ipynb", _notebook(BUGGY).encode()), stdin=True)
    outcome = fix_unit(notebook, lint_unit(notebook, codes), codes)
    assert not outcome.written and outcome.problems == [
        "n.ipynb: fixing a notebook read from stdin is not supported; fix the file itself"
    ]
    assert out.getvalue() == "import tensorflow as tf\n"  # nothing more was written


def test_one_serialiser_round_trips_every_field_for_the_report_the_cache_and_the_graph_child() -> None:
    import dataclasses

    from regcheck.findings import Applicability, Edit, Finding, Fix, Severity

    fix = Fix(Applicability.UNSAFE, "m", (Edit(1, 2, 3, 4, "x"),), ("import tensorflow as tf",))
    finding = Finding(
        "RC101", "unregularized-weight", Severity.WARNING, "a.ipynb", 1, 2, 3, 4, "msg",
        symbol="w", source="graph", cell=2, fix=fix, extra={"note": "n"}, keras="2",
    )  # fmt: skip
    data = json.loads(json.dumps(finding.to_json()))
    back = Finding.from_json(data)
    assert back == finding and back.extra == finding.extra
    # Every field but extra is a key of its own: a new field cannot be forgotten by a reader.
    assert {f.name for f in dataclasses.fields(Finding)} - {"extra"} <= set(data)
