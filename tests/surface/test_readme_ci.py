"""The README's CI workflow and pre-commit snippet, copied as they are, work.

- The CI workflow is complete: checkout, Python, the install, the gate, the SARIF upload with the
  ``security-events: write`` it needs, the annotations; its regcheck commands run as it says.
- Both snippets pin one commit (scripts/pin_readme.py). A commit cannot name itself, so the pin is
  kept current by what can be checked: it is in the history of the commit under test (reachable:
  ``git merge-base --is-ancestor``), its hooks are the hooks of today, and the CI commands work
  with the regcheck of that commit.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from pin_readme import pins  # noqa: E402

README = (REPO / "README.md").read_text(encoding="utf-8")


def _yaml_block(section: str) -> Any:
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```yaml\n(.*?)```", body, re.S)
    assert match, f"no yaml block in the README's {section} section"
    return yaml.safe_load(match[1])


WORKFLOW = _yaml_block("CI")
PRE_COMMIT = _yaml_block("pre-commit")
STEPS: list[dict[str, Any]] = WORKFLOW["jobs"]["regcheck"]["steps"]


def _step(uses: str) -> dict[str, Any]:
    found = [step for step in STEPS if str(step.get("uses", "")).split("@")[0] == uses]
    assert len(found) == 1, f"one `uses: {uses}` step expected"
    return found[0]


def _runs(word: str) -> list[str]:
    return [step["run"] for step in STEPS if word in step.get("run", "")]


def test_the_workflow_is_complete() -> None:
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true; GitHub does not
    assert set(triggers) == {"push", "pull_request"}
    assert WORKFLOW["permissions"] == {"contents": "read", "security-events": "write"}
    job = WORKFLOW["jobs"]["regcheck"]
    assert job["runs-on"] == "ubuntu-latest"
    order = [str(step.get("uses", "")).split("@")[0] or step["run"].split()[0] for step in STEPS]
    # checkout and Python first, then the install, the gate (SARIF), its upload, the annotations.
    assert order == [
        "actions/checkout",
        "actions/setup-python",
        "python",
        "regcheck",
        "github/codeql-action/upload-sarif",
        "regcheck",
    ]
    assert _step("actions/setup-python")["with"]["python-version"] == "3.12"
    (install,) = _runs("pip install")
    assert "'regcheck @ git+https://github.com/regcheck/regcheck@" in install
    gate, annotate = _runs("regcheck .")
    upload = _step("github/codeql-action/upload-sarif")
    sarif_file = gate.split(" -o ", 1)[1].split()[0]
    assert upload["with"]["sarif_file"] == sarif_file
    assert upload["if"].startswith("always()")  # the SARIF is uploaded when the gate failed too
    assert "--output-format sarif" in gate and "--exit-zero" in gate
    assert "--output-format github" in annotate and "--exit-zero" not in annotate  # this one fails the job


def test_the_pre_commit_snippet_names_the_hooks() -> None:
    (repo,) = PRE_COMMIT["repos"]
    assert repo["repo"] == "https://github.com/regcheck/regcheck"
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in repo["hooks"]] == ["regcheck"]
    assert "regcheck" in {hook["id"] for hook in hooks}
    assert "# - id: regcheck-fix" in README and "regcheck-fix" in {hook["id"] for hook in hooks}


def _commands(run: str) -> list[str]:
    return run.split("#", 1)[0].split()


def _run(argv: list[str], cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "regcheck"
    return subprocess.run(
        [sys.executable, "-m", "regcheck", *argv[1:]],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(pythonpath), "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _check_the_ci_commands(pythonpath: Path, tmp_path: Path) -> None:
    """The workflow's two regcheck steps, as written, on a copy of examples/ (a project with findings)."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "examples", project)
    gate, annotate = (_commands(run) for run in _runs("regcheck ."))
    done = _run(gate, project, pythonpath)
    assert done.returncode == 0, done.stderr  # --exit-zero: the findings are in the SARIF
    sarif = json.loads((project / "regcheck.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
    done = _run(annotate, project, pythonpath)
    assert done.returncode == 1, done.stderr  # findings fail the job
    assert done.stdout.startswith(("::error ", "::warning ")), done.stdout[:300]


def test_the_ci_commands_work_with_this_regcheck(tmp_path: Path) -> None:
    _check_the_ci_commands(REPO, tmp_path)


# --- the pin ----------------------------------------------------------------------------------------


def _git(*argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *argv], cwd=REPO, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def pin() -> str:
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout (an sdist): the pin is checked where the history is")
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() == b"true":
        pytest.skip("a shallow clone: the pin is checked where the history is")
    (commit,) = set(pins(README))
    return commit


def test_both_snippets_pin_one_full_commit() -> None:
    found = pins(README)
    assert len(found) == 2 and len(set(found)) == 1, found  # pre-commit's rev and the CI install
    assert re.fullmatch(r"[0-9a-f]{40}", found[0])  # pip and pre-commit fetch a full hash by itself
    assert f"rev: {found[0]}" in README and f"regcheck@{found[0]}'" in README


def test_the_pin_is_in_the_history_of_this_commit(pin: str) -> None:
    assert _git("cat-file", "-e", f"{pin}^{{commit}}").returncode == 0, (
        f"{pin} is not a commit of this repository (a shallow clone? `git fetch --unshallow`)"
    )
    reachable = _git("merge-base", "--is-ancestor", pin, "HEAD")
    assert reachable.returncode == 0, (
        f"the README pins {pin}, which is not in the history of HEAD (rebased away?): "
        "run `python scripts/pin_readme.py` and commit README.md"
    )


def test_the_hooks_at_the_pin_are_the_hooks_of_today(pin: str) -> None:
    pinned = _git("show", f"{pin}:.pre-commit-hooks.yaml")
    assert pinned.returncode == 0, pinned.stderr
    assert yaml.safe_load(pinned.stdout) == yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()), (
        "the hooks changed since the pinned commit: run `python scripts/pin_readme.py` and commit README.md"
    )


def test_the_ci_commands_work_with_the_pinned_regcheck(pin: str, tmp_path: Path) -> None:
    archive = _git("archive", "--format=tar", pin, "regcheck", "rules")
    assert archive.returncode == 0, archive.stderr
    pinned = tmp_path / "pinned"
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+ / 3.11.4+
            tar.extractall(pinned, filter="data")
        else:  # pragma: no cover - our own archive, from git
            tar.extractall(pinned)
    _check_the_ci_commands(pinned, tmp_path)
