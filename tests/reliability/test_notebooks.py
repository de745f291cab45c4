"""Notebooks: code cells linted as one module, findings per cell, fixes written back into the cells."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from reliability_support import FIXED_LOSS, error_lines, run_cli

from regcheck.config.settings import Settings
from regcheck.lint.unit import lint_unit
from regcheck.sources.files import read_source
from regcheck.sources.notebooks import mask_cell
from regcheck.sources.units import SourceUnit

IMPORTS = "%matplotlib inline\nimport tensorflow as tf\n!pip install -q tensorflow"
BUGGY_CELL = (
    "w1 = tf.get_variable('w1', [3, 4], regularizer=tf.contrib.layers.l2_regularizer(0.1))\n"
    "loss = tf.reduce_mean(w1)\n"
    "train = tf.train.AdamOptimizer().minimize(loss)"
)


def _notebook(*cells: object, **metadata: object) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nb.metadata.update(metadata)
    nb.cells = list(cells)  # type: ignore[assignment]
    return nb


def _code(source: str, count: int | None = None, outputs: list | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = outputs or []
    cell.metadata["tags"] = ["keep-me"]
    return cell


def _md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text)


def _standard(tmp_path: Path) -> Path:
    nb = _notebook(
        _md("# Training"),
        _code(IMPORTS, 1, [nbformat.v4.new_output("stream", text="installed\n")]),
        _md("The model"),
        _code(BUGGY_CELL, 2, [nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=2)]),
        _code("%%bash\necho done"),
    )
    path = tmp_path / "train.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_imports_from_earlier_cells_resolve_and_cells_count_all_cells(tmp_path: Path) -> None:
    path = _standard(tmp_path)

    code, out, err = run_cli(str(path), "--output-format", "concise", "--no-cache")

    assert code == 1, err
    # Cell 4 of the notebook (two markdown cells before it), line 3 of that cell.
    assert f"{path}:cell 4:3:43: RC201" in out
    assert not error_lines(err)


def test_json_and_sarif_carry_the_cell(tmp_path: Path) -> None:
    path = _standard(tmp_path)

    data = json.loads(run_cli(str(path), "--output-format", "json", "--no-cache")[1])
    (finding,) = data["findings"]
    assert (finding["cell"], finding["line"], finding["column"]) == (4, 3, 43)
    # The fix's edits are relative to the cell too.
    assert finding["fix"]["edits"][0]["line"] == 2
    assert "cell 4, line 1" in finding["message"]  # "line N" in messages points into the cell

    sarif = json.loads(run_cli(str(path), "--output-format", "sarif", "--no-cache")[1])
    (result,) = sarif["runs"][0]["results"]
    assert result["properties"]["cell"] == 4


def test_fix_writes_back_into_the_right_cell_and_keeps_everything_else(tmp_path: Path) -> None:
    path = _standard(tmp_path)
    before = nbformat.read(str(path), as_version=4)
    before_text = path.read_text()

    code, out, err = run_cli(str(path), "--fix", "--no-cache")

    assert code == 0, out + err
    after = nbformat.read(str(path), as_version=4)
    nbformat.validate(after)
    assert after.metadata == before.metadata
    assert len(after.cells) == len(before.cells)
    for old, new in zip(before.cells, after.cells):
        assert new.cell_type == old.cell_type
        assert new.metadata == old.metadata
        assert new.get("outputs") == old.get("outputs")
        assert new.get("execution_count") == old.get("execution_count")
    assert after.cells[3].source == BUGGY_CELL.replace("loss = tf.reduce_mean(w1)", FIXED_LOSS)
    for index in (0, 1, 2, 4):
        assert after.cells[index].source == before.cells[index].source  # magics restored exactly
    # Same JSON style: only the fixed source line differs.
    changed = [(a, b) for a, b in zip(before_text.splitlines(), path.read_text().splitlines()) if a != b]
    assert len(changed) == 1 and FIXED_LOSS in changed[0][1]
    assert len(before_text.splitlines()) == len(path.read_text().splitlines())
    # Idempotent.
    fixed = path.read_bytes()
    assert run_cli(str(path), "--fix", "--no-cache")[0] == 0
    assert path.read_bytes() == fixed


def test_diff_shows_the_cell_and_leaves_the_file(tmp_path: Path) -> None:
    path = _standard(tmp_path)
    original = path.read_bytes()

    code, out, _ = run_cli(str(path), "--diff", "--no-cache")

    assert code == 1
    assert f"{path}:cell 4" in out
    assert "+" + FIXED_LOSS in out
    assert path.read_bytes() == original


def test_json_style_is_kept_string_sources_crlf_no_final_newline(tmp_path: Path) -> None:
    nb = _notebook(_code("import tensorflow as tf\n" + BUGGY_CELL + "\n"))
    raw = json.loads(nbformat.writes(nb))
    for cell in raw["cells"]:
        cell["source"] = "".join(cell["source"])  # one string instead of a list of lines
    text = json.dumps(raw, indent=2, ensure_ascii=True).replace("\n", "\r\n")
    path = tmp_path / "styled.ipynb"
    path.write_bytes(text.encode())

    assert run_cli(str(path), "--fix", "--no-cache")[0] == 0

    new = path.read_bytes().decode()
    assert new.startswith('{\r\n  "cells"')
    assert not new.endswith("\n")
    data = json.loads(new)
    assert isinstance(data["cells"][0]["source"], str)
    assert FIXED_LOSS in data["cells"][0]["source"]
    assert data["cells"][0]["source"].endswith("minimize(loss)\n")


def test_syntax_error_in_one_cell_keeps_the_others_checked(tmp_path: Path) -> None:
    nb = _notebook(_code("import tensorflow as tf"), _code("def broken(:\n    pass"), _code(BUGGY_CELL))
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, str(path))

    code, out, err = run_cli(str(path), "--output-format", "concise", "--no-cache")

    assert code == 1
    assert f"{path}:cell 2:1:12: RC000" in out
    assert f"{path}:cell 3:3:43: RC201" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "cell",
    [
        "%%bash\npython -c 'loss = tf.reduce_mean(w1)'",
        "%%writefile train.py\n" + BUGGY_CELL,
    ],
)
def test_non_python_cell_magics_are_not_linted(tmp_path: Path, cell: str) -> None:
    nb = _notebook(_code("import tensorflow as tf"), _code(cell))
    path = tmp_path / "magic.ipynb"
    nbformat.write(nb, str(path))
    assert run_cli(str(path), "--no-cache")[0] == 0


def test_python_cell_magics_and_ipython_lines_are_linted(tmp_path: Path) -> None:
    body = "%%time\n" + BUGGY_CELL.replace("loss = ", "files = !ls\nobj?\nif True:\n    %timeit f()\nloss = ", 1)
    nb = _notebook(_code("import tensorflow as tf"), _code(body))
    path = tmp_path / "py.ipynb"
    nbformat.write(nb, str(path))

    code, out, _ = run_cli(str(path), "--output-format", "concise", "--no-cache")
    assert code == 1 and "cell 2:" in out and "RC201" in out

    assert run_cli(str(path), "--fix", "--no-cache")[0] == 0
    source = nbformat.read(str(path), as_version=4).cells[1].source
    assert source.startswith("%%time\n") and "files = !ls\nobj?\nif True:\n    %timeit f()\n" in source
    assert "+ tf.losses.get_regularization_loss()" in source


def test_masking_leaves_strings_alone() -> None:
    masked: dict[int, str] = {}
    cell = 'x = """\n%not a magic\n!nor this\n"""\n%magic\ny = (1,\n  !2)\n'
    out = mask_cell(cell, masked)
    assert out is not None
    assert "%not a magic\n!nor this\n" in out
    assert list(masked.values()) == ["%magic"]
    assert out.splitlines()[4].startswith("pass")
    assert len(out.splitlines()) == len(cell.splitlines())


def test_a_cell_in_another_language_is_skipped(tmp_path: Path) -> None:
    sql = _code("SELECT * FROM loss WHERE tf = 1")
    sql.metadata["vscode"] = {"languageId": "sql"}
    nb = _notebook(_code("import tensorflow as tf"), sql)
    path = tmp_path / "sql.ipynb"
    nbformat.write(nb, str(path))
    code, out, err = run_cli(str(path), "--no-cache")
    assert code == 0, out + err


def test_non_python_notebooks_are_skipped(tmp_path: Path) -> None:
    nb = _notebook(_code("library(tensorflow)\nx <- 1"))
    nb.metadata["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    nb.metadata["language_info"] = {"name": "R"}
    path = tmp_path / "r.ipynb"
    nbformat.write(nb, str(path))
    assert run_cli(str(path), "--no-cache")[0] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"cells": [', "invalid notebook: not JSON"),
        ("[1, 2]", "invalid notebook: the top level is not a JSON object"),
        ('{"metadata": {}}', "invalid notebook: no 'cells' list"),
        ('{"cells": [{"cell_type": "code", "source": 3}]}', "cell 1 has a 'source' that is not text"),
    ],
)
def test_bad_notebooks_are_one_rc001_each(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text(content)
    good = tmp_path / "good.ipynb"
    nbformat.write(_notebook(_code("import tensorflow as tf\n" + BUGGY_CELL)), str(good))

    code, out, err = run_cli(str(tmp_path), "--output-format", "concise", "--no-cache")

    assert code == 1  # a finding, not a usage or internal error
    lines = [line for line in out.splitlines() if "RC001" in line]
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith(f"{bad}:1:")
    assert "RC201" in out  # the other notebook was still checked
    assert not error_lines(err) and "Traceback" not in err
    assert run_cli(str(bad), "--no-cache", "--exit-zero")[0] == 0


def test_a_notebook_with_only_markdown_is_an_empty_program(tmp_path: Path) -> None:
    prose = tmp_path / "prose.ipynb"
    nbformat.write(_notebook(_md("# only prose"), _md("and more prose")), str(prose))
    code, out, err = run_cli(str(prose), "--output-format", "concise", "--no-cache")
    assert (code, out, err) == (0, "All checks passed!\n", "")


def test_invalid_json_reports_its_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{\n  "cells": [\n    oops\n  ]\n}\n')
    code, out, err = run_cli(str(bad), "--no-cache", "--output-format", "concise")
    assert code == 1 and not error_lines(err)
    assert out.splitlines()[0] == f"{bad}:3:5: RC001 invalid notebook: not JSON (Expecting value) (error)"


def test_nbformat_3_notebooks_are_read(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "source": ["# old"], "metadata": {}},
                    {
                        "cell_type": "code",
                        "input": ["import tensorflow as tf\n"],
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    },
                    {
                        "cell_type": "code",
                        "input": BUGGY_CELL.splitlines(True),
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    },
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3, indent=1))
    code, out, _ = run_cli(str(path), "--output-format", "concise", "--no-cache")
    assert code == 1 and f"{path}:cell 3:3:43: RC201" in out
    assert run_cli(str(path), "--fix", "--no-cache")[0] == 0
    fixed = json.loads(path.read_text())
    assert FIXED_LOSS in "".join(fixed["worksheets"][0]["cells"][2]["input"])
    assert fixed["nbformat"] == 3


def test_notebooks_work_without_nbformat(tmp_path: Path) -> None:
    path = _standard(tmp_path)
    script = (
        "import sys; sys.modules['nbformat'] = None\n"
        "from regcheck.cli import main\n"
        f"sys.exit(main([{str(path)!r}, '--fix', '--no-cache']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert FIXED_LOSS in path.read_text()


def test_lint_report_lists_code_cells(tmp_path: Path) -> None:
    path = _standard(tmp_path)
    report = lint_unit(SourceUnit(read_source(str(path))), Settings().codes_for(str(path)))
    assert report.cells == [IMPORTS, BUGGY_CELL, "%%bash\necho done"]
    assert [f.cell for f in report.findings] == [4]


def test_pre_commit_hooks_take_notebooks(repo_root: Path) -> None:
    text = (repo_root / ".pre-commit-hooks.yaml").read_text()
    hooks = text.count("- id: ")
    types = [line for line in text.splitlines() if line.strip().startswith("types_or:")]
    assert hooks >= 2 and len(types) == hooks
    assert all("jupyter" in line and "python" in line for line in types)
