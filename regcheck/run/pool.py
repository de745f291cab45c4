"""The worker pool: large runs lint their files in worker processes that never outlive their parent.

:func:`lint_pooled` sends the files that need work to a pool of forked workers
(spawned where there is no fork), largest first and small ones in batches, and
yields their reports in the order asked for. The state a worker lints with (the
engine's run: settings, project index, cache) is set here before forking, so
workers inherit it; a spawned worker builds its own from a factory.

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

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import concurrent.futures

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5

# Below this many files needing work, forking workers costs more than it saves.
POOL_MIN_FILES = 4
# Small files are sent to workers in batches of about this many bytes.
_BATCH_BYTES = 64 * 1024

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Linter(Protocol[R_co]):
    """What a worker lints with: the engine's run."""

    def lint(self, path: str) -> R_co: ...

    def lint_batch(self, paths: list[str]) -> Sequence[R_co]: ...


# Set in the parent before forking (workers inherit it), or by _adopt in a spawned worker.
_STATE: Any = None


def _work(paths: list[str]) -> list[Any]:
    assert _STATE is not None
    return list(_STATE.lint_batch(paths))


def _adopt(factory: Callable[..., Any], *args: Any) -> None:
    """A spawned worker's setup: build the run state the parent would have handed down."""
    global _STATE
    _STATE = factory(*args)


def lint_pooled(
    run: Linter[R], tasks: list[tuple[str, int]], jobs: int, spawn: tuple[Callable[..., Linter[R]], tuple[Any, ...]]
) -> Generator[R, None, None]:
    """The reports of ``tasks`` (path, size in bytes), in the order of ``tasks``, linted by
    ``jobs`` workers with ``run``; where there is no fork, each worker builds its run as
    ``spawn[0](*spawn[1])``. A file whose worker died is linted here, with the same code."""
    import concurrent.futures
    import multiprocessing

    global _STATE
    _warm_up()
    _STATE = run
    parent = os.getpid()
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        executor = concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=context, initializer=guard_worker, initargs=(parent,)
        )
    else:
        factory, args = spawn
        executor = concurrent.futures.ProcessPoolExecutor(
            jobs, initializer=guard_worker, initargs=(parent, _adopt, factory, *args)
        )
    where: dict[int, tuple[concurrent.futures.Future[list[R]], int]] = {}
    finished = False
    try:
        with _sigint_held():  # the workers are made here: none may see a Ctrl-C before it ignores it
            for batch in _batches(tasks):
                future = executor.submit(_work, [tasks[i][0] for i in batch])
                for position, index in enumerate(batch):
                    where[index] = (future, position)
        for index, (path, _size) in enumerate(tasks):
            future, position = where.pop(index)
            yield _result(future, position, run, path)
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:  # Ctrl-C, an error, or the caller stopped early: stop the workers now, not after their batches
            stop_workers(executor)
        _STATE = None


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold SIGINT back while workers are forked: they start with it blocked (and ignore it before they
    unblock it, guard_worker); a Ctrl-C meanwhile reaches this process as the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_workers(executor: concurrent.futures.ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for the work in hand: cancel what is queued, kill the workers."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)


def _result(future: concurrent.futures.Future[list[R]], position: int, run: Linter[R], path: str) -> R:
    try:
        return future.result()[position]
    except Exception:
        # A worker died (BrokenProcessPool) or failed outside the per-file guards: the
        # file is still checked, here, with the same code a worker would have run.
        return run.lint(path)


def _batches(tasks: list[tuple[str, int]]) -> Iterator[list[int]]:
    """Indices into ``tasks``, largest files first, so no worker is left with a big file at the
    end; small files travel together to keep the per-task overhead down."""
    batch: list[int] = []
    total = 0
    for index, (_path, size) in sorted(enumerate(tasks), key=lambda item: -item[1][1]):
        batch.append(index)
        total += size
        if total >= _BATCH_BYTES or len(batch) >= 32:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _warm_up() -> None:
    """Import the parser, facts and checks once before forking, so workers share them."""
    import libcst as cst

    from regcheck.checks import ALL_CHECKS  # noqa: F401
    from regcheck.facts import build_facts

    build_facts("<warm-up>", "import tensorflow as tf\n", cst.parse_module("import tensorflow as tf\n"))


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
    # Ctrl-C in a terminal reaches the whole process group: the parent stops the workers (stop_workers),
    # which would otherwise each print a KeyboardInterrupt traceback. SIGINT is still blocked here
    # (_sigint_held): ignore it, then let it through.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _parent_death_signal()
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="regcheck-parent-watch", daemon=True).start()
    if then is not None:
        then(*args)
