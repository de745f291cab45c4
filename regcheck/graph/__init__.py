"""The graph path: run user code up to its training steps (or build its model) and inspect the graph.

Nothing here imports TensorFlow at import time: the static path (and a
pre-commit hook on a machine without TensorFlow) imports ``regcheck`` freely.
TensorFlow is imported only inside the child runner and inside ``audit``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from regcheck.graph.trace import GraphResult, Server, TraceOptions, run_entry, trace_many

__all__ = ["GraphResult", "Server", "TraceOptions", "run_entry", "trace_many"]

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


def require_tensorflow(feature: str) -> None:
    """Raise ``ModuleNotFoundError`` with the install command when TensorFlow is missing."""
    if tensorflow_missing():
        raise ModuleNotFoundError(
            f"{feature} needs TensorFlow, which is not installed: {TENSORFLOW_EXTRA}", name="tensorflow"
        )


def __getattr__(name: str) -> Any:
    # Lazy so that `import regcheck.graph` stays as cheap as the static path needs.
    if name in ("GraphResult", "run_entry"):
        from regcheck.graph import trace

        return getattr(trace, name)
    raise AttributeError(name)
