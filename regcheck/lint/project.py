"""What linting one source unit asks of the project around it.

The project index of a run (``regcheck.run.project.ProjectIndex``) answers; the lint only
needs this much of it, so it depends on no later step of the flow. The facts receive the
index as it is, to follow imports into other modules.
"""

from __future__ import annotations

from typing import Protocol


class Project(Protocol):
    # The Keras the run targets ("3", "2" or "unknown", Settings.keras_version); None: not set.
    keras_target: str | None

    def imports_reach(self, path: str, data: bytes, words: tuple[bytes, ...], levels: int = 1) -> bool:
        """Does a project module that ``path`` (whose bytes are ``data``) imports, directly or up to
        ``levels`` imports away, contain one of ``words``?"""
        ...
