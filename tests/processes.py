"""Watching processes from /proc, for the tests that stop a run (its workers must go with it)."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

# A unit of a file that keeps a worker busy for a while: a long training script with findings.
BUSY_UNIT = textwrap.dedent(
    """
    w{i} = tf.Variable(tf.random.normal([784, 256]))
    b{i} = tf.Variable(tf.zeros([256]))
    loss{i} = tf.reduce_mean(tf.matmul(x, w{i}) + b{i}) + 0.01 * tf.nn.l2_loss(b{i})
    """
)
HAS_PROC = Path("/proc/self/stat").exists()


def busy_files(folder: Path, count: int = 24, units: int = 400) -> list[str]:
    """``count`` files that keep a pool of workers busy for seconds."""
    body = "import tensorflow as tf\n" + "".join(BUSY_UNIT.format(i=i) for i in range(units))
    files = []
    for n in range(count):
        path = folder / f"train_{n}.py"
        path.write_text(body, encoding="utf-8")
        files.append(str(path))
    return files


def state(pid: int) -> str | None:
    """The process's state letter, or None when it no longer exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    return state(pid) not in (None, "Z", "X")


def children(pid: int) -> set[int]:
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


def wait_for(condition: Callable[[], bool], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
