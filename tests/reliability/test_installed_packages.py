"""Every Python file of the installed keras and tensorflow packages: zero crashes, zero internal errors.

Real code regcheck has never seen, and a lot of it: 2,700 files and 40 MB of
TF/Keras source, generated op wrappers included. Runs with every rule selected,
through regcheck's own pool of two workers, in a fresh child process: the
pool forks, and forking a pytest process where another test imported
TensorFlow could hang. The packages are located with ``importlib.util.find_spec``
so TensorFlow is never imported by this test.

The trigger-word stage of the prefilter is switched off: it only decides which
files to skip, and a file it skips today may be one a user's file resembles
tomorrow, so every file that names TF/Keras goes through libcst, the facts pass
and every check.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SWEEP = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from regcheck.config.catalog import RULES
    from regcheck.config.settings import Settings
    from regcheck.lint import module
    from regcheck.lint.prefilter import names_tf
    from regcheck.run.batch import lint_files

    module.wants_parse = lambda data, codes: True  # the forked workers inherit this
    root, files = Path(sys.argv[1]), json.loads(sys.stdin.read())
    naming = {path for path in files if names_tf(Path(path).read_bytes())}
    naming_tf = sum(path in naming for path in files)  # (a package may list a file twice)
    settings = Settings(select=frozenset(RULES), root=root)
    failures, reports, analysed = [], 0, 0
    for report in lint_files(files, settings, use_cache=False, jobs=2):
        reports += 1
        analysed += report.analysed and report.path in naming  # (a file naming no TF may be analysed too,
        # when a project module it imports, or one that one imports, has a rule's trigger)
        # Installed packages are valid, readable Python: any problem at all is ours.
        failures.extend(str(problem) for problem in report.problems)
        if report.internal_error and not report.problems:
            failures.append(report.path + ": internal error")
        failures.extend(
            f"{f.path}:{f.line}:{f.column}: {f.message}" for f in report.findings if f.code == "RC000"
        )
    print(json.dumps({"reports": reports, "analysed": analysed, "naming_tf": naming_tf, "failures": failures}))
    """
)


def _package_files(name: str) -> tuple[Path | None, list[str]]:
    """The directory holding the package (the project root, so its imports resolve) and its files."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None, []
    files: list[str] = []
    locations = [Path(location) for location in spec.submodule_search_locations]
    for location in locations:
        files.extend(str(path) for path in sorted(location.rglob("*.py")) if path.is_file())
    return locations[0].parent, files


@pytest.mark.slow
@pytest.mark.tensorflow  # reads the installed keras and tensorflow sources
@pytest.mark.parametrize("package", ["keras", "tensorflow"])
def test_installed_package_sources_lint_without_crash(package: str) -> None:
    root, files = _package_files(package)
    if root is None or not files:
        pytest.skip(f"{package} is not installed")

    done = subprocess.run(
        [sys.executable, "-c", SWEEP, str(root)],
        input=json.dumps(files),
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )

    assert done.returncode == 0, done.stderr[-5000:]  # a crash shows its traceback here
    assert "Traceback" not in done.stderr, done.stderr[-5000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reports"] == len(files)
    # Every file that names TF/Keras really went through the facts pass and the checks.
    assert result["naming_tf"] > len(files) // 2
    assert result["analysed"] == result["naming_tf"]
    assert not result["failures"], "\n".join(result["failures"][:50])
