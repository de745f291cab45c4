"""What the command line says is true, and small frictions a ruff user would trip on are gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli, run_cli_unprivileged

BUGGY = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"  # RC406, safe fix


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- regcheck clean -------------------------------------------------------------------------------


def test_clean_says_removed_only_when_it_removed(shared_tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = shared_tmp_path / ".regcheck_cache"
    (cache / "results").mkdir(parents=True)
    (cache / "results" / "entry").write_text("x")
    # As a user who may not delete root's files: nothing is said to be removed, and why not is.
    code, out, err = run_cli_unprivileged(shared_tmp_path, "clean")
    assert (code, out) == (2, ""), err
    assert err.startswith(f"regcheck: error: cannot remove {cache}: Permission denied")
    assert (cache / "results" / "entry").exists()
    # As the owner: removed, and said so.
    monkeypatch.chdir(shared_tmp_path)
    assert run_cli("clean") == (0, f"removed {cache}\n", "")
    assert not cache.exists()
    assert run_cli("clean") == (0, "", "")  # nothing to remove: nothing said
