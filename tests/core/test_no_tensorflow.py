"""The static path never imports TensorFlow (the pre-commit hook must work without it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_a_named_file_without_tf_code_loads_no_parser(tmp_path: Path) -> None:
    # The pre-commit case: files named one by one, most of them not TF code. The bytes
    # prefilter decides, so neither libcst nor the ignore-file machinery is imported.
    plain = tmp_path / "utils.py"
    plain.write_text("import os\n\ndef join(a, b):\n    return os.path.join(a, b)\n")
    result = subprocess.run(
        [sys.executable, "-c", LIGHT_PROBE.format(path=str(plain))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"
