"""``--fix`` never replaces a read-only file: it says "Permission denied" with the file's path, leaves the
file as it is (bytes, mode and owner), and fixes the other files. As root (whom the mode does not stop)
and as a user the mode stops (nobody, or root without the capabilities that override file modes, through setpriv)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_cli, run_cli_unprivileged

BUGGY = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"  # RC406, safe fix
FIXED = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(logits=out, labels=labels)\n"
REFUSAL = "locked.py: cannot write fixes: Permission denied (the file is read-only); left as it is"


def _state(path: Path) -> tuple[bytes, int, int, int]:
    info = path.stat()
    return path.read_bytes(), info.st_mode, info.st_uid, info.st_ino


def test_fix_refuses_a_read_only_file_as_this_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    locked, other = tmp_path / "locked.py", tmp_path / "other.py"
    locked.write_text(BUGGY)
    other.write_text(BUGGY)
    locked.chmod(0o444)
    before = _state(locked)

    code, out, err = run_cli(".", "--fix", "--no-cache", "--output-format", "concise")
    assert _state(locked) == before  # the same file: not replaced by a rename
    assert other.read_text() == FIXED  # the rest is fixed
    assert err.splitlines() == [f"regcheck: error: {REFUSAL}"]
    assert code == 2 and "locked.py:2:8: RC406" in out  # what was not fixed is still reported
    # --add-noqa writes through the same path: refused the same way.
    code, out, err = run_cli("locked.py", "--add-noqa", "--no-cache")
    assert _state(locked) == before and "locked.py: cannot write noqa comments: Permission denied" in err


def test_fix_refuses_a_read_only_file_as_a_user_the_mode_stops(shared_tmp_path: Path) -> None:
    # A folder everyone may write in, a 0444 file in it: a user the mode stops could rename over it,
    # which would also make the file theirs.
    folder = shared_tmp_path / "project"
    folder.mkdir()
    folder.chmod(0o777)
    locked, other = folder / "locked.py", folder / "other.py"
    locked.write_text(BUGGY)
    locked.chmod(0o444)
    other.write_text(BUGGY)
    other.chmod(0o666)
    before = _state(locked)

    code, out, err = run_cli_unprivileged(folder, ".", "--fix", "--no-cache", "--output-format", "concise")
    assert _state(locked) == before, err
    assert other.read_text() == FIXED, err
    assert f"regcheck: error: {REFUSAL}" in err.splitlines() and "Traceback" not in err
    assert code == 2 and "locked.py:2:8: RC406" in out
    if os.geteuid() == 0:
        assert locked.stat().st_uid == 0  # still root's
