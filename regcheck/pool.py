"""Worker processes that never outlive their parent.

A pooled run forks workers; if the parent dies without shutting the pool down
(SIGKILL from a CI timeout, an editor killing its child), nothing tells them,
and a worker blocked on its task queue would sleep forever. Two guards, set in
every worker before it takes a task:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker
  the moment its parent exits;
- everywhere, a daemon thread that polls the parent's pid and exits the worker
  when the worker has been re-parented (the parent is gone).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5


def _parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent exits (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no libc to ask: the watchdog thread still guards the worker


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(_POLL_SECONDS):
        if os.getppid() != parent:
            os._exit(1)


def guard_worker(parent: int, then: Callable[..., Any] | None = None, *args: Any) -> None:
    """A pool initializer: guard this worker against outliving ``parent``, then run ``then(*args)``."""
    _parent_death_signal()
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="regcheck-parent-watch", daemon=True).start()
    if then is not None:
        then(*args)
