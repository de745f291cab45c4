"""The built wheel carries the rule pages: `regcheck rule RC101` works from a plain install."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_rule_pages_ship_in_the_wheel(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0 and "hatchling" in built.stderr:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(REPO)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("regcheck-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "regcheck/rule_pages/RC101.md" in names
    assert "regcheck/cli/__init__.py" in names

    # Unpack it somewhere away from the checkout and ask for a rule page.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from regcheck.cli import main; sys.exit(main(['rule', 'RC101']))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# RC101: unregularized-weight")
    probe = subprocess.run(
        [sys.executable, "-c", "import regcheck.report.rule_docs as d; print(d.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert probe.stdout.strip().startswith(str(target))  # really the wheel's copy, not the checkout
