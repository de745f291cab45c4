"""Shared test helpers, and what `pytest -q` runs.

`pytest -q` is the fast suite: tests marked ``slow`` (sweeps over every file of the
installed keras and tensorflow, building the wheel) run only when the marker
expression names them, ``pytest -q -m slow``; so ``pytest -q -m "not tensorflow"``
is the fast suite without TensorFlow, as it reads.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# A bug of the program model is kept from users (the run goes on without it), not from the tests.
os.environ.setdefault("REGCHECK_STRICT", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.option.markexpr or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def shared_tmp_path() -> Iterator[Path]:
    """A scratch folder every user may enter (tmp_path's parents are the test user's own): for runs as
    another user (helpers.run_cli_unprivileged). Removed afterwards, whatever the test left in it."""
    folder = Path(tempfile.mkdtemp(prefix="regcheck-shared-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):
            if not path.is_symlink():
                os.chmod(path, 0o700)
        shutil.rmtree(folder, ignore_errors=True)
