"""The scripts of tests/graph/scripts, each traced under every Keras version its header names (one
TensorFlow process per version): the findings, steps and errors each header expects, exactly."""

from __future__ import annotations

import pytest
from conftest import SCRIPT_CASES, Script

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")


def _matches(found: set[tuple[str, str | None]], expected: set[tuple[str, str | None]]) -> bool:
    """(code, symbol) pairs against (code, symbol suffix) pairs: `sequential/dense/kernel` is `dense/kernel`."""
    if len(found) != len(expected):
        return False
    left = set(found)
    for code, suffix in expected:
        match = next(
            (f for f in left if f[0] == code and (f[1] == suffix or (suffix and str(f[1]).endswith("/" + suffix)))),
            None,
        )
        if match is None:
            return False
        left.remove(match)
    return True


CASES = [
    pytest.param(version, script, id=f"{script.name}-keras{version}")
    for script in SCRIPT_CASES
    for version in script.versions
]


@pytest.mark.parametrize("version, script", CASES)
def test_script(runs, version: str, script: Script) -> None:
    result = runs(version)[script.name]
    if script.errors:
        assert result.error is not None, [f.code for f in result.findings]
        for text in script.errors:
            assert text in result.error
        return
    assert result.error is None, result.error
    found = {(f.code, f.symbol) for f in result.findings}
    assert _matches(found, script.expect[version]), sorted(found, key=str)
    assert all(f.source == "graph" for f in result.findings)
    assert all(f.path == f"tests/graph/scripts/{script.name}" for f in result.findings), [
        f.path for f in result.findings
    ]
    for text in script.messages:
        assert any(text in f.message for f in result.findings), [f.message for f in result.findings]
    if script.steps is not None:
        assert len(result.steps) == script.steps, result.steps
