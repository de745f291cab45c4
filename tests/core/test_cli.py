"""The command line contract of DESIGN.md: formats, exit codes, selection, config, fixing."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from helpers import run_cli

BUGGY = textwrap.dedent(
    """\
    import tensorflow as tf
    w_hidden = tf.Variable(tf.random_normal([784, 256]))
    w_out = tf.Variable(tf.random_normal([256, 10]))
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(out, labels))
    loss = loss + 0.01 * tf.nn.l2_loss(w_out)
    """
)
CLEAN = "import tensorflow as tf\nloss = tf.reduce_mean(tf.square(y - pred))\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    (tmp_path / "notes.py").write_text("print('hello')\n")
    return tmp_path


def test_findings_exit_1_and_clean_exit_0(project: Path) -> None:
    code, out, _ = run_cli("model.py")
    assert code == 1
    assert "model.py:2:12: RC101" in out
    assert run_cli("clean.py")[0] == 0
    assert run_cli("model.py", "--exit-zero")[0] == 0


def test_json_schema(project: Path) -> None:
    code, out, _ = run_cli(".", "--output-format", "json")
    document = json.loads(out)
    assert code == 1
    assert set(document) == {"version", "findings", "summary"}
    assert document["version"] == 1
    finding = document["findings"][0]
    assert list(finding) == [
        "code",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "symbol",
        "source",
        "cell",
        "fix",
    ]
    rc101 = next(f for f in document["findings"] if f["code"] == "RC101")
    assert rc101["name"] == "unregularized-weight" and rc101["symbol"] == "w_hidden"
    assert rc101["source"] == "static" and rc101["cell"] is None
    assert rc101["fix"]["applicability"] == "unsafe"
    assert set(rc101["fix"]["edits"][0]) == {"line", "column", "end_line", "end_column", "content"}
    summary = document["summary"]
    assert summary["files"] == 3
    assert summary["checked"] == 2  # notes.py names no TF API: prefiltered, never parsed
    assert summary["skipped"] == 1
    assert summary["findings"] == len(document["findings"]) == 2
    assert summary["fixable"] == 2


def test_sarif_is_2_1_0_with_rules_and_relative_uris(project: Path) -> None:
    _, out, _ = run_cli("model.py", "--output-format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"RC101", "RC406"}
    assert rules["RC101"]["name"] == "unregularized-weight"
    assert "What it does" in rules["RC101"]["help"]["markdown"]
    result = run["results"][0]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "model.py"
    assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_github_annotations(project: Path) -> None:
    _, out, _ = run_cli("model.py", "--output-format", "github")
    line = out.splitlines()[0]
    assert line.startswith("::warning file=model.py,line=2,col=12,")
    assert "title=RC101 (unregularized-weight)" in line


def test_full_output_shows_frame_and_fix_marker(project: Path) -> None:
    _, out, _ = run_cli("model.py")
    assert " 2 | w_hidden = tf.Variable(tf.random_normal([784, 256]))" in out
    assert "^^^^" in out
    assert "RC406 [*]" in out and "RC101 [-]" in out


def test_statistics(project: Path) -> None:
    _, out, _ = run_cli("model.py", "--statistics")
    assert "RC101" in out and "unregularized-weight" in out


@pytest.mark.parametrize(
    "selector, expected",
    [
        (["--select", "RC406"], {"RC406"}),
        (["--select", "positional-logits-labels"], {"RC406"}),
        (["--select", "RC1"], {"RC101"}),
        (["--ignore", "RC1"], {"RC406"}),
        (["--select", "ALL", "--ignore", "unregularized-weight"], {"RC406"}),
    ],
)
def test_selection(project: Path, selector: list[str], expected: set[str]) -> None:
    _, out, _ = run_cli("model.py", "--output-format", "json", *selector)
    assert {f["code"] for f in json.loads(out)["findings"]} == expected


def test_info_rules_are_off_unless_selected(project: Path) -> None:
    (project / "legacy.py").write_text("import tensorflow as tf\nreg = tf.contrib.layers.l2_regularizer(0.1)\n")
    assert run_cli("legacy.py")[0] == 0
    code, out, _ = run_cli("legacy.py", "--extend-select", "RC601", "--output-format", "concise")
    assert "RC601" in out
    assert code == 0  # info is below the default fail-on
    assert run_cli("legacy.py", "--extend-select", "RC601", "--fail-on", "info")[0] == 1


def test_unknown_selector_is_a_usage_error(project: Path) -> None:
    code, _, err = run_cli("model.py", "--select", "RC999")
    assert code == 2 and "RC999" in err


def test_missing_path_reported_and_others_checked(project: Path) -> None:
    code, out, err = run_cli("nope.py", "model.py", "--output-format", "concise")
    assert code == 2
    assert err.strip().splitlines() == ["regcheck: error: nope.py: no such file or directory"]
    assert "RC101" in out


def test_syntax_error_is_rc000_and_run_goes_on(project: Path) -> None:
    (project / "broken.py").write_text("import tensorflow as tf\nloss = tf.reduce_mean((\n")
    code, out, _ = run_cli(".", "--output-format", "concise")
    assert code == 1
    assert "broken.py:3:1: RC000" in out or "broken.py:2:" in out
    assert "model.py:2:12: RC101" in out


def test_undecodable_file_is_rc001(project: Path) -> None:
    (project / "latin.py").write_bytes(b"import tensorflow as tf\nx = '\xff\xfe'\n")
    code, out, err = run_cli(".", "--output-format", "concise")
    assert code == 1 and err == ""
    assert "latin.py:2:6: RC001 cannot decode as utf-8 (error)" in out.splitlines()
    assert "RC101" in out


def test_config_in_pyproject_found_walking_up(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.regcheck]\nignore = ["RC101"]\n')
    sub = project / "pkg"
    sub.mkdir()
    (sub / "m.py").write_text(BUGGY)
    _, out, _ = run_cli("pkg", "--output-format", "json")
    assert {f["code"] for f in json.loads(out)["findings"]} == {"RC406"}


def test_regcheck_toml_per_file_ignores_and_fail_on(project: Path) -> None:
    (project / "regcheck.toml").write_text('fail-on = "error"\n[per-file-ignores]\n"model.py" = ["RC406"]\n')
    code, out, _ = run_cli("model.py", "--output-format", "json")
    assert {f["code"] for f in json.loads(out)["findings"]} == {"RC101"}
    assert code == 0  # RC101 is a warning, below fail-on = error


def test_unknown_config_key_names_it(project: Path) -> None:
    (project / "regcheck.toml").write_text('selct = ["RC1"]\n')
    code, _, err = run_cli("model.py")
    assert code == 2
    assert "unknown key 'selct'" in err and "regcheck.toml" in err


def test_exclude_and_gitignore(project: Path) -> None:
    (project / ".gitignore").write_text("generated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "g.py").write_text(BUGGY)
    (project / "vendor").mkdir()
    (project / "vendor" / "v.py").write_text(BUGGY)
    _, out, _ = run_cli(".", "--output-format", "json", "--extend-exclude", "vendor")
    paths = {f["path"] for f in json.loads(out)["findings"]}
    assert paths == {"model.py"}  # printed without ./


def test_fix_writes_and_second_fix_changes_nothing(project: Path) -> None:
    code, _, _ = run_cli("model.py", "--fix")
    fixed = (project / "model.py").read_text()
    assert "logits=out, labels=labels" in fixed
    assert "tf.nn.l2_loss(w_hidden)" not in fixed  # unsafe fix not applied without --unsafe-fixes
    assert code == 1  # RC101 remains
    run_cli("model.py", "--fix")
    assert (project / "model.py").read_text() == fixed
    run_cli("model.py", "--fix", "--unsafe-fixes")
    assert "0.01 * tf.nn.l2_loss(w_out) + 0.01 * tf.nn.l2_loss(w_hidden)" in (project / "model.py").read_text()
    assert run_cli("model.py")[0] == 0


def test_diff_does_not_write(project: Path) -> None:
    code, out, _ = run_cli("model.py", "--diff")
    assert code == 1
    assert "-loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(out, labels))" in out
    assert (project / "model.py").read_text() == BUGGY


def test_stdin_with_filename(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BUGGY.encode())))
    code, out, _ = run_cli("-", "--stdin-filename", "src/model.py", "--output-format", "concise")
    assert code == 1
    assert "src/model.py:2:12: RC101" in out


def test_rule_command(project: Path) -> None:
    code, out, _ = run_cli("rule", "RC101")
    assert code == 0 and out.startswith("# RC101: unregularized-weight")
    code, out, _ = run_cli("rule", "regularized-bias")
    assert code == 0 and out.startswith("# RC102: regularized-bias")
    code, out, _ = run_cli("rule", "--all")
    assert "# RC201: regularization-collection-unused" in out
    assert run_cli("rule", "RC999")[0] == 2


def test_output_file(project: Path) -> None:
    run_cli("model.py", "--output-format", "json", "-o", "report.json")
    assert json.loads((project / "report.json").read_text())["summary"]["findings"] == 2


def test_clean_removes_the_cache_at_the_settings_root(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text("[tool.regcheck]\n")
    sub = project / "pkg"
    sub.mkdir()
    (sub / "m.py").write_text(BUGGY)
    monkeypatch.chdir(sub)
    run_cli("m.py")
    assert (project / ".regcheck_cache").is_dir()
    assert run_cli("clean")[0] == 0
    assert not (project / ".regcheck_cache").exists()


def test_check_paths_api_writes_no_cache(project: Path) -> None:
    from regcheck import check_paths

    found = check_paths(["model.py"])
    assert {f.code for f in found} == {"RC101", "RC406"}
    assert not (project / ".regcheck_cache").exists()


def test_notebook_on_stdin(project: Path, monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> None:
    import io
    import sys

    notebook = (repo_root / "examples" / "notebook" / "assignment.ipynb").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(notebook)))
    code, out, err = run_cli("-", "--stdin-filename", "hw.ipynb", "--output-format", "concise")
    assert code == 1, err
    assert "hw.ipynb:cell 3:" in out and "RC101" in out


def test_internal_error_is_one_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import regcheck.cli.check

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("reporter exploded")

    monkeypatch.setattr(regcheck.cli.check, "write_report", broken)
    code, _, err = run_cli("model.py")
    assert code == 2
    assert err.strip().splitlines() == ["regcheck: internal error: RuntimeError: reporter exploded"]


def test_trace_takes_the_report_options_of_check_under_the_same_names() -> None:
    from regcheck.cli import check, trace

    def options(parser: object) -> set[str]:
        return {option for action in parser._actions for option in action.option_strings}  # type: ignore[attr-defined]

    shared = {"--output-format", "-o", "--output-file", "--fail-on", "--exit-zero", "--config", "--isolated", "-q"}
    assert shared <= options(check.build_parser())
    assert shared <= options(trace.build_parser())
    for name in ("--output-format", "--fail-on", "--color"):
        [in_check] = [a for a in check.build_parser()._actions if name in a.option_strings]
        [in_trace] = [a for a in trace.build_parser()._actions if name in a.option_strings]
        assert (in_check.choices, in_check.default) == (in_trace.choices, in_trace.default)
