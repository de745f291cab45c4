"""What the command line says is true, and small frictions a ruff user would trip on are gone."""

from __future__ import annotations

import json
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
    # A folder whose entries may not be deleted (as a user whom modes stop): nothing is said to be
    # removed, and why not is.
    (cache / "results").chmod(0o555)
    code, out, err = run_cli_unprivileged(shared_tmp_path, "clean")
    assert (code, out) == (2, ""), err
    assert err.startswith(f"regcheck: error: cannot remove {cache}: Permission denied")
    assert (cache / "results" / "entry").exists()
    # Deletable: removed, and said so.
    (cache / "results").chmod(0o755)
    monkeypatch.chdir(shared_tmp_path)
    assert run_cli("clean") == (0, f"removed {cache}\n", "")
    assert not cache.exists()
    assert run_cli("clean") == (0, "", "")  # nothing to remove: nothing said


# --- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")],
)
@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_utf16_and_utf32_text_is_called_by_its_name(project: Path, encoding: str, name: str, suffix: str) -> None:
    text = BUGGY if suffix == ".py" else json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    Path(f"wide{suffix}").write_bytes(data)
    code, out, err = run_cli(f"wide{suffix}", "--no-cache", "--output-format", "concise")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == (
        f"wide{suffix}:1:1: RC001 {name} text (it starts with a {name} byte order mark): "
        "Python reads source as UTF-8; save it as UTF-8 (error)"
    )


# --- SARIF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        ("my model.py", "my%20model.py"),
        ("a:b.py", "a%3Ab.py"),
        ("new\nline.py", "new%0Aline.py"),
        ("50%.py", "50%25.py"),
        ("modèle.py", "mod%C3%A8le.py"),
        ("sub dir/#1.py", "sub%20dir/%231.py"),
    ],
)
def test_sarif_file_uris_are_percent_encoded(project: Path, name: str, uri: str) -> None:
    from urllib.parse import unquote

    (project / name).parent.mkdir(exist_ok=True)
    (project / name).write_text(BUGGY)
    code, out, _ = run_cli(name, "--no-cache", "--output-format", "sarif")
    (result,) = json.loads(out)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert (code, location, unquote(location)) == (1, uri, name)


def test_sarif_uris_outside_the_working_directory_are_file_uris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a b.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path / "in here")
    out = run_cli(str(tmp_path / "elsewhere" / "a b.py"), "--no-cache", "--output-format", "sarif")[1]
    (result,) = json.loads(out)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == (tmp_path / "elsewhere" / "a b.py").resolve().as_uri() and "%20" in location


# --- fix summaries, ruff's words ------------------------------------------------------------------

MLP = (Path(__file__).resolve().parents[2] / "examples" / "tf1_mnist" / "mlp.py").read_text()  # 1 safe, 2 unsafe


def test_fix_summary_counts_what_was_found_as_fixed_plus_remaining(project: Path) -> None:
    Path("mlp.py").write_text(MLP)
    code, out, _ = run_cli("mlp.py", "--fix", "--no-cache", "--output-format", "concise")
    assert code == 1 and out.splitlines()[-2:] == [
        "Found 3 findings (1 fixed, 2 remaining).",
        "[-] 2 more fixable with `regcheck --fix --unsafe-fixes`.",
    ]
    code, out, _ = run_cli("mlp.py", "--fix", "--unsafe-fixes", "--no-cache")
    assert (code, out) == (0, "Found 2 findings (2 fixed, 0 remaining).\n")


def test_diff_says_how_many_findings_it_would_fix(project: Path) -> None:
    Path("mlp.py").write_text(MLP)
    code, out, err = run_cli("mlp.py", "--diff", "--no-cache")
    assert code == 1 and out.startswith("--- a/mlp.py\n+++ b/mlp.py\n")  # stdout: the patch alone
    assert err == "Would fix 1 finding (2 more fixes available with `--unsafe-fixes`).\n"
    code, out, err = run_cli("mlp.py", "--diff", "--unsafe-fixes", "--no-cache")
    assert err == "Would fix 3 findings.\n"
    assert run_cli("mlp.py", "--diff", "--no-cache", "-q")[2] == ""
    Path("mlp.py").write_text(MLP.replace("(logits, y)", "(logits=logits, labels=y)"))  # the safe fix, done
    assert run_cli("mlp.py", "--diff", "--no-cache") == (
        1,  # RC101 and RC102 (warnings) remain
        "",
        "No findings would be fixed (2 fixes available with `--unsafe-fixes`).\n",
    )
    Path("mlp.py").write_text("import tensorflow as tf\n")
    assert run_cli("mlp.py", "--diff", "--no-cache") == (0, "", "No findings would be fixed.\n")
    assert Path("mlp.py").read_text() == "import tensorflow as tf\n"


# --- usage: what cannot be honoured is said, not dropped -------------------------------------------


def test_rule_with_a_code_and_all_is_a_usage_error() -> None:
    assert run_cli("rule", "--all", "RC101") == (2, "", "regcheck: error: give a rule (RC101) or --all, not both\n")
    assert run_cli("rule", "RC101")[0] == 0 and run_cli("rule", "--all")[0] == 0


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('select = "RC1"', "select"),
        ('extend-select = "RC601"', "extend-select"),
        ('ignore = "RC304"', "ignore"),
        ('exclude = "legacy/"', "exclude"),
        ('[tool.regcheck.per-file-ignores]\n"tests/*" = "RC101"', "per-file-ignores"),
    ],
)
def test_a_string_where_a_list_belongs_is_a_configuration_error(project: Path, table: str, key: str) -> None:
    Path("pyproject.toml").write_text(f"[tool.regcheck]\n{table}\n")
    Path("model.py").write_text(BUGGY)
    code, out, err = run_cli("model.py", "--no-cache")
    assert (code, out) == (2, "")
    value = table.rsplit(" = ", 1)[1]
    assert err == (
        f"regcheck: error: {project / 'pyproject.toml'}: {key} must be a list of strings, e.g. [{value}], "
        f"not the string {value}\n"
    )


def _regcheck(*argv: str, cwd: Path) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "regcheck", *argv], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("value", ["-1", "two", ""])
def test_jobs_must_be_a_count_or_auto(project: Path, value: str) -> None:
    Path("model.py").write_text(BUGGY)
    code, out, err = _regcheck("model.py", "-j", value, "--no-cache", cwd=project)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        f"regcheck: error: argument -j/--jobs: expected a number of processes, or 0 / auto for one per core; got {value!r}"
    )


@pytest.mark.parametrize("value", ["0", "auto", "1", "2"])
def test_jobs_zero_and_auto_mean_one_per_core(project: Path, value: str) -> None:
    Path("model.py").write_text(BUGGY)
    code, out, _ = run_cli("model.py", "-j", value, "--no-cache", "--output-format", "concise")
    assert code == 1 and "model.py:2:8: RC406" in out


def test_check_and_trace_spell_the_output_file_the_same_way() -> None:
    def option_line(*argv: str) -> str:
        text = _regcheck(*argv, "--help", cwd=Path.cwd())[1]
        return next(line.strip() for line in text.splitlines() if line.strip().startswith("-o "))

    assert option_line("check") == option_line("trace") == "-o OUTPUT_FILE, --output-file OUTPUT_FILE"


# --- which configuration file applies -------------------------------------------------------------


def test_one_config_file_applies_per_folder_as_in_ruff_and_the_others_are_named(project: Path) -> None:
    Path("model.py").write_text(BUGGY)
    Path("pyproject.toml").write_text('[project]\nname = "p"\n\n[tool.regcheck]\nignore = ["RC406"]\n')
    assert run_cli("model.py", "--no-cache") == (0, "All checks passed!\n", "")  # pyproject.toml alone applies

    Path("regcheck.toml").write_text('select = ["RC1"]\n')
    code, out, err = run_cli("model.py", "--no-cache")
    assert (code, out) == (0, "All checks passed!\n")  # regcheck.toml applies: RC406 is not selected
    assert err == (
        f"regcheck: warning: {project / 'pyproject.toml'} holds settings too, and is ignored: regcheck.toml applies "
        "(in one folder, .regcheck.toml > regcheck.toml > pyproject.toml, as ruff does)\n"
    )
    code, out, _ = run_cli("model.py", "--show-settings")
    assert out.splitlines()[:2] == [
        f"config file: {project / 'regcheck.toml'}",
        f"ignored config file: {project / 'pyproject.toml'} (holds settings; {project / 'regcheck.toml'} applies)",
    ]

    Path(".regcheck.toml").write_text('[tool.regcheck]\nfail-on = "error"\n')  # both spellings of the table
    code, out, err = run_cli("model.py", "--no-cache", "--output-format", "concise")
    assert code == 1 and "RC406" in out  # .regcheck.toml applies: every default rule, fail on errors
    assert [line.split(" holds")[0] for line in err.splitlines()] == [
        f"regcheck: warning: {project / 'regcheck.toml'}",
        f"regcheck: warning: {project / 'pyproject.toml'}",
    ]
    assert run_cli("model.py", "--no-cache", "-q", "--output-format", "concise")[2] == ""

    # A pyproject.toml without [tool.regcheck] (or one that does not parse) holds no settings: no warning.
    Path(".regcheck.toml").unlink()
    Path("pyproject.toml").write_text("[project\n")
    assert run_cli("model.py", "--no-cache") == (0, "All checks passed!\n", "")
