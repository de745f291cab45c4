"""Workers never outlive their parent: SIGKILL the parent of a pooled run, and every worker goes."""

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

# The parent: a pooled run (two forked workers) over the files given, reporting as it goes.
PARENT = """
import sys
from pathlib import Path
from regcheck.config.settings import Settings
from regcheck.run.batch import lint_files

settings = Settings(root=Path(sys.argv[1]))
for report in lint_files(sys.argv[2:], settings, use_cache=False, jobs=2):
    print(report.path, flush=True)
"""


def test_sigkilled_parent_leaves_no_workers(tmp_path: Path) -> None:
    files = busy_files(tmp_path)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path), *files], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    workers: set[int] = set()
    try:
        assert wait_for(lambda: len(children(parent.pid)) >= 2, time.monotonic() + 60), "no pool was started"
        workers = children(parent.pid)
        assert parent.poll() is None, "the run ended before it could be killed: give it more work"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_for(lambda: not any(alive(w) for w in workers), time.monotonic() + 10), (
            f"workers outlived their parent: {sorted(w for w in workers if alive(w))}"
        )
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for worker in workers | children(parent.pid):
            try:
                os.kill(worker, signal.SIGKILL)
            except OSError:
                pass
