"""--show-settings prints the resolved Keras target and where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli


def _keras_line(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("keras: ")]
    return line


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text("import tensorflow as tf\n")
    return tmp_path


def test_nothing_declared_is_unknown_by_default(project: Path) -> None:
    code, out, _ = run_cli("--show-settings", "model.py")
    assert code == 0
    assert _keras_line(out) == "keras: unknown (auto: no dependency declaration decides the Keras version)"


def test_auto_names_the_declaration_that_decided(project: Path) -> None:
    (project / "requirements.txt").write_text("numpy\ntf-keras==2.21.0\n")
    _, out, _ = run_cli("--show-settings", "model.py")
    assert _keras_line(out) == "keras: 2 (auto: requirements.txt: tf-keras==2.21.0)"


def test_config_value_names_the_config_file_and_the_flag_wins(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.regcheck]\nkeras = "2"\n')
    _, out, _ = run_cli("--show-settings", "model.py")
    assert _keras_line(out) == f"keras: 2 (set in {project / 'pyproject.toml'})"
    _, out, _ = run_cli("--show-settings", "--keras", "3", "model.py")
    assert _keras_line(out) == "keras: 3 (set in --keras)"
