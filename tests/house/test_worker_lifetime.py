"""Workers never outlive their parent: SIGKILL the parent of a pooled run, and every worker goes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")

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
# A file that keeps a worker busy for a while: a long training script with findings.
UNIT = textwrap.dedent(
    """
    w{i} = tf.Variable(tf.random.normal([784, 256]))
    b{i} = tf.Variable(tf.zeros([256]))
    loss{i} = tf.reduce_mean(tf.matmul(x, w{i}) + b{i}) + 0.01 * tf.nn.l2_loss(b{i})
    """
)


def _state(pid: int) -> str | None:
    """The process's state letter, or None when it no longer exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z", "X")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _wait_for(condition, deadline: float) -> bool:  # type: ignore[no-untyped-def]
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_sigkilled_parent_leaves_no_workers(tmp_path: Path) -> None:
    body = "import tensorflow as tf\n" + "".join(UNIT.format(i=i) for i in range(400))
    files = []
    for n in range(24):
        path = tmp_path / f"train_{n}.py"
        path.write_text(body, encoding="utf-8")
        files.append(str(path))
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path), *files], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    workers: set[int] = set()
    try:
        assert _wait_for(lambda: len(_children(parent.pid)) >= 2, time.monotonic() + 60), "no pool was started"
        workers = _children(parent.pid)
        assert parent.poll() is None, "the run ended before it could be killed: give it more work"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _wait_for(lambda: not any(_alive(w) for w in workers), time.monotonic() + 10), (
            f"workers outlived their parent: {sorted(w for w in workers if _alive(w))}"
        )
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for worker in workers | _children(parent.pid):
            try:
                os.kill(worker, signal.SIGKILL)
            except OSError:
                pass
