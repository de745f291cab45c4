"""Shared test helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# A bug of the program model is kept from users (the run goes on without it), not from the tests.
os.environ.setdefault("REGCHECK_STRICT", "1")


@pytest.fixture
def repo_root() -> Path:
    return REPO
