"""A truthful CI gate: unreadable input is RC001 (a finding), exit 2 only for usage, config and
internal errors, SARIF records tool errors, and the README's exit-code table is what runs do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli, run_cli_unprivileged

BUGGY = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"  # RC406, safe fix
CLEAN = "import tensorflow as tf\nloss = tf.reduce_mean(tf.square(y - pred))\n"
UNDECODABLE = b"import tensorflow as tf\nx = '\xff'\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def _regcheck(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regcheck", *argv, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d: (d / "bad.py").write_bytes(UNDECODABLE), "bad.py:2:6: RC001 cannot decode as utf-8 (error)"),
        (
            lambda d: (d / "bad.py").write_bytes(b"\x7fELF\x00\x01\x02"),
            "bad.py:1:1: RC001 not a text file (contains NUL bytes) (error)",
        ),
        (lambda d: (d / "bad.py").symlink_to(d / "nowhere.py"), "bad.py:1:1: RC001 broken symbolic link (error)"),
        (
            lambda d: (d / "bad.ipynb").write_text('{"cells": ['),
            "bad.ipynb:1:12: RC001 invalid notebook: not JSON (Expecting value) (error)",
        ),
    ],
    ids=["undecodable", "binary", "broken-symlink", "notebook-json"],
)
def test_unreadable_input_is_an_rc001_finding_in_every_format(project: Path, make, reason: str) -> None:
    make(project)
    code, out, err = run_cli(".", "--output-format", "concise")
    assert (code, err) == (1, "")
    assert out.splitlines() == [reason, "Found 1 finding."]
    assert run_cli(".", "--exit-zero")[0] == 0
    assert run_cli(".", "--ignore", "RC001") == (0, "All checks passed!\n", "")
    assert run_cli(".", "--ignore", "unreadable-file")[0] == 0
    assert run_cli(".", "--fail-on", "error")[0] == 1  # RC001 is an error
    path = reason.split(":")[0]
    (finding,) = json.loads(run_cli(".", "--output-format", "json")[1])["findings"]
    assert (finding["code"], finding["name"], finding["severity"], finding["path"]) == (
        "RC001",
        "unreadable-file",
        "error",
        path,
    )
    github = run_cli(".", "--output-format", "github")[1]
    assert github.startswith(f"::error file={path},line=")
    sarif = json.loads(run_cli(".", "--output-format", "sarif")[1])["runs"][0]
    assert [r["ruleId"] for r in sarif["results"]] == ["RC001"]
    (invocation,) = sarif["invocations"]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"] == {"id": "RC001"}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path


def test_rc001_on_stdin(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(UNDECODABLE)))
    code, out, err = run_cli("-", "--stdin-filename", "m.py", "--output-format", "concise")
    assert (code, out, err) == (1, "m.py:2:6: RC001 cannot decode as utf-8 (error)\nFound 1 finding.\n", "")


def test_sarif_records_tool_errors(project: Path) -> None:
    (project / "model.py").write_text(BUGGY)
    done = _regcheck("model.py", "missing.py", "--output-format", "sarif", "--exit-zero", cwd=project)
    assert done.returncode == 2  # --exit-zero does not hide a usage error
    run = json.loads(done.stdout)["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["RC406"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "missing.py: no such file or directory"}}
    ]
    assert done.stderr == "regcheck: error: missing.py: no such file or directory\n"
    clean = json.loads(_regcheck("clean.py", "--output-format", "sarif", cwd=project).stdout)["runs"][0]
    assert clean["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_json_summary_lists_errors(project: Path) -> None:
    code, out, _ = run_cli("clean.py", "missing.py", "--output-format", "json")
    assert code == 2
    assert json.loads(out)["summary"]["errors"] == ["missing.py: no such file or directory"]
    assert "errors" not in json.loads(run_cli("clean.py", "--output-format", "json")[1])["summary"]


def test_all_checks_passed_only_when_true(project: Path) -> None:
    assert run_cli("clean.py") == (0, "All checks passed!\n", "")
    code, out, _err = run_cli("clean.py", "missing.py")
    assert code == 2 and "All checks passed!" not in out
    (project / "bad.py").write_bytes(UNDECODABLE)
    code, out, _ = run_cli("clean.py", "bad.py", "--exit-zero")
    assert code == 0 and "All checks passed!" not in out and "RC001" in out


def test_exit_zero_wins_over_diff_and_fix(project: Path) -> None:
    (project / "model.py").write_text(BUGGY.replace("tf.nn", "tf.nn", 1) + "w = tf.Variable(1)\n")
    assert run_cli("model.py", "--diff")[0] == 1
    assert run_cli("model.py", "--diff", "--exit-zero")[0] == 0
    (project / "unsafe.py").write_text(
        "import tensorflow as tf\n"
        "w_hidden = tf.Variable(tf.random_normal([784, 256]))\n"
        "w_out = tf.Variable(tf.random_normal([256, 10]))\n"
        "loss = tf.reduce_mean(y) + 0.01 * tf.nn.l2_loss(w_out)\n"
    )
    assert run_cli("unsafe.py", "--fix")[0] == 1  # RC101 has only an unsafe fix: it remains
    assert run_cli("unsafe.py", "--fix", "--exit-zero")[0] == 0


# The scenarios behind each row of the README's exit-code table: (setup, argv).
def _scenarios(project: Path) -> dict[str, tuple[int, list[str]]]:
    (project / "model.py").write_text(BUGGY)
    (project / "fixable.py").write_text(BUGGY)
    (project / "bad.py").write_bytes(UNDECODABLE)
    (project / "broken.py").write_text("import tensorflow as tf\ndef f(:\n")
    (project / "conf").mkdir()
    (project / "conf" / "regcheck.toml").write_text('selct = ["RC1"]\n')
    (project / "conf" / "m.py").write_text(CLEAN)
    (project / "readonly.py").write_text(BUGGY)
    (project / "readonly.py").chmod(0o444)
    return {
        "no finding at or above `fail-on` (default `warning`) remains": (0, ["clean.py"]),
        "findings remain but `--exit-zero` was given": (0, ["model.py", "--exit-zero"]),
        "`--fix` fixed everything that was found": (0, ["fixable.py", "--fix"]),
        "a finding at or above `fail-on` remains (also after `--fix`, or shown by `--diff`)": (
            1,
            ["model.py", "--diff"],
        ),
        "a file cannot be read: `RC001 unreadable-file` is an error finding like any other": (1, ["bad.py"]),
        "a file does not parse: `RC000 syntax-error`": (1, ["broken.py"]),
        "a usage error: an unknown option or rule selector, a path that does not exist": (
            2,
            ["clean.py", "--select", "RC999"],
        ),
        "a configuration error: an unknown key or a bad value in `[tool.regcheck]`": (2, ["conf/m.py"]),
        "`--fix` could not write a file: a read-only file (mode without a write bit, or not yours to write) is "
        "refused with `Permission denied` and left as it is; the other files are fixed": (2, ["readonly.py", "--fix"]),
        "an internal error of regcheck (reported as one line, after every other file was checked)": (2, []),
        "interrupted (Ctrl-C): the worker processes are stopped at once, and no file is half-written": (
            130,
            ["<Ctrl-C>"],
        ),
    }


def _readme_exit_table(repo_root: Path) -> list[tuple[int, str]]:
    text = (repo_root / "README.md").read_text()
    section = text.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in section.splitlines()[2:]:
        match = re.fullmatch(r"\| `(\d+)` \| (.+) \|", line)
        assert match, line
        rows.append((int(match.group(1)), match.group(2)))
    return rows


def test_readme_exit_code_table_matches_real_runs(
    project: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios = _scenarios(project)
    table = _readme_exit_table(repo_root)
    assert [row for _, row in table] == list(scenarios)
    for documented, row in table:
        expected, argv = scenarios[row]
        assert documented == expected, row
        if not argv:  # an internal error: make a reporter fail
            import regcheck.cli.check

            with monkeypatch.context() as patch:
                patch.setattr(regcheck.cli.check, "write_report", lambda *a, **k: 1 / 0)
                code, _, err = run_cli("model.py")
            assert (code, err) == (2, "regcheck: internal error: ZeroDivisionError: division by zero\n")
            continue
        if argv == ["<Ctrl-C>"]:  # the run is interrupted (tests/surface/test_interrupt.py sends real signals)
            import regcheck.cli.check

            def interrupted(*args: object, **kwargs: object) -> None:
                raise KeyboardInterrupt

            with monkeypatch.context() as patch:
                patch.setattr(regcheck.cli.check, "lint_files", interrupted)
                assert run_cli("model.py") == (130, "", "regcheck: interrupted\n")
            continue
        done = _regcheck(*argv, cwd=project)
        assert done.returncode == documented, (row, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr


def test_help_describes_the_exit_codes() -> None:
    done = subprocess.run([sys.executable, "-m", "regcheck", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert (
        "Exit codes: 0 no finding at or above --fail-on (or --exit-zero); 1 findings remain, including RC001 (a file that cannot be read) and RC000 (a syntax error); 2 usage, configuration or internal error"
        in text
    )


def test_no_permission_is_rc001(shared_tmp_path: Path) -> None:
    # As a user the mode stops (nobody when the tests run as root, or root without the capabilities that override file modes).
    secret = shared_tmp_path / "secret.py"
    secret.write_text(CLEAN)
    secret.chmod(0)
    code, out, _ = run_cli_unprivileged(shared_tmp_path, "secret.py", "--output-format", "concise", "--no-cache")
    assert code == 1 and "secret.py:1:1: RC001 cannot read: permission denied" in out
