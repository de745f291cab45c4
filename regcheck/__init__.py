"""regcheck: find and fix regularization mistakes in TensorFlow and Keras code.

Public API (the static path never imports TensorFlow)::

    check_source(source, path="<string>", select=None) -> list[Finding]
    check_paths(paths, select=None) -> list[Finding]
    trace(entry, args=(), timeout=120)      # graph path, needs the `tensorflow` extra
    audit(model=None, loss=None, graph=None)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

__version__ = "0.1.0"

from regcheck.findings import Applicability, Edit, Finding, Fix, Severity

if TYPE_CHECKING:
    from regcheck.config import Settings


def _settings(select: Iterable[str] | None) -> "Settings":
    from regcheck.config import DEFAULT_SELECT, Settings, resolve_selectors

    codes = frozenset(resolve_selectors(select, "select")) if select is not None else DEFAULT_SELECT
    return Settings(select=codes)


def check_source(
    source: str, path: str = "<string>", select: Iterable[str] | None = None, keras: str = "3"
) -> list[Finding]:
    """Lint Python source text; ``select`` takes codes, prefixes, names or ``ALL``;
    ``keras`` is the Keras version the code targets ("3" or "2"; the file's own imports still override it)."""
    from regcheck.engine import lint_text

    if keras not in ("3", "2"):
        raise ValueError(f"keras must be '3' or '2' for a source string (got {keras!r})")
    return lint_text(path, source, _settings(select).select, keras=keras).findings


def check_paths(paths: Iterable[str], select: Iterable[str] | None = None, keras: str = "auto") -> list[Finding]:
    """Lint files and directories (ignore files honoured) and return every finding.

    ``keras``: "auto" (read the declared dependencies of the project around the first path), "3" or "2"."""
    import dataclasses
    from pathlib import Path

    from regcheck.engine import lint_files
    from regcheck.files import discover
    from regcheck.keras_target import resolve

    paths = list(paths)
    target = resolve(keras, Path(paths[0]) if paths else Path.cwd())
    settings = dataclasses.replace(
        _settings(select), keras=target.setting, keras_version=target.version, keras_reason=target.reason
    )
    discovered = discover(paths, Path.cwd())
    findings: list[Finding] = []
    for report in lint_files(discovered.files, settings, use_cache=False):  # a library call writes no files
        findings.extend(report.findings)
    return sorted(findings, key=Finding.sort_key)


TENSORFLOW_EXTRA = "pip install 'regcheck[tensorflow]'"


def tensorflow_missing() -> bool:
    """Is TensorFlow unavailable? Checked without importing it."""
    import importlib.util
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is None
    try:
        return importlib.util.find_spec("tensorflow") is None
    except (ImportError, ValueError):
        return True


def _require_tensorflow(feature: str) -> None:
    if tensorflow_missing():
        raise ModuleNotFoundError(f"{feature} needs TensorFlow, which is not installed: {TENSORFLOW_EXTRA}", name="tensorflow")


def trace(entry: str, args: Iterable[str] = (), timeout: float = 120) -> Any:
    """Run ``entry`` (script or ``module:callable``) up to its first training step and analyse the graph."""
    from regcheck.graph import run_entry

    return run_entry(entry, list(args), timeout)


def audit(model: Any = None, loss: Any = None, graph: Any = None) -> Any:
    """Audit a built model / loss / graph in-process; returns a report with ``.ok`` and ``.findings``."""
    _require_tensorflow("regcheck.audit()")
    from regcheck.graph.audit import audit as _audit

    return _audit(model=model, loss=loss, graph=graph)


__all__ = [
    "Applicability",
    "Edit",
    "Finding",
    "Fix",
    "Severity",
    "__version__",
    "audit",
    "check_paths",
    "check_source",
    "trace",
]
