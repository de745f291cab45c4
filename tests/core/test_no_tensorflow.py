"""The static path never imports TensorFlow (the pre-commit hook must work without it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import run_cli

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from regcheck.cli import main
code = main(["examples", "--output-format", "json", "--no-cache", "-o", {out!r}])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "numpy"))
print(code, heavy)
"""


def test_cli_does_not_import_tensorflow(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(out=str(out))], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    code, heavy = result.stdout.strip().split(" ", 1)
    assert code == "1"  # the examples have findings: the run really checked them
    assert heavy == "[]"
    assert out.read_text().count('"code"') >= 5


LIGHT_PROBE = """
import sys
from regcheck.cli import main
code = main([{path!r}, "--no-cache"])
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & {{"libcst", "pathspec", "concurrent", "tensorflow"}})
print(code, loaded)
"""


def _light_run(path: Path) -> str:
    """The exit code of ``regcheck PATH`` and the heavy modules it loaded (LIGHT_PROBE's last line)."""
    result = subprocess.run(
        [sys.executable, "-c", LIGHT_PROBE.format(path=str(path))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_a_named_file_without_tf_code_loads_no_parser(tmp_path: Path) -> None:
    # The pre-commit case: files named one by one, most of them not TF code. The bytes
    # prefilter decides, so neither libcst nor the ignore-file machinery is imported.
    plain = tmp_path / "utils.py"
    plain.write_text("import os\n\ndef join(a, b):\n    return os.path.join(a, b)\n")
    assert _light_run(plain) == "0 []"


def test_a_file_importing_ordinary_project_modules_loads_no_parser(tmp_path: Path) -> None:
    # A file that names no TF/Keras gets a second chance only when a project module it imports does:
    # importing ordinary siblings costs a look at their bytes, and loads no rule and no parser.
    (tmp_path / "paths.py").write_text("import os\n\ndef join(a, b):\n    return os.path.join(a, b)\n")
    plain = tmp_path / "utils.py"
    plain.write_text("from paths import join\n\nprint(join('a', 'b'))\n")
    assert _light_run(plain) == "0 []"


def test_a_script_naming_no_tf_is_checked_through_what_it_imports(tmp_path: Path) -> None:
    # The training script imports the project's builders only; the finding is in the script.
    (tmp_path / "nets.py").write_text(
        "import keras\n\ndef build():\n"
        "    return keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-4))])\n"
    )
    (tmp_path / "optim.py").write_text(
        "import keras\n\ndef make_optimizer():\n    return keras.optimizers.Adam(1e-3)\n"
    )
    script = tmp_path / "train.py"
    script.write_text(
        "from nets import build\nfrom optim import make_optimizer\n\nmodel = build()\n"
        "model.compile(optimizer=make_optimizer(), loss='mse')\n"
    )
    code, out, err = run_cli(str(tmp_path), "--select", "RC502", "--output-format", "concise", "--no-cache")
    assert (code, err) == (0, ""), err  # RC502 is info: no failure
    assert [line.split(" RC502 ")[0] for line in out.splitlines() if " RC502 " in line] == [f"{script}:5:25:"]
