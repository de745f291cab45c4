"""Helpers the tests share: lint a snippet, fix a snippet, run the CLI in-process."""

from __future__ import annotations

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


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


REPO = Path(__file__).resolve().parent.parent
# Root reads any file whatever its mode; without these two capabilities it is stopped like any user, and
# still reads everything it owns by its owner bits (the installed packages, the checkout). A switch to
# `nobody` instead depended on every installed package being world-readable, which CI's are not.
DAC_CAPABILITIES = "-dac_override,-dac_read_search"
# Set by CI (.ci/run): the permission tests must run, never skip.
REQUIRE_PERMISSION_TESTS = "REGCHECK_REQUIRE_PERMISSION_TESTS"


def run_cli_unprivileged(cwd: Path, *argv: str) -> tuple[int, str, str]:
    """``regcheck ARGV`` in ``cwd`` as a user whom a file's mode can stop: this one, or root without the
    capabilities that override file modes (through setpriv) when the tests run as root, as CI does."""
    command = [sys.executable, "-m", "regcheck", *argv]
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(cwd)}
    if os.geteuid() == 0:
        drop = ["setpriv", f"--inh-caps={DAC_CAPABILITIES}", f"--bounding-set={DAC_CAPABILITIES}"]
        if shutil.which("setpriv") is None:
            reason = "running as root, and setpriv (util-linux) is not installed"
        else:
            # The whole CLI must load, not only the package: its dependencies are imported lazily.
            probe = subprocess.run([*drop, sys.executable, "-m", "regcheck", "--version"], env=env, capture_output=True)
            reason = (
                ""
                if probe.returncode == 0
                else f"regcheck cannot run without the capabilities: {probe.stderr.decode()[-300:]}"
            )
        if reason:
            if os.environ.get(REQUIRE_PERMISSION_TESTS):
                pytest.fail(reason)
            pytest.skip(reason)
        command = [*drop, *command]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr
