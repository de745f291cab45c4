"""`regcheck check` on a small Keras 2 project: its pin decides, and the user can see why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

TRAIN = """\
import keras
from keras.layers import Dense

model = keras.models.Sequential()
model.add(Dense(64, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01), input_dim=20))
model.add(Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(0.01)))
model.compile(optimizer="adam", loss="binary_crossentropy")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("numpy\nkeras==2.3.1\ntensorflow==1.15.4\n", encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _codes(*argv: str) -> list[tuple[str, int, str | None]]:
    code, out, err = run_cli("check", "--no-cache", "--select", "RC601", "--output-format", "json", *argv, "train.py")
    assert code == 0, err
    return [(f["code"], f["line"], f.get("keras")) for f in json.loads(out)["findings"]]


def test_a_keras_2_pin_gives_no_rc601_on_keras_2_spellings(project: Path) -> None:
    assert _codes() == []
    # The same code taken as Keras 3 is what regcheck reported before it read the pin.
    assert _codes("--keras", "3") == [("RC601", 5, "3"), ("RC601", 6, "3")]


def test_show_settings_names_the_pin_that_decided(project: Path) -> None:
    code, out, _ = run_cli("check", "--show-settings", "train.py")
    assert code == 0
    assert "keras: 2 (auto: requirements.txt: keras==2.3.1)" in out.splitlines()


def test_show_settings_says_why_nothing_decides(project: Path) -> None:
    (project / "requirements.txt").write_text("keras==2.3.1\ntensorflow>=2.16\n", encoding="utf-8")
    code, out, _ = run_cli("check", "--show-settings", "train.py")
    assert code == 0
    assert (
        "keras: unknown (auto: the declarations disagree (requirements.txt: keras==2.3.1 (Keras 2), "
        "requirements.txt: tensorflow>=2.16 (Keras 3)))" in out.splitlines()
    )
    assert _codes() == []  # unknown: no Keras 3-only verdict


def test_each_repository_checked_together_gets_its_own_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run over several projects (a folder of clones) decides nothing for the run; each file's own
    project still decides for it."""
    (tmp_path / ".git").mkdir()
    for name, pin in (("old", "keras==2.3.1"), ("new", "keras>=3.0")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "requirements.txt").write_text(f"{pin}\n", encoding="utf-8")
        (tmp_path / name / "train.py").write_text(TRAIN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("check", "--no-cache", "--select", "RC601", "--output-format", "json", ".")
    assert code == 0
    findings = json.loads(out)["findings"]
    assert [(Path(f["path"]).parent.name, f["line"], f["keras"]) for f in findings] == [
        ("new", 5, "3"),
        ("new", 6, "3"),
    ]
    assert findings[0]["keras_reason"] == f"auto: requirements.txt: keras>=3.0 (in {tmp_path / 'new'})"
    code, out, _ = run_cli("check", "--show-settings", ".")
    assert "keras: unknown (auto: no dependency declaration decides the Keras version)" in out.splitlines()
