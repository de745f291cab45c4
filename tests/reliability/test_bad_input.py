"""Bad input: one clear line each, the run goes on, and no traceback ever reaches the user."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli_unprivileged
from reliability_support import TF1_BUGGY, error_lines, run_cli, write

from regcheck.checks.rc201_regularization_collection_unused import RegularizationCollectionUnused
from regcheck.sources import files


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A file with a real finding, to show the run went on."""
    return write(tmp_path / "good.py", TF1_BUGGY)


def _only_problem(err: str, path: Path, message: str) -> None:
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith(f"regcheck: error: {path}") and message in lines[0], lines[0]
    assert "Traceback" not in err


def _only_unreadable(code: int, out: str, err: str, path: Path, message: str) -> None:
    """A file that cannot be read is one RC001 finding (exit 1), not an error (exit 2)."""
    assert code == 1, err
    lines = [line for line in out.splitlines() if " RC001 " in line]
    assert len(lines) == 1, out
    where, _, text = message.partition(": ") if re.match(r"\d+:\d+: ", message) else ("", "", message)
    assert lines[0].startswith(f"{path}:{where}: RC001 " if where else f"{path}:"), lines[0]
    assert text in lines[0], lines[0]
    assert not error_lines(err) and "Traceback" not in err


def _run(*argv: str | Path) -> tuple[int, str, str]:
    return run_cli(*(str(a) for a in argv), "--output-format", "concise", "--no-cache")


def test_syntax_error_is_rc000_with_position(tmp_path: Path, good: Path) -> None:
    broken = write(tmp_path / "broken.py", "import tensorflow as tf\nloss = tf.reduce_mean((\n")
    code, out, err = _run(tmp_path)
    assert code == 1
    assert f"{broken}:2:23: RC000 syntax error: '(' was never closed" in out
    assert f"{good}:4:43: RC201" in out
    assert not error_lines(err)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"import tensorflow as tf\nx = '\xff\xfe'\n", "2:6: cannot decode as utf-8"),
        (b"import tensorflow\x00\x01\x02\x03", "not a text file (contains NUL bytes)"),
        (b"# -*- coding: klingon -*-\nimport tensorflow\n", "1:1: cannot read: unknown encoding: klingon"),
        (b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nimport tensorflow\n", "byte order mark and a coding cookie"),
    ],
    ids=["undecodable", "binary", "unknown-cookie", "bom-and-cookie"],
)
def test_unreadable_bytes(tmp_path: Path, good: Path, data: bytes, message: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(data)
    code, out, err = _run(tmp_path)
    _only_unreadable(code, out, err, bad, message)
    assert "RC201" in out


def test_empty_file_is_fine(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "empty.ipynb").write_bytes(b"")
    code, _, err = _run(tmp_path / "empty.py")
    assert code == 0 and not error_lines(err)
    # An empty .ipynb is not a notebook.
    code, out, err = _run(tmp_path / "empty.ipynb")
    _only_unreadable(code, out, err, tmp_path / "empty.ipynb", "invalid notebook")


def test_huge_file_is_skipped_with_a_message(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    huge = write(tmp_path / "huge.py", "import tensorflow as tf\n" + "x = 1\n" * 400)
    code, out, err = _run(tmp_path)
    _only_unreadable(code, out, err, huge, "byte limit")
    assert "RC201" in out


def test_notebooks_have_their_own_larger_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(files, "MAX_NOTEBOOK_BYTES", 100_000)
    cell = {
        "cell_type": "code",
        "source": "import tensorflow as tf\n",
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "x" * 5000}],
    }
    notebook = tmp_path / "plots.ipynb"
    notebook.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code, _, err = _run(notebook)
    assert code == 0 and not error_lines(err)
    monkeypatch.setattr(files, "MAX_NOTEBOOK_BYTES", 1000)
    code, out, err = _run(notebook)
    _only_unreadable(code, out, err, notebook, "byte limit")


def test_unreadable_file(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write(tmp_path / "secret.py", TF1_BUGGY)
    real_open = open

    def denying_open(path: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if str(path) == str(secret):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    # Tests run as root, which chmod 000 does not stop: simulate what a user would meet.
    monkeypatch.setattr(files, "open", denying_open, raising=False)
    code, out, err = _run(tmp_path)
    _only_unreadable(code, out, err, secret, "cannot read: permission denied")
    assert f"{good}:4:43: RC201" in out


def test_chmod_000_file(shared_tmp_path: Path) -> None:
    # As a user the mode stops (nobody when the tests run as root, or root without the capabilities that override file modes).
    good = write(shared_tmp_path / "good.py", TF1_BUGGY)
    secret = write(shared_tmp_path / "secret.py", TF1_BUGGY)
    secret.chmod(0)
    code, out, err = run_cli_unprivileged(shared_tmp_path, ".", "--output-format", "concise", "--no-cache")
    _only_unreadable(code, out, err, Path("secret.py"), "permission denied")
    assert f"{good.name}:4:43: RC201" in out


def test_broken_symlink(tmp_path: Path, good: Path) -> None:
    link = tmp_path / "gone.py"
    link.symlink_to(tmp_path / "nowhere.py")
    for target in (tmp_path, link):  # found by walking, and named explicitly
        code, out, err = _run(target, good)
        _only_unreadable(code, out, err, link, "broken symbolic link")
        assert "RC201" in out


def test_symlink_loops(tmp_path: Path, good: Path) -> None:
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    code, out, err = _run(tmp_path / "a.py", good)
    _only_unreadable(code, out, err, tmp_path / "a.py", "symbolic link loop")
    # A directory that links back to its parent is walked once, and the loop said once on stderr:
    # a warning, not a finding (tests/surface/test_walk_warnings.py).
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "up").symlink_to(tmp_path)
    code, out, err = _run(sub)
    assert "Traceback" not in err and not error_lines(err)
    assert "skipped" not in out and err.count("symbolic link loop (a link to a folder that contains it)") == 1
    assert out.count("good.py:4:43: RC201") == 1


def test_a_second_name_for_a_directory_is_not_an_error(tmp_path: Path) -> None:
    real = tmp_path / "src"
    write(real / "model.py", TF1_BUGGY)
    (tmp_path / "alias").symlink_to(real)
    code, out, err = _run(tmp_path)
    assert code == 1 and not error_lines(err)
    assert out.count("RC201") == 1 and f"{real / 'model.py'}:" in out


def test_missing_path(tmp_path: Path, good: Path) -> None:
    code, out, err = _run(tmp_path / "nope.py", good)
    assert code == 2
    _only_problem(err, tmp_path / "nope.py", "no such file or directory")
    assert "RC201" in out


def test_fifo_named_like_source_is_not_opened(tmp_path: Path, good: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    code, out, err = _run(fifo, good)  # would block forever if opened
    _only_unreadable(code, out, err, fifo, "not a regular file")
    assert "pipe.py" not in _run(tmp_path)[1]  # walking skips it


def test_directory_named_like_source_is_walked(tmp_path: Path) -> None:
    write(tmp_path / "odd.py" / "inner.py", TF1_BUGGY)
    code, out, err = _run(tmp_path / "odd.py")
    assert code == 1 and "inner.py:4:43: RC201" in out and not error_lines(err)


def test_stdin_with_filename(tmp_path: Path) -> None:
    code, out, err = run_cli(
        "-", "--stdin-filename", "model.py", "--output-format", "concise", stdin=TF1_BUGGY.encode()
    )
    assert code == 1 and "model.py:4:43: RC201" in out and not error_lines(err)

    code, out, err = run_cli("-", "--stdin-filename", "model.py", "--fix", stdin=TF1_BUGGY.encode())
    assert "get_regularization_loss()" in out  # the fixed source goes to stdout

    code, out, err = run_cli(
        "-",
        "--stdin-filename",
        "model.py",
        "--output-format",
        "concise",
        stdin=b"import tensorflow as tf\nx = '\xff'\n",
    )
    _only_unreadable(code, out, err, Path("model.py"), "cannot decode as utf-8")

    code, out, err = run_cli(
        "-", "--stdin-filename", "model.py", "--output-format", "concise", stdin=b"import tensorflow as tf\ndef f(:\n"
    )
    assert code == 1 and "model.py:2:7: RC000" in out


def test_internal_error_in_one_rule_on_one_file(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "boom.py", TF1_BUGGY)
    original = RegularizationCollectionUnused.run

    def run(self, facts):  # type: ignore[no-untyped-def]
        if facts.path.endswith("boom.py"):
            raise RuntimeError("rule bug")
        return original(self, facts)

    monkeypatch.setattr(RegularizationCollectionUnused, "run", run)
    code, out, err = _run(tmp_path)

    assert code == 2
    _only_problem(err, tmp_path / "boom.py", "internal error in RC201: RuntimeError: rule bug")
    assert f"{good}:4:43: RC201" in out  # the other file keeps its findings


def test_internal_error_while_collecting_facts(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import regcheck.facts

    write(tmp_path / "boom.py", TF1_BUGGY)
    original = regcheck.facts.build_facts

    def build_facts(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith("boom.py"):
            raise ValueError("facts bug")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(regcheck.facts, "build_facts", build_facts)
    code, out, err = _run(tmp_path)
    assert code == 2
    _only_problem(err, tmp_path / "boom.py", "internal error")
    assert f"{good}:4:43: RC201" in out


def test_internal_error_in_a_notebook(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import regcheck.sources.notebooks

    notebook = write(tmp_path / "nb.ipynb", '{"cells": [{"cell_type": "code", "source": "import tensorflow"}]}')

    def explode(*args: object) -> None:
        raise KeyError("notebook bug")

    monkeypatch.setattr(regcheck.sources.notebooks, "mask_cell", explode)
    code, out, err = _run(tmp_path)
    assert code == 2
    _only_problem(err, notebook, "internal error while reading the notebook")
    assert "RC201" in out


def test_no_traceback_for_any_bad_input_in_a_real_process(tmp_path: Path) -> None:
    write(tmp_path / "good.py", TF1_BUGGY)
    write(tmp_path / "syntax.py", "import tensorflow as tf\ndef f(:\n")
    (tmp_path / "bytes.py").write_bytes(b"import tensorflow as tf\nx = '\xff'\n")
    (tmp_path / "binary.py").write_bytes(b"\x7fELF\x00\x00\x01")
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "broken.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "prose.ipynb").write_text('{"cells": [{"cell_type": "markdown", "source": "hi"}]}')
    os.mkfifo(tmp_path / "fifo.py")
    for extra in ([], ["--fix"], ["--diff"], ["--output-format", "json"], ["--output-format", "sarif"]):
        done = subprocess.run(
            [sys.executable, "-m", "regcheck", str(tmp_path), str(tmp_path / "missing.py"), "--no-cache", *extra],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 2, done.stderr  # the missing path is a usage error
        assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
        problems = [line for line in done.stderr.splitlines() if line.startswith("regcheck: error:")]
        assert problems == [f"regcheck: error: {tmp_path / 'missing.py'}: no such file or directory"], done.stderr
        # nothing but that line (and --diff's summary: "No findings would be fixed.")
        assert done.stderr.count("\n") == len(problems) + ("--diff" in extra)
        # bytes, binary, broken, loop, bad (prose.ipynb is an empty program, fifo.py is never opened)
        if "--diff" in extra:
            continue  # --diff prints the diff only
        unreadable = {
            name for name in ("bytes.py", "binary.py", "broken.py", "loop.py", "bad.ipynb") if name in done.stdout
        }
        assert unreadable == {"bytes.py", "binary.py", "broken.py", "loop.py", "bad.ipynb"}, done.stdout
        assert "RC001" in done.stdout and "prose.ipynb" not in done.stdout
