"""The TensorFlow processes the graph tests wait for, started in the background as soon as the session
knows it will need them (tests/graph/conftest.py's ``pytest_collection_finish``), two at a time: they
run on the second core while the tests before them run on the first, and each fixture waits for its own.

A module registers its jobs under the name of the fixture that waits for them (``JOBS``), and that
fixture asks for its result with ``background(key, work).result()``: an error in the job is raised there,
in the tests that needed it, as if the fixture had run it itself."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
# At most two TensorFlow processes of the background at a time, beside pytest's own.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="graph-tests")
_STARTED: dict[str, Future[Any]] = {}
# fixture name -> {job key: work}: what that fixture waits for.
JOBS: dict[str, dict[str, Callable[[], Any]]] = {}
SCRATCH = Path(tempfile.mkdtemp(prefix="regcheck-graph-tests-"))


def background(key: str, work: Callable[[], T]) -> Future[T]:
    """The job ``key``: started now unless it already was (at collection, or by another test)."""
    if key not in _STARTED:
        _STARTED[key] = _POOL.submit(work)
    return _STARTED[key]


def start_all(fixture: str) -> None:
    """Start every job ``fixture`` waits for (its parameters' too: they come one after the other)."""
    for key, work in JOBS.get(fixture, {}).items():
        background(key, work)


def has_tf_keras() -> bool:
    return importlib.util.find_spec("tf_keras") is not None


def finish() -> None:
    """Wait for what runs (each job has its own timeout), drop what never started, remove the scratch."""
    _POOL.shutdown(wait=True, cancel_futures=True)
    shutil.rmtree(SCRATCH, ignore_errors=True)
