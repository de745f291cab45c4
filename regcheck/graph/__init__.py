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


def __getattr__(name: str) -> Any:
    # Lazy so that `import regcheck.graph` stays as cheap as the static path needs.
    if name in __all__:
        from regcheck.graph import trace

        return getattr(trace, name)
    raise AttributeError(name)
