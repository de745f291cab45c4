from __future__ import annotations

from pathlib import Path

import pytest
from speed_project import write_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path)
