"""Folders a walk cannot or should not enter: said once on stderr, skipped, and everything else checked.

An unreadable folder (mode 000, as a user the mode stops) and a harmless directory symlink (a link
back to a folder that contains it) are warnings, as in ruff: they neither abort the run nor fail the
gate. A file that cannot be read is still RC001 (tests/surface/test_gate.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, run_cli_unprivileged

BUGGY = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"  # RC406
CLEAN = "import tensorflow as tf\nloss = tf.reduce_mean(tf.square(y - pred))\n"


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("regcheck: warning: ")]


def test_an_unreadable_folder_is_a_warning_and_the_rest_is_checked(shared_tmp_path: Path) -> None:
    (shared_tmp_path / "model.py").write_text(BUGGY)
    locked = shared_tmp_path / "locked"
    locked.mkdir()
    (locked / ".gitignore").write_text("*.tmp\n")  # what the walk used to trip on
    (locked / "hidden.py").write_text(BUGGY)
    (shared_tmp_path / "deep" / "er").mkdir(parents=True)
    (shared_tmp_path / "deep" / "er" / "inner.py").write_text(BUGGY)
    locked.chmod(0)

    code, out, err = run_cli_unprivileged(shared_tmp_path, ".", "--output-format", "concise", "--no-cache")
    assert code == 1, err  # the findings of the readable files, not exit 2
    assert "Traceback" not in err and "error" not in err
    assert _warnings(err) == ["regcheck: warning: locked: cannot read directory: permission denied, skipped"]
    assert [line.split(":")[0] for line in out.splitlines() if " RC406 " in line] == ["deep/er/inner.py", "model.py"]

    # Without findings elsewhere the gate passes: a skipped folder does not fail it.
    (shared_tmp_path / "model.py").write_text(CLEAN)
    (shared_tmp_path / "deep" / "er" / "inner.py").write_text(CLEAN)
    code, out, err = run_cli_unprivileged(shared_tmp_path, ".", "--no-cache")
    assert (code, out) == (0, "All checks passed!\n"), err
    assert len(_warnings(err)) == 1

    # Machines get it too: JSON's summary, and SARIF's notifications (a warning: the run succeeded).
    code, out, err = run_cli_unprivileged(shared_tmp_path, ".", "--output-format", "json", "--no-cache")
    assert code == 0 and json.loads(out)["summary"]["warnings"] == [
        "locked: cannot read directory: permission denied, skipped"
    ]
    code, out, err = run_cli_unprivileged(shared_tmp_path, ".", "--output-format", "sarif", "--no-cache")
    (invocation,) = json.loads(out)["runs"][0]["invocations"]
    assert code == 0 and invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {"level": "warning", "message": {"text": "locked: cannot read directory: permission denied, skipped"}}
    ]
    # --show-files lists what would be checked, and says what it skips.
    code, out, err = run_cli_unprivileged(shared_tmp_path, ".", "--show-files")
    assert (code, out.split()) == (0, ["deep/er/inner.py", "model.py"]) and len(_warnings(err)) == 1


def test_a_link_to_a_parent_folder_is_said_once_and_passes_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(CLEAN)
    (tmp_path / "pkg" / "up").symlink_to("..")  # pkg/up -> the project root
    (tmp_path / "pkg" / "self").symlink_to(".")  # pkg/self -> pkg

    code, out, err = run_cli(".", "--no-cache")
    assert (code, out) == (0, "All checks passed!\n"), err
    assert _warnings(err) == [
        "regcheck: warning: pkg/self: symbolic link loop (a link to a folder that contains it), skipped",
        "regcheck: warning: pkg/up: symbolic link loop (a link to a folder that contains it), skipped",
    ]
    code, out, err = run_cli(".", "--no-cache", "--output-format", "sarif")
    assert code == 0 and json.loads(out)["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert json.loads(out)["runs"][0]["results"] == []
    # -q: findings only.
    assert run_cli(".", "--no-cache", "-q") == (0, "", "")


def test_links_that_lead_to_each_other_are_said_once_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(BUGGY)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    code, out, err = run_cli(".", "--no-cache", "--output-format", "concise")
    assert code == 1 and "model.py:2:8: RC406" in out and "RC001" not in out
    assert _warnings(err) == [
        "regcheck: warning: a: symbolic link loop, skipped",
        "regcheck: warning: b: symbolic link loop, skipped",
    ]
