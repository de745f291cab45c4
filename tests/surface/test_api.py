"""The Python API a test suite wants: check_source / check_paths honour [tool.regcheck] and
notebooks, apply_fixes is public; exact findings and exact fixed text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import regcheck
from regcheck import ConfigError, apply_fixes, check_paths, check_source

RC405_RC406 = (
    "import tensorflow as tf\n"
    'head = tf.keras.layers.Dense(1, activation="softmax")\n'
    "loss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"
)
SAFE_FIXED = RC405_RC406.replace("(out, labels)", "(logits=out, labels=labels)")
ALL_FIXED = SAFE_FIXED.replace('"softmax"', '"sigmoid"')
RC601 = "import tensorflow as tf\nreg = tf.contrib.layers.l2_regularizer(5e-4)\n"
# compiled_loss(y, y_pred) alone: RC202 under tf-keras (Keras 2) only.
COMPILED_LOSS = """\
import tensorflow as tf
class Custom(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.L2(0.5))
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compiled_loss(y, self(x, training=True))
        return tape.gradient(loss, self.trainable_variables)
"""


def positions(findings: list[regcheck.Finding]) -> list[tuple[str, int | None, int, int]]:
    return [(f.code, f.cell, f.line, f.column) for f in findings]


def notebook(*cells: str) -> str:
    return (
        json.dumps(
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
            },
            indent=1,
        )
        + "\n"
    )


def cell_sources(text: str) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(text)["cells"]]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.regcheck]\n"
        'ignore = ["RC405"]\n'
        'extend-select = ["RC601"]\n'
        'extend-exclude = ["vendor"]\n'
        'keras = "2"\n'
        '[tool.regcheck.per-file-ignores]\n"tests/*" = ["RC406"]\n'
    )
    for name in ("model.py", "vendor/lib.py", "tests/test_model.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(RC405_RC406 + RC601.split("\n", 1)[1])
    return tmp_path


def test_check_source_reads_the_configuration_around_its_path(project: Path) -> None:
    text = RC405_RC406 + RC601.split("\n", 1)[1]
    assert positions(check_source(text, path="model.py")) == [("RC406", None, 3, 8), ("RC601", None, 4, 7)]
    assert positions(check_source(text, path="tests/test_model.py")) == [("RC601", None, 4, 7)]  # per-file-ignores
    assert positions(check_source(text)) == [("RC406", None, 3, 8), ("RC601", None, 4, 7)]  # "<string>": the cwd's
    assert positions(check_source(text, path="model.py", isolated=True)) == [
        ("RC405", None, 2, 44),
        ("RC406", None, 3, 8),
    ]
    assert positions(check_source(text, path="model.py", select="RC405")) == []  # the config's ignore still applies
    assert positions(check_source(text, path="model.py", select=["RC6"])) == [("RC601", None, 4, 7)]


def test_keras_target_from_config_from_declarations_and_argument(project: Path) -> None:
    assert [(f.code, f.keras) for f in check_source(COMPILED_LOSS, path="model.py")] == [("RC202", "2")]
    assert check_source(COMPILED_LOSS, path="model.py", keras="3") == []
    assert check_source(COMPILED_LOSS, path="model.py", isolated=True) == []  # no config, nothing declared: 3
    (project / "requirements.txt").write_text("tf-keras\n")
    assert [f.code for f in check_source(COMPILED_LOSS, path="model.py", isolated=True)] == ["RC202"]
    with pytest.raises(ValueError, match="keras must be one of 'auto', '3', '2'"):
        check_source(COMPILED_LOSS, keras="4")


def test_a_bad_configuration_raises_config_error(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.regcheck]\nselcet = ["RC101"]\n')
    with pytest.raises(ConfigError, match="unknown key 'selcet'"):
        check_source(RC405_RC406, path="model.py")
    (project / "other.toml").write_text('select = ["RC406"]\n')
    assert [f.code for f in check_source(RC405_RC406, path="model.py", config=project / "other.toml")] == ["RC406"]


def test_check_paths_honours_excludes_ignores_and_per_file_ignores(project: Path) -> None:
    found = [(f.path, f.code, f.line) for f in check_paths(["."])]
    assert found == [("model.py", "RC406", 3), ("model.py", "RC601", 4), ("tests/test_model.py", "RC601", 4)]
    assert [(f.path, f.code) for f in check_paths(["vendor/lib.py"], select=["RC406"])] == [("vendor/lib.py", "RC406")]
    assert check_paths(["vendor/lib.py"], force_exclude=True) == []
    assert [(f.path, f.code) for f in check_paths([project / "model.py"], isolated=True)] == [
        (str(project / "model.py"), "RC405"),
        (str(project / "model.py"), "RC406"),
    ]
    with pytest.raises(FileNotFoundError, match=r"nope\.py"):
        check_paths(["nope.py"])


def test_check_paths_reports_unreadable_files_and_notebooks(project: Path) -> None:
    (project / "broken.ipynb").write_text("{not json")
    (project / "nb.ipynb").write_text(notebook("import tensorflow as tf\n", RC405_RC406.split("\n", 1)[1]))
    found = [(f.path, f.code, f.cell, f.line) for f in check_paths(["broken.ipynb", "nb.ipynb"])]
    assert found == [("broken.ipynb", "RC001", None, 1), ("nb.ipynb", "RC406", 2, 2)]


def test_check_source_lints_notebook_json_with_cells(project: Path) -> None:
    text = notebook("import tensorflow as tf\n%matplotlib inline\n", RC405_RC406.split("\n", 1)[1], "# no code\n")
    assert positions(check_source(text, path="nb.ipynb", isolated=True)) == [("RC405", 2, 1, 44), ("RC406", 2, 2, 8)]
    assert positions(check_source(text, path="nb.ipynb")) == [("RC406", 2, 2, 8)]
    assert check_source(notebook(), path="empty.ipynb") == []
    assert positions(check_source("{not json", path="broken.ipynb")) == [("RC001", None, 1, 2)]


def test_apply_fixes_applies_safe_fixes_and_unsafe_ones_when_asked() -> None:
    findings = check_source(RC405_RC406, isolated=True)
    assert [f.code for f in findings] == ["RC405", "RC406"]
    assert apply_fixes(RC405_RC406, findings) == SAFE_FIXED
    assert apply_fixes(RC405_RC406, findings, unsafe=True) == ALL_FIXED
    assert apply_fixes(RC405_RC406, [f for f in findings if f.code == "RC405"]) == RC405_RC406
    assert apply_fixes(SAFE_FIXED, check_source(SAFE_FIXED, isolated=True)) == SAFE_FIXED  # idempotent
    assert apply_fixes(RC405_RC406, []) == RC405_RC406


def test_apply_fixes_keeps_line_endings_and_skips_fixes_that_do_not_parse() -> None:
    crlf = RC405_RC406.replace("\n", "\r\n")
    assert apply_fixes(crlf, check_source(crlf, isolated=True)) == SAFE_FIXED.replace("\n", "\r\n")
    finding = check_source(RC405_RC406, isolated=True)[1]
    broken = finding.with_changes(
        fix=regcheck.Fix(regcheck.Applicability.SAFE, "breaks", (regcheck.Edit(3, 1, 3, 1, "("),))
    )
    assert apply_fixes(RC405_RC406, [broken]) == RC405_RC406


def test_apply_fixes_on_a_notebook_writes_the_cells_back() -> None:
    text = notebook("import tensorflow as tf\n%matplotlib inline\n", RC405_RC406.split("\n", 1)[1], "x = 1")
    findings = check_source(text, path="nb.ipynb", isolated=True)
    fixed = apply_fixes(text, findings, unsafe=True)
    assert cell_sources(fixed) == [
        "import tensorflow as tf\n%matplotlib inline\n",
        ALL_FIXED.split("\n", 1)[1],
        "x = 1",
    ]
    assert fixed.startswith('{\n "nbformat"')  # the file's own JSON style
    assert cell_sources(apply_fixes(text, findings)) == [
        "import tensorflow as tf\n%matplotlib inline\n",
        SAFE_FIXED.split("\n", 1)[1],
        "x = 1",
    ]
    assert check_source(fixed, path="nb.ipynb", isolated=True) == []


def test_the_api_does_not_import_tensorflow(project: Path) -> None:
    code = (
        "import sys, regcheck\n"
        f"findings = regcheck.check_paths(['.'])\n"
        f"text = {RC405_RC406!r}\n"
        "assert regcheck.apply_fixes(text, regcheck.check_source(text, path='model.py')) != text\n"
        "assert findings and 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    import subprocess

    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=project,
        env={"PYTHONPATH": str(Path(regcheck.__file__).parents[1]), "PATH": "/usr/bin:/bin"},
    )
