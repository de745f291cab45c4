"""CI runs the gates (ruff check, ruff format --check, mypy) before the tests, with pinned tools from the test extra."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]


def test_ci_runs_ruff_and_mypy_before_the_readme_test_command() -> None:
    commands = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    ruff = commands.index("python3 -m ruff check .")
    assert commands.index("python3 -m ruff format --check .") == ruff + 1
    mypy = commands.index("python3 -m mypy")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [test_command] = [c for c in commands if c.endswith("python3 -m pytest -q")]
    assert test_command in readme
    assert ruff < mypy < commands.index(test_command)


def test_ci_runs_the_slow_sweeps_as_their_own_bounded_step_after_the_fast_suite() -> None:
    commands = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    [fast] = [i for i, c in enumerate(commands) if c.endswith("python3 -m pytest -q")]
    [slow] = [i for i, c in enumerate(commands) if re.fullmatch(r"timeout \d+ python3 -m pytest -q -m slow", c)]
    assert fast < slow
    # The permission tests cannot skip in CI: they run as nobody, or as root without the capabilities that override file modes, when CI runs as root.
    assert commands.index("export REGCHECK_REQUIRE_PERMISSION_TESTS=1") < fast


def test_pytest_leaves_the_slow_tests_out_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "test_marks.py").write_text(
        "import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n\n"
        "@pytest.mark.tensorflow\ndef test_tf():\n    pass\n\ndef test_fast():\n    pass\n"
    )
    conftest = (REPO / "tests" / "conftest.py").read_text(encoding="utf-8")
    (tmp_path / "conftest.py").write_text(conftest)

    def selected(*argv: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co", *argv],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return sorted(line.split("::")[1] for line in done.stdout.splitlines() if "::" in line)

    assert selected() == ["test_fast", "test_tf"]
    assert selected("-m", "not tensorflow") == ["test_fast"]
    assert selected("-m", "slow") == ["test_slow"]
    assert selected("-m", "slow or not slow") == ["test_fast", "test_slow", "test_tf"]


def test_gate_tools_come_from_the_test_extra_pinned() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = [re.split(r"[<>=~ ;]", item)[0] for item in project["project"]["optional-dependencies"]["test"]]
    pins = dict(
        line.split("==") for line in (REPO / ".ci" / "constraints.txt").read_text().splitlines() if "==" in line
    )
    for tool in ("ruff", "mypy"):
        assert tool in extra
        assert re.fullmatch(r"\d+\.\d+\.\d+", pins[tool])
    hook = (REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"rev: v{pins['ruff']}" in hook


def test_mypy_is_strict_on_facts_and_checks() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    strict = [o for o in config["overrides"] if o.get("strict")]
    assert strict and {"regcheck.facts.*", "regcheck.checks.*"} <= set(strict[0]["module"])
