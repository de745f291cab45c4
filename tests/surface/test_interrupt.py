"""Ctrl-C stops a run at once: exit 130 (128 + SIGINT, the shell's convention), one line on stderr, no
traceback, and no worker left running. The bound below is a deadline for a hang, not a timing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import HAS_PROC, alive, busy_files, children, wait_for

pytestmark = pytest.mark.skipif(not HAS_PROC, reason="reads processes from /proc")
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("whom", ["process-group", "parent-only"])
def test_ctrl_c_exits_130_and_stops_the_workers(tmp_path: Path, whom: str) -> None:
    busy_files(tmp_path, count=96)  # enough to outlast a loaded machine's scheduling: linting got faster
    run = subprocess.Popen(
        [sys.executable, "-m", "regcheck", ".", "--no-cache", "-j", "2"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a foreground job
    )
    workers: set[int] = set()
    try:
        assert wait_for(lambda: len(children(run.pid)) >= 2, time.monotonic() + 60), "no pool was started"
        workers = children(run.pid)
        assert run.poll() is None, "the run ended before it could be interrupted: give it more work"
        if whom == "process-group":  # what a terminal's Ctrl-C does
            os.killpg(run.pid, signal.SIGINT)
        else:
            os.kill(run.pid, signal.SIGINT)
        _out, err = run.communicate(timeout=60)
        assert run.returncode == 130, err
        assert err == "regcheck: interrupted\n"
        assert wait_for(lambda: not any(alive(w) for w in workers), time.monotonic() + 10), (
            f"workers outlived the interrupted run: {sorted(w for w in workers if alive(w))}"
        )
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        for worker in workers:
            try:
                os.kill(worker, signal.SIGKILL)
            except OSError:
                pass
