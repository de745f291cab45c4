"""A long run says it is alive: on a terminal, a progress line on stderr names the file being checked;
never under -q, when stderr is not a terminal, in CI, or in the formats machines read."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import generated  # noqa: E402


def _on_terminal(folder: Path, *argv: str, env: dict[str, str]) -> tuple[int, str]:
    """Run regcheck with stderr on a pseudo-terminal: its exit code and what the terminal saw."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "regcheck", *argv],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        timeout=600,
    )
    os.close(follower)
    os.set_blocking(leader, False)
    seen = b""
    try:
        while chunk := os.read(leader, 65536):
            seen += chunk
    except OSError:  # EIO / EAGAIN once everything is read
        pass
    os.close(leader)
    return done.returncode, seen.decode(errors="replace")


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """A file that takes about a second to check, and a small one."""
    (tmp_path / "big_graph.py").write_text(generated.tf1_file(1_000))
    (tmp_path / "small.py").write_text("import tensorflow as tf\n")
    return tmp_path


NOW = {"REGCHECK_PROGRESS_AFTER": "0", "CI": ""}


def test_names_the_file_being_checked(big: Path) -> None:
    code, seen = _on_terminal(big, "--no-cache", "-j", "1", "--output-format", "concise", env=NOW)
    assert code == 1
    assert "checking big_graph.py" in seen
    assert "regcheck: 2/2 files" in seen


def test_one_long_file_alone(big: Path) -> None:
    code, seen = _on_terminal(big, "--no-cache", "big_graph.py", env=NOW)
    assert code == 1 and "regcheck: 0/1 files, checking big_graph.py" in seen


@pytest.mark.parametrize(
    "argv,env",
    [
        (["-q"], NOW),
        (["--output-format", "json"], NOW),
        (["--output-format", "github"], NOW),
        (["--output-format", "sarif"], NOW),
        ([], {**NOW, "CI": "true"}),
    ],
)
def test_quiet(big: Path, argv: list[str], env: dict[str, str]) -> None:
    _code, seen = _on_terminal(big, "--no-cache", "big_graph.py", *argv, env=env)
    assert "checking" not in seen and "regcheck:" not in seen


def test_not_before_the_delay(big: Path) -> None:
    _code, seen = _on_terminal(big, "--no-cache", "small.py", env={"CI": ""})
    assert "regcheck:" not in seen


def test_not_when_piped(big: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "regcheck", "--no-cache", "big_graph.py", "--output-format", "concise"],
        cwd=big,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **NOW},
        timeout=600,
    )
    assert done.returncode == 1 and "checking" not in done.stderr and "regcheck:" not in done.stderr
