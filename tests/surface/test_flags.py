"""pre-commit and stdin, visible severity and honest formats, ruff's flags, RC002, the rule index."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli

RC406 = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(out, labels)\n"
FIXED = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(logits=out, labels=labels)\n"
RC101 = (
    "import tensorflow as tf\n"
    "w_hidden = tf.Variable(tf.random_normal([784, 256]))\n"
    "w_out = tf.Variable(tf.random_normal([256, 10]))\n"
    "loss = tf.reduce_mean(y) + 0.01 * tf.nn.l2_loss(w_out)\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(RC406)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.py").write_text(RC406)
    (tmp_path / "pyproject.toml").write_text('[tool.regcheck]\nextend-exclude = ["vendor"]\n')
    return tmp_path


def _run(*argv: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regcheck", *argv, "--no-cache"],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_force_exclude_drops_named_files_under_excluded_folders(project: Path) -> None:
    assert run_cli("vendor/lib.py", "--output-format", "concise")[0] == 1  # named: taken, as in ruff
    assert run_cli("vendor/lib.py", "--force-exclude") == (0, "All checks passed!\n", "")
    code, out, _ = run_cli("vendor/lib.py", "model.py", "--force-exclude", "--output-format", "concise")
    assert code == 1 and out.startswith("model.py:2:8: RC406") and "vendor" not in out
    code, out, _ = run_cli("--show-files", "--force-exclude", "vendor/lib.py", "model.py")
    assert (code, out) == (0, "model.py\n")


def test_pre_commit_hooks_force_exclude(repo_root: Path) -> None:
    text = (repo_root / ".pre-commit-hooks.yaml").read_text()
    args = [line.strip() for line in text.splitlines() if line.strip().startswith("args:")]
    assert len(args) == 2 and all("--force-exclude" in line for line in args)


def test_stdin_fix_writes_code_to_stdout_and_report_to_stderr(project: Path) -> None:
    done = _run(
        "-", "--stdin-filename", "model.py", "--fix", cwd=project, stdin=RC406 + "w = tf.Variable(1)  # noqa: RC1O1\n"
    )
    assert done.stdout == FIXED + "w = tf.Variable(1)\n"
    assert done.returncode == 0 and "Found 2 findings (2 fixed, 0 remaining)." in done.stderr
    done = _run(
        "-",
        "--stdin-filename",
        "model.py",
        "--fix",
        "--unsafe-fixes",
        "--output-format",
        "concise",
        cwd=project,
        stdin=RC101,
    )
    assert done.stdout.startswith("import tensorflow as tf\n") and "RC" not in done.stdout
    # Excluded and forced: the source passes through unchanged.
    done = _run("-", "--stdin-filename", "vendor/lib.py", "--fix", "--force-exclude", cwd=project, stdin=RC406)
    assert (done.returncode, done.stdout) == (0, RC406)


def test_stdin_filename_alone_reads_stdin(project: Path) -> None:
    done = _run("--stdin-filename", "src/m.py", "--output-format", "concise", cwd=project, stdin=RC406)
    assert done.returncode == 1 and done.stdout.startswith("src/m.py:2:8: RC406 [*] ")
    assert "model.py" not in done.stdout  # the folder was not checked


def test_repeated_selection_flags_accumulate(project: Path) -> None:
    (project / "both.py").write_text(RC101 + "l2 = tf.nn.softmax_cross_entropy_with_logits(a, b)\n")
    _, out, _ = run_cli("both.py", "--output-format", "json", "--select", "RC101", "--select", "RC406")
    assert {f["code"] for f in json.loads(out)["findings"]} == {"RC101", "RC406"}
    _, out, _ = run_cli("both.py", "--output-format", "json", "--ignore", "RC101", "--ignore", "RC406")
    assert json.loads(out)["findings"] == []


def test_severity_is_shown_in_full_and_concise(project: Path) -> None:
    (project / "w.py").write_text(RC101)
    _, out, _ = run_cli("w.py", "--output-format", "concise")
    assert out.splitlines()[0].endswith("(warning)")
    _, out, _ = run_cli("model.py")
    assert out.splitlines()[0].endswith("(error)")


def test_quiet_prints_findings_only(project: Path) -> None:
    code, out, err = run_cli("model.py", "-q", "--output-format", "concise")
    assert code == 1 and err == "" and len(out.splitlines()) == 1 and out.startswith("model.py:2:8: RC406")
    assert run_cli("vendor/lib.py", "-q", "--force-exclude") == (0, "", "")


def test_statistics_honours_the_format_and_marks_unsafe_fixes(project: Path) -> None:
    (project / "w.py").write_text(RC101)
    _, out, _ = run_cli("w.py", "model.py", "--statistics")
    assert out.splitlines() == [
        "    1\tRC101\twarning\t[-] unregularized-weight",
        "    1\tRC406\terror  \t[*] positional-logits-labels",
    ]
    _, out, _ = run_cli("w.py", "model.py", "--statistics", "--output-format", "json")
    assert json.loads(out) == [
        {
            "code": "RC101",
            "name": "unregularized-weight",
            "severity": "warning",
            "count": 1,
            "fixable": {"safe": 0, "unsafe": 1},
        },
        {
            "code": "RC406",
            "name": "positional-logits-labels",
            "severity": "error",
            "count": 1,
            "fixable": {"safe": 1, "unsafe": 0},
        },
    ]
    code, _, err = run_cli("model.py", "--statistics", "--output-format", "sarif")
    assert code == 2 and "--statistics" in err


def test_diff_with_json_is_a_usage_error(project: Path) -> None:
    code, out, err = run_cli("model.py", "--diff", "--output-format", "json")
    assert (code, out) == (2, "") and err.startswith("regcheck: error: --diff prints a unified diff")
    assert (project / "model.py").read_text() == RC406


def test_fix_only_show_fixes_and_exit_non_zero_on_fix(project: Path) -> None:
    (project / "w.py").write_text(RC101)
    code, out, _ = run_cli("model.py", "w.py", "--fix-only", "--show-fixes")
    assert code == 0  # RC101 remains, but --fix-only reports nothing about it
    assert out == "Fixed 1 finding:\n- model.py:\n    1 \N{MULTIPLICATION SIGN} RC406 (positional-logits-labels)\n"
    assert (project / "model.py").read_text() == FIXED
    (project / "model.py").write_text(RC406)
    assert run_cli("model.py", "--fix", "--exit-non-zero-on-fix")[0] == 1
    assert run_cli("model.py", "--fix", "--exit-non-zero-on-fix")[0] == 0  # nothing left to fix


def test_add_noqa_then_unused_noqa(project: Path) -> None:
    (project / "w.py").write_text(RC101)
    code, out, _ = run_cli("w.py", "--add-noqa")
    assert (code, out) == (0, "Added 1 noqa directive.\n")
    assert (project / "w.py").read_text().splitlines()[1].endswith("  # noqa: RC101")
    assert run_cli("w.py") == (0, "All checks passed!\n", "")
    # The penalty now covers w_hidden: the noqa is stale (RC002), and its safe fix removes it.
    (project / "w.py").write_text(
        (project / "w.py").read_text().replace("l2_loss(w_out)", "l2_loss(w_out) + 0.01 * tf.nn.l2_loss(w_hidden)")
    )
    code, out, _ = run_cli("w.py", "--output-format", "concise")
    assert (
        code == 1
        and out.splitlines()[0] == "w.py:2:55: RC002 [*] unused noqa: `RC101` suppresses nothing on this line (warning)"
    )
    assert run_cli("w.py", "--fix")[0] == 0
    assert (project / "w.py").read_text().splitlines()[1] == "w_hidden = tf.Variable(tf.random_normal([784, 256]))"


def test_unknown_noqa_codes_are_rc002_and_other_tools_codes_are_left_alone(project: Path) -> None:
    (project / "n.py").write_text(
        "import tensorflow as tf\nx = tf.zeros([3])  # noqa: E501, RC1O2\ny = 1  # noqa: F401\n"
    )
    code, out, _ = run_cli("n.py", "--output-format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert (finding["code"], finding["line"], finding["message"]) == (
        "RC002",
        2,
        "unused noqa: `RC1O2` is not a regcheck code",
    )
    assert finding["fix"]["edits"][0]["content"] == "# noqa: E501"


def test_show_settings_isolated_color_version(project: Path) -> None:
    code, out, _ = run_cli("--show-settings", "model.py")
    assert code == 0 and f"config file: {project / 'pyproject.toml'}" in out and "exclude: vendor" in out
    _, out, _ = run_cli("--show-settings", "--isolated", "model.py")
    assert "config file: (none)" in out and "exclude: (none)" in out
    assert run_cli("vendor", "--isolated", "--output-format", "concise")[0] == 1  # the config's exclude is not read
    _, out, _ = run_cli("model.py", "--color", "always", "--output-format", "concise")
    assert "\033[" in out
    _, out, _ = run_cli("model.py", "--color", "never", "--output-format", "concise")
    assert "\033[" not in out
    for flag in ("-V", "--version"):
        done = _run(flag, cwd=project)
        assert done.returncode == 0 and done.stdout.startswith("regcheck ")


def test_rule_index_and_json(project: Path) -> None:
    from regcheck.config.catalog import RULES

    code, out, _ = run_cli("rule")
    assert code == 0 and len(out.splitlines()) == len(RULES)
    assert out.splitlines()[2].split()[:5] == ["RC002", "unused-noqa", "warning", "fix:", "safe"]
    data = json.loads(run_cli("rule", "--all", "--output-format", "json")[1])
    assert [r["code"] for r in data] == list(RULES)
    assert data[2]["severity"] == "warning" and "## What it does" in data[2]["explanation"]
    one = json.loads(run_cli("rule", "RC101", "--output-format", "json")[1])
    assert (one["code"], one["severity"], one["fix"]) == ("RC101", "warning", "unsafe")
    assert run_cli("rule", "RC406")[1].splitlines()[2] == "**Severity:** error · **Fix:** safe"


def test_progress_only_on_a_terminal(project: Path) -> None:
    for index in range(3):
        (project / f"m{index}.py").write_text(RC406)
    env = {"REGCHECK_PROGRESS_AFTER": "0", "CI": ""}
    piped = _run(".", "-j", "1", "--output-format", "concise", cwd=project, env=env)
    assert "files" not in piped.stderr and piped.stderr == ""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "regcheck", ".", "-j", "1", "--no-cache", "--output-format", "concise"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, **env},
        timeout=300,
    )
    os.close(follower)
    seen = os.read(leader, 65536).decode()
    os.close(leader)
    assert done.returncode == 1 and "regcheck: 4/4 files" in seen
    in_ci = {**env, "CI": "true"}
    leader, follower = pty.openpty()
    subprocess.run(
        [sys.executable, "-m", "regcheck", ".", "--no-cache"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, **in_ci},
        timeout=300,
    )
    os.close(follower)
    os.set_blocking(leader, False)
    try:
        seen = os.read(leader, 65536).decode()
    except OSError:  # nothing was written (EIO / EAGAIN once the child is gone)
        seen = ""
    os.close(leader)
    assert "files" not in seen
