"""TF-optional features fail politely: one line naming the extra, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXTRA = "pip install 'regcheck[tensorflow]'"
# sys.modules[...] = None makes `import tensorflow` / `import keras` fail as if not installed.
HIDE = "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", HIDE + code], cwd=cwd, capture_output=True, text=True, timeout=300)


def _cli(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return _python(f"from regcheck.cli import main; sys.exit(main({argv!r}))", cwd)


@pytest.mark.parametrize(
    "argv, line",
    [
        (["trace", "train.py"], f"regcheck: error: regcheck trace needs TensorFlow, which is not installed: {EXTRA}\n"),
        (
            ["train.py", "--graph", "train.py", "--no-cache"],
            f"regcheck: error: --graph needs TensorFlow, which is not installed: {EXTRA}\n",
        ),
    ],
)
def test_cli_features_name_the_extra(tmp_path: Path, argv: list[str], line: str) -> None:
    (tmp_path / "train.py").write_text("import tensorflow as tf\n")
    done = _cli(argv, tmp_path)
    assert (done.returncode, done.stderr) == (2, line)


def test_trace_refuses_notebooks_and_non_python_files(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("hi")
    done = _cli(["trace", "nb.ipynb"], tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not notebooks" in done.stderr
    done = _cli(["trace", "notes.txt"], tmp_path)
    assert (
        done.returncode == 2
        and done.stderr == "regcheck: error: notes.txt: regcheck trace runs a Python script (.py) or module:function\n"
    )


@pytest.mark.parametrize(
    "code, message",
    [
        ("import regcheck; regcheck.audit()", f"regcheck.audit() needs TensorFlow, which is not installed: {EXTRA}"),
        ("import regcheck.keras", f"regcheck.keras needs TensorFlow and Keras: {EXTRA}"),
    ],
)
def test_python_api_names_the_extra(tmp_path: Path, code: str, message: str) -> None:
    done = _python(f"try:\n    {code}\nexcept ModuleNotFoundError as exc:\n    print(exc)\n", tmp_path)
    assert done.stdout == message + "\n", done.stderr


def test_the_static_path_still_works(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"
    )
    done = _cli(["m.py", "--no-cache", "--output-format", "concise"], tmp_path)
    assert done.returncode == 1 and "RC406" in done.stdout
