"""Helpers the tests share: lint a snippet, fix a snippet, run the CLI in-process."""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from regcheck import check_source
from regcheck.cli import main
from regcheck.findings import Finding
from regcheck.fixing.apply import fix_text


def lint(source: str, *select: str, keras: str | None = None) -> list[Finding]:
    return check_source(textwrap.dedent(source), select=list(select) or None, keras=keras)


def codes(source: str, *select: str, keras: str | None = None) -> list[str]:
    return [f.code for f in lint(source, *select, keras=keras)]


def fix(source: str, *select: str, unsafe: bool = False, keras: str | None = None) -> str:
    text = textwrap.dedent(source)
    chosen = list(select) or None
    return fix_text(text, lambda t: check_source(t, select=chosen, keras=keras), unsafe).text


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: dedented text}`` under ``root`` (folders made as needed); ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


REPO = Path(__file__).resolve().parent.parent
# A user that file modes stop, for the permission tests when the suite runs as root (as CI does).
UNPRIVILEGED = ("nobody", "nogroup")
# When that user cannot run this interpreter's regcheck (an interpreter under root's private home, as
# pyenv's /root/.pyenv is: it then starts with the system's packages, without regcheck's), root itself
# without these two capabilities: file modes stop it like any user, and it still reads what it owns.
DAC_CAPABILITIES = "-dac_override,-dac_read_search"
# Set by CI (.ci/run): the permission tests must run, never skip.
REQUIRE_PERMISSION_TESTS = "REGCHECK_REQUIRE_PERMISSION_TESTS"
# What the probe checks: a whole run, so that every dependency the CLI imports lazily is loaded.
_PROBE_SOURCE = "import tensorflow as tf\nw = tf.get_variable('w', [3, 3], regularizer=tf.nn.l2_loss)\n"


def _runs_regcheck(prefix: list[str], env: dict[str, str]) -> str:
    """ "" when regcheck runs (its whole CLI) under ``prefix``, else why not."""
    command = [*prefix, sys.executable, "-m", "regcheck", "-", "--no-cache", "--isolated", "--exit-zero"]
    probe = subprocess.run(command, env=env, input=_PROBE_SOURCE, capture_output=True, text=True, cwd="/")
    return "" if probe.returncode == 0 else probe.stderr[-300:]


@functools.cache
def _unprivileged_prefix() -> tuple[tuple[str, ...] | None, str]:
    """The command prefix that runs regcheck as a user whom a file's mode stops (empty: this user), or
    None and why there is none."""
    if os.geteuid() != 0:
        return (), ""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if shutil.which("setpriv") is None:
        reason = "running as root, and setpriv (util-linux) is not installed"
    else:
        user, group = UNPRIVILEGED
        as_user = ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups"]
        without_capabilities = ["setpriv", f"--inh-caps={DAC_CAPABILITIES}", f"--bounding-set={DAC_CAPABILITIES}"]
        failures = []
        for prefix in (as_user, without_capabilities):
            failure = _runs_regcheck(prefix, env)
            if not failure:
                return tuple(prefix), ""
            failures.append(f"{' '.join(prefix)}: {failure}")
        reason = "regcheck runs neither as another user nor without the capabilities: " + "; ".join(failures)
    return None, reason


def run_cli_unprivileged(cwd: Path, *argv: str) -> tuple[int, str, str]:
    """``regcheck ARGV`` in ``cwd`` (a shared_tmp_path) as a user whom a file's mode can stop: this one;
    when the tests run as root, ``nobody`` (through setpriv), or if nobody cannot run regcheck here, root
    without the capabilities that override file modes."""
    prefix, reason = _unprivileged_prefix()
    if prefix is None:
        if os.environ.get(REQUIRE_PERMISSION_TESTS):
            pytest.fail(reason)
        pytest.skip(reason)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(cwd)}
    command = [*prefix, sys.executable, "-m", "regcheck", *argv]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr
